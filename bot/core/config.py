"""Configuration, read and validated once from the environment at the edge (see CONTRACT.md).

`Config.from_env()` checks every variable with pydantic-settings; the first problem found is raised
as `ConfigError` whose message is one line naming the variable and what is expected
(`Config.problems(env)` lists them all, for `etp-bot config check`).
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import stat
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///etp-bot.db"
MIN_SECRET_LENGTH = 32
SECRET_FIELDS = ("secret_key", "old_secret_keys", "wechat_token", "wechat_app_secret", "wechat_aes_key",
                 "telegram_bot_token", "telegram_webhook_secret", "metrics_token")


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _check_secret(name: str, value: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"at least {MIN_SECRET_LENGTH} random characters (got {len(value)})")
    return value


# Tokens and keys of the platforms: (pattern, what is expected), checked when set.
_FORMATS = {
    "telegram_bot_token": (r"\d+:[A-Za-z0-9_-]{30,}",
                           "a bot token from @BotFather, digits:characters (e.g. 123456:ABC-…)"),
    "telegram_webhook_secret": (r"[A-Za-z0-9_-]{1,256}", "1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)"),
    "wechat_aes_key": (r"[A-Za-z0-9]{43}", "the 43-character EncodingAESKey (letters and digits)"),
    "wechat_token": (r"[A-Za-z0-9]{3,32}", "3-32 letters and digits (WeChat's rule for the server token)"),
    "metrics_token": (r"[!-~]{16,}", "at least 16 characters without spaces (the bearer token Prometheus sends)"),
}


# Response targets of the staff queue (ETP_RESPONSE_TARGETS): `KEY=AMOUNT` pairs, comma-separated; a key
# is `urgent`, a queue (`helpline`), or a queue's urgent cases (`helpline.urgent`); an amount is minutes
# (`30min`), hours (`4h`) or working days (`1d`, Monday to Friday in ETP_TIMEZONE).
DEFAULT_RESPONSE_TARGETS = "urgent=1h,helpline=1d,integrity=1d,helpdesk=1d"
_TARGET_KEYS = ("urgent", "helpline", "integrity", "helpdesk", "helpline.urgent", "integrity.urgent",
                "helpdesk.urgent")
_TARGET = re.compile(r"\s*([a-z.]+)\s*=\s*(\d+)\s*(min|h|d)\s*")


def parse_response_targets(text: str) -> dict[str, tuple[int, str]]:
    """{key: (amount, unit)} of ETP_RESPONSE_TARGETS over the defaults; ValueError names what is wrong."""
    out: dict[str, tuple[int, str]] = {}
    for source in (DEFAULT_RESPONSE_TARGETS, text):
        for part in filter(str.strip, source.split(",")):
            found = _TARGET.fullmatch(part)
            if not found or found.group(1) not in _TARGET_KEYS or int(found.group(2)) < 1:
                raise ValueError(f"pairs such as urgent=1h,helpline=1d (keys {', '.join(_TARGET_KEYS)}; "
                                 f"amounts in min, h or d: working days), got {part.strip()!r}")
            out[found.group(1)] = (int(found.group(2)), found.group(3))
    return out


_ADDRESS = r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+"


def masked_url(url: str) -> str:
    """`scheme://user:***@host…`: a URL's password hidden (the database, the SMTP server)."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError(f"an http:// or https:// URL, got {value!r}")
    return value


