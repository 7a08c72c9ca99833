"""Logs: one JSON object a line (for collectors), or readable text on a terminal; with a request id;
never identifiers or message text.

`ETP_LOG_FORMAT` chooses (`json` or `text`); unset, standard error decides: text on a terminal,
JSON otherwise. Text is one line a record: time (in the office time zone), level, logger, message,
then the extra fields as `key=value`.

Code logs events with `extra={...}` fields that are safe by construction (kinds, counts, keyed
hashes from `Secrets.log_id`). Third-party loggers that print URLs with tokens or ids (httpx,
python-telegram-bot, aiohttp's access log) are kept at WARNING.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# alembic: its set-up chatter; `bot.core.migrate` logs each revision applied itself
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "aiohttp.access", "asyncio", "alembic")
FORMATS = ("json", "text")


def _extras(record: logging.LogRecord) -> dict:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            data["request_id"] = rid
        data.update(_extras(record))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-12-02 21:45:01 INFO  bot.outbox_worker: outbox delivery  channel=telegram outcome=sent`"""

    def __init__(self, timezone: str | None = None) -> None:
        super().__init__()
        self.tz = ZoneInfo(timezone) if timezone else None

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, self.tz or UTC).strftime("%Y-%m-%d %H:%M:%S")
        fields = _extras(record)
        rid = request_id.get()
        if rid:
            fields = {"request_id": rid, **fields}
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line += "  " + " ".join(f"{k}={_text_value(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text_value(value) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or any(c.isspace() or c in '"=' for c in text)) else text


def default_format(stream) -> str:
    """Text on a terminal, JSON otherwise (a file, a pipe, journald)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return "text" if isatty is not None and isatty() else "json"
    except ValueError:  # a closed stream
        return "json"


def setup_logging(level: int = logging.INFO, *, quiet: bool = False, stream=None, fmt: str | None = None,
                  timezone: str | None = None) -> None:
    """Logs to `stream` (standard error) in `fmt` (`json`/`text`; unset: by TTY); text shows times in
    `timezone` (the office zone, ETP_TIMEZONE)."""
    stream = stream or sys.stderr
    fmt = fmt or default_format(stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter(timezone) if fmt == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(False)  # operator notices (generated key) stay plain sentences (bot.cli)
