"""deploy/etp-bot.env.example names only real settings, and its filled-in lines are a valid configuration."""
import re
from pathlib import Path

from bot.core.config import Config, _Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_example_environment_file_is_a_valid_configuration() -> None:
    text = (DEPLOY / "etp-bot.env.example").read_text(encoding="utf-8")
    known = {f.alias for f in _Settings.model_fields.values()}
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert named - known == set(), "not settings of etp-bot"
    assert {"ETP_DATABASE_URL", "ETP_SECRET_KEY", "ETP_METRICS_TOKEN", "TELEGRAM_BOT_TOKEN", "WECHAT_TOKEN"} <= named
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, re.M))
    assert Config.problems(values) == []
    assert Config.from_env(values).database_url.startswith("postgresql+asyncpg://")


def test_the_unit_reads_the_environment_file_and_runs_serve() -> None:
    unit = (DEPLOY / "etp-bot.service").read_text(encoding="utf-8")
    assert re.search(r"^EnvironmentFile=/etc/etp-bot/etp-bot.env$", unit, re.M)
    assert re.search(r"^ExecStart=\S+/etp-bot serve --host 127\.0\.0\.1$", unit, re.M)
    assert re.search(r"^RestartPreventExitStatus=2$", unit, re.M)  # a configuration error is not retried
