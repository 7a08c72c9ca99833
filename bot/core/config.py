"""Configuration, read once from the environment at the edge (see CONTRACT.md)."""
from __future__ import annotations

import os
import secrets
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///etp-bot.core.db"


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _int_list(env: dict[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if not raw:
        return default
    try:
        values = tuple(sorted({int(p) for p in raw.split(",") if p.strip()}, reverse=True))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated integers, got {raw!r}") from exc
    return values


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    old_secret_keys: tuple[str, ...] = ()
    key_file: str = "etp-bot.key"
    retention_days: int = 365
    reminder_days: tuple[int, ...] = (60, 30, 7)
    code_ttl_days: int = 7
    staff_alert_telegram_chat: str | None = None
    max_body_bytes: int = 1_048_576
    timezone: str = "Asia/Hong_Kong"
    staff_idle_minutes: int = 30
    port: int = 8080
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_template_reminder: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: str = "https://api.telegram.org/bot"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Config":
        env = dict(os.environ if env is None else env)
        old = tuple(k.strip() for k in env.get("ETP_OLD_SECRET_KEYS", "").split(",") if k.strip())
        return cls(
            database_url=env.get("ETP_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env.get("ETP_SECRET_KEY", ""),
            old_secret_keys=old,
            key_file=env.get("ETP_KEY_FILE") or "etp-bot.key",
            retention_days=_int(env, "ETP_RETENTION_DAYS", 365),
            reminder_days=_int_list(env, "ETP_REMINDER_DAYS", (60, 30, 7)),
            code_ttl_days=_int(env, "ETP_CODE_TTL_DAYS", 7),
            staff_alert_telegram_chat=env.get("ETP_STAFF_ALERT_TELEGRAM_CHAT") or None,
            max_body_bytes=_int(env, "ETP_MAX_BODY_BYTES", 1_048_576),
            timezone=env.get("ETP_TIMEZONE") or "Asia/Hong_Kong",
            staff_idle_minutes=max(1, _int(env, "ETP_STAFF_IDLE_MINUTES", 30)),
            port=_int(env, "PORT", 8080),
            wechat_token=env.get("WECHAT_TOKEN") or None,
            wechat_app_id=env.get("WECHAT_APP_ID") or None,
            wechat_app_secret=env.get("WECHAT_APP_SECRET") or None,
            wechat_aes_key=env.get("WECHAT_AES_KEY") or None,
            wechat_api_base=(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/"),
            wechat_template_reminder=env.get("WECHAT_TEMPLATE_REMINDER") or None,
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base=env.get("TELEGRAM_API_BASE") or "https://api.telegram.org/bot",
        )

    def with_secret(self) -> "Config":
        """Return a config whose secret key is set: from the environment, or generated into
        the key file (SQLite only, with a warning). PostgreSQL requires ETP_SECRET_KEY."""
        from dataclasses import replace

        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ConfigError("ETP_SECRET_KEY must be at least 32 characters")
            return self
        if not self.is_sqlite:
            raise ConfigError("ETP_SECRET_KEY is required with PostgreSQL (at least 32 random characters)")
        path = Path(self.key_file)
        if path.exists():
            key = path.read_text(encoding="utf-8").strip()
        else:
            key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(key + "\n")
            warnings.warn(
                f"ETP_SECRET_KEY is not set: generated a key into {path} (keep it safe; losing it "
                "makes stored reports unreadable)",
                stacklevel=2,
            )
        if len(key) < 32:
            raise ConfigError(f"the key in {path} is shorter than 32 characters")
        return replace(self, secret_key=key)