class _Settings(BaseSettings):
    """The contract's variables, typed; field aliases are the variable names."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", populate_by_name=False)

    database_url: str = Field(DEFAULT_DATABASE_URL, alias="ETP_DATABASE_URL")
    secret_key: str = Field("", alias="ETP_SECRET_KEY")
    old_secret_keys: str = Field("", alias="ETP_OLD_SECRET_KEYS")
    key_file: str = Field("etp-bot.key", alias="ETP_KEY_FILE")
    retention_days: int = Field(365, alias="ETP_RETENTION_DAYS", ge=1)
    reminder_days: str = Field("", alias="ETP_REMINDER_DAYS")
    code_ttl_days: int = Field(7, alias="ETP_CODE_TTL_DAYS", ge=1)
    staff_alert_telegram_chat: str | None = Field(None, alias="ETP_STAFF_ALERT_TELEGRAM_CHAT")
    max_body_bytes: int = Field(1_048_576, alias="ETP_MAX_BODY_BYTES", ge=1024)
    timezone: str = Field("Asia/Hong_Kong", alias="ETP_TIMEZONE")
    staff_idle_minutes: int = Field(30, alias="ETP_STAFF_IDLE_MINUTES")
    response_targets: str = Field("", alias="ETP_RESPONSE_TARGETS")
    port: int = Field(8080, alias="PORT", ge=1, le=65535)
    log_format: str | None = Field(None, alias="ETP_LOG_FORMAT")
    trusted_proxies: str = Field("", alias="ETP_TRUSTED_PROXIES")
    wechat_token: str | None = Field(None, alias="WECHAT_TOKEN")
    wechat_app_id: str | None = Field(None, alias="WECHAT_APP_ID")
    wechat_app_secret: str | None = Field(None, alias="WECHAT_APP_SECRET")
    wechat_aes_key: str | None = Field(None, alias="WECHAT_AES_KEY")
    wechat_compat_mode: bool = Field(False, alias="WECHAT_COMPAT_MODE")
    wechat_api_base: str = Field("https://api.weixin.qq.com", alias="WECHAT_API_BASE")
    wechat_template_reminder: str | None = Field(None, alias="WECHAT_TEMPLATE_REMINDER")
    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base: str = Field("https://api.telegram.org/bot", alias="TELEGRAM_API_BASE")
    evidence_max_bytes: int = Field(10_485_760, alias="ETP_EVIDENCE_MAX_BYTES", ge=1024)
    alert_smtp_url: str | None = Field(None, alias="ETP_ALERT_SMTP_URL")
    alert_email_to: str = Field("", alias="ETP_ALERT_EMAIL_TO")
    alert_email_from: str | None = Field(None, alias="ETP_ALERT_EMAIL_FROM")
    alert_wecom_webhook: str | None = Field(None, alias="ETP_ALERT_WECOM_WEBHOOK")
    metrics_token: str | None = Field(None, alias="ETP_METRICS_TOKEN")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args, **kwargs):
        return (init_settings,)  # the environment is passed in explicitly by Config.from_env

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if not re.fullmatch(r"(sqlite\+aiosqlite:///.+|postgresql\+asyncpg://\S+)", value):
            raise ValueError("sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: str) -> str:
        return _check_secret("ETP_SECRET_KEY", value) if value else value

    @field_validator("key_file")
    @classmethod
    def _key_file(cls, value: str) -> str:
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as Asia/Hong_Kong, got {value!r}") from None
        return value

    @field_validator("reminder_days")
    @classmethod
    def _days(cls, value: str) -> str:
        if value and not re.fullmatch(r"\s*\d+\s*(,\s*\d+\s*)*", value):
            raise ValueError(f"comma-separated whole numbers of days such as 60,30,7, got {value!r}")
        return value

    @field_validator("response_targets")
    @classmethod
    def _targets(cls, value: str) -> str:
        parse_response_targets(value)
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str | None) -> str | None:
        if value is not None and value not in ("json", "text"):
            raise ValueError(f"json or text, got {value!r}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for part in value.split(","):
            try:
                ipaddress.ip_network(part.strip(), strict=False) if part.strip() else None
            except ValueError:
                raise ValueError("comma-separated IP addresses or networks of the TLS proxy, such as "
                                 f"127.0.0.1,10.0.0.0/8, got {part.strip()!r}") from None
        return value

    @field_validator("wechat_api_base", "telegram_api_base")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("alert_smtp_url")
    @classmethod
    def _smtp(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"smtps?://([^@/\s]+@)?[^@/\s:]+(:\d{1,5})?/?", value):
            raise ValueError("smtp://[USER:PASSWORD@]HOST[:PORT] (STARTTLS when offered) or smtps://… (TLS)")
        return value

    @field_validator("alert_email_to")
    @classmethod
    def _to(cls, value: str) -> str:
        for address in (a.strip() for a in value.split(",") if a.strip()):
            if not re.fullmatch(_ADDRESS, address):
                raise ValueError(f"comma-separated e-mail addresses, got {address!r}")
        return value

    @field_validator("alert_email_from")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(_ADDRESS, value):
            raise ValueError(f"an e-mail address, got {value!r}")
        return value

    @field_validator("alert_wecom_webhook")
    @classmethod
    def _wecom(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+/\S*[?&]key=[^&\s]+\S*", value):
            raise ValueError("the group robot's webhook address, "
                             "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
        return value

    @field_validator(*_FORMATS)
    @classmethod
    def _format(cls, value: str | None, info: ValidationInfo) -> str | None:
        pattern, expected = _FORMATS[info.field_name]
        if value is not None and not re.fullmatch(pattern, value):
            raise ValueError(expected)
        return value


_TYPE_WORDS = {"int_parsing": "a whole number", "greater_than_equal": "a number", "less_than_equal": "a number"}


def _problems(exc: ValidationError) -> list[str]:
    aliases = {name: f.alias for name, f in _Settings.model_fields.items()}
    out = []
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else "?"
        name = aliases.get(loc, loc)
        raw = err.get("input")
        if err["type"] == "value_error":
            expected = str(err.get("ctx", {}).get("error", err["msg"]))
        elif err["type"] == "bool_parsing":
            expected = f"1, true, yes or on (0, false, no or off), got {raw!r}"
        elif err["type"] == "int_parsing":
            expected = f"a whole number, got {raw!r}"
        elif err["type"] in ("greater_than_equal", "less_than_equal"):
            expected = err["msg"].replace("Input should be", "a number").rstrip(".") + f", got {raw!r}"
        else:
            expected = err["msg"]
        out.append(f"{name}: expected {expected}")
    return out


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
    # how soon staff should answer, by queue and urgency: {key: (amount, "min" | "h" | "d")}
    response_targets: dict[str, tuple[int, str]] = field(
        default_factory=lambda: parse_response_targets(""))
    port: int = 8080
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_aes_key: str | None = None
    wechat_compat_mode: bool = False  # safe mode that also takes plaintext requests (兼容模式)
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_template_reminder: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: str = "https://api.telegram.org/bot"
    log_format: str | None = None
    trusted_proxies: tuple[str, ...] = ()  # the TLS proxy's addresses or networks (X-Forwarded-* believed)
    evidence_max_bytes: int = 10_485_760  # photos and documents larger than this are not kept
    # staff alerts besides ETP_STAFF_ALERT_TELEGRAM_CHAT (docs/operations.md "Alerts")
    alert_smtp_url: str | None = None
    alert_email_to: tuple[str, ...] = ()
    alert_email_from: str | None = None
    alert_wecom_webhook: str | None = None
    metrics_token: str | None = None  # bearer token required by /metrics when set
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
    def problems(cls, env: dict[str, str] | None = None) -> list[str]:
        """Every problem of the environment's configuration, one line each (empty when valid)."""
        try:
            cls.from_env(env, _all=True)
        except _Problems as exc:
            return exc.lines
        return []

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, _all: bool = False) -> "Config":
        env = dict(os.environ if env is None else env)
        names = {f.alias for f in _Settings.model_fields.values()}
        try:
            s = _Settings(**{k: v for k, v in env.items() if k in names and v.strip()})  # empty means unset
        except ValidationError as exc:
            lines = _problems(exc)
            raise (_Problems(lines) if _all else ConfigError(lines[0])) from None
        lines = []
        old = tuple(k.strip() for k in s.old_secret_keys.split(",") if k.strip())
        for key in old:
            try:
                _check_secret("ETP_OLD_SECRET_KEYS", key)
            except ValueError as exc:
                lines.append(f"ETP_OLD_SECRET_KEYS: expected each key {exc}")
                break
        if s.wechat_aes_key and not s.wechat_app_id:
            lines.append("WECHAT_APP_ID: expected with WECHAT_AES_KEY (safe mode needs the AppID)")
        if s.wechat_token and not (s.wechat_app_id and s.wechat_app_secret):
            lines.append("WECHAT_APP_ID, WECHAT_APP_SECRET: expected with WECHAT_TOKEN (WeChat on)")
        to = tuple(a.strip() for a in s.alert_email_to.split(",") if a.strip())
        if bool(s.alert_smtp_url) != bool(to):
            lines.append("ETP_ALERT_SMTP_URL, ETP_ALERT_EMAIL_TO: expected together (e-mail alerts need both)")
        if lines:
            raise (_Problems(lines) if _all else ConfigError(lines[0]))
        days = tuple(sorted({int(p) for p in s.reminder_days.split(",") if p.strip()}, reverse=True))
        return cls(
            database_url=s.database_url,
            secret_key=s.secret_key,
            old_secret_keys=old,
            key_file=s.key_file,
            retention_days=s.retention_days,
            reminder_days=days or (60, 30, 7),
            code_ttl_days=s.code_ttl_days,
            staff_alert_telegram_chat=s.staff_alert_telegram_chat,
            max_body_bytes=s.max_body_bytes,
            timezone=s.timezone,
            staff_idle_minutes=max(1, s.staff_idle_minutes),
            response_targets=parse_response_targets(s.response_targets),
            port=s.port,
            wechat_token=s.wechat_token,
            wechat_app_id=s.wechat_app_id,
            wechat_app_secret=s.wechat_app_secret,
            wechat_aes_key=s.wechat_aes_key,
            wechat_compat_mode=s.wechat_compat_mode,
            wechat_api_base=s.wechat_api_base.rstrip("/"),
            wechat_template_reminder=s.wechat_template_reminder,
            telegram_bot_token=s.telegram_bot_token,
            telegram_webhook_secret=s.telegram_webhook_secret,
            telegram_api_base=s.telegram_api_base,
            log_format=s.log_format,
            trusted_proxies=tuple(p.strip() for p in s.trusted_proxies.split(",") if p.strip()),
            evidence_max_bytes=s.evidence_max_bytes,
            alert_smtp_url=s.alert_smtp_url,
            alert_email_to=to,
            alert_email_from=s.alert_email_from,
            alert_wecom_webhook=s.alert_wecom_webhook,
            metrics_token=s.metrics_token,
        )

    def masked(self) -> dict[str, str]:
        """The effective configuration by variable name, secrets replaced by `***` (or `(unset)`)."""
        aliases = {name: f.alias for name, f in _Settings.model_fields.items()}
        out = {}
        for f in fields(self):
            if f.name not in aliases:
                continue
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                shown = "***" if value else "(unset)"
            elif f.name in ("database_url", "alert_smtp_url") and value:
                shown = masked_url(value)
            elif f.name == "alert_wecom_webhook" and value:
                shown = re.sub(r"([?&]key=)[^&]+", r"\1***", value)
            elif isinstance(value, tuple):
                shown = ",".join(str(v) for v in value)
            elif f.name == "response_targets":
                shown = ",".join(f"{key}={amount}{unit}" for key, (amount, unit) in value.items())
            else:
                shown = "(unset)" if value is None else str(value)
            out[aliases[f.name]] = shown
        return out

    def with_secret(self) -> "Config":
        """Return a config whose secret key is set: from the environment, or generated into
        the key file (SQLite only, with a warning). PostgreSQL requires ETP_SECRET_KEY."""
        from dataclasses import replace

        if self.secret_key:
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ConfigError(f"ETP_SECRET_KEY: expected at least {MIN_SECRET_LENGTH} random characters")
            return self
        if not self.is_sqlite:
            raise ConfigError("ETP_SECRET_KEY: expected with PostgreSQL (ETP_SECRET_KEY is required with "
                              f"PostgreSQL: at least {MIN_SECRET_LENGTH} random characters)")
        path = Path(self.key_file)
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                warnings.warn(f"the key file {path} can be read by other users (mode {mode:o}); "
                              f"restrict it with: chmod 600 {path}", KeyFileWarning, stacklevel=2)
            key = path.read_text(encoding="utf-8").strip()
        else:
            key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(key + "\n")
            warnings.warn(
                f"ETP_SECRET_KEY is not set: generated a key into {path} (keep it safe; losing it "
                "makes stored reports unreadable)",
                KeyFileWarning,
                stacklevel=2,
            )
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"ETP_KEY_FILE: expected a key of at least {MIN_SECRET_LENGTH} characters in {path}")
        return replace(self, secret_key=key)


class KeyFileWarning(UserWarning):
    """A notice about the key file, shown to the operator as a plain sentence."""


class _Problems(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines
