import os
import stat

import pytest

from bot.core.config import Config, ConfigError


def test_defaults_match_the_contract() -> None:
    c = Config.from_env({})
    assert c.database_url == "sqlite+aiosqlite:///etp-bot.db"
    assert c.reminder_days == (60, 30, 7) and c.retention_days == 365 and c.code_ttl_days == 7
    assert c.max_body_bytes == 1_048_576 and c.port == 8080 and c.timezone == "Asia/Hong_Kong"
    assert not c.wechat_enabled and not c.telegram_enabled


def test_bad_numbers_are_named() -> None:
    with pytest.raises(ConfigError, match="ETP_RETENTION_DAYS"):
        Config.from_env({"ETP_RETENTION_DAYS": "a year"})


def test_secret_generated_into_key_file_with_sqlite(tmp_path) -> None:
    key_file = tmp_path / "etp-bot.key"
    with pytest.warns(UserWarning, match="generated a key"):
        c = Config.from_env({"ETP_KEY_FILE": str(key_file)}).with_secret()
    assert len(c.secret_key) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = Config.from_env({"ETP_KEY_FILE": str(key_file)}).with_secret()
    assert again.secret_key == c.secret_key


def test_postgres_requires_a_secret() -> None:
    with pytest.raises(ConfigError, match="required with PostgreSQL"):
        Config.from_env({"ETP_DATABASE_URL": "postgresql+asyncpg://x@localhost/db"}).with_secret()
    with pytest.raises(ConfigError, match="at least 32"):
        Config.from_env({"ETP_SECRET_KEY": "short"}).with_secret()
