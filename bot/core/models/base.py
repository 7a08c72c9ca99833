"""Declarative base shared by every table, and column types that behave the same on SQLite
and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLite: the text SQLAlchemy's DATETIME stores ("2026-12-04 05:05:18.508092", always six
        # digits), written by `isoformat` in C instead of its %-format of seven fields: the hot
        # path's statements bind a few a message
        def process(value):
            if value is None:
                return None
            if value.tzinfo is not UTC:
                value = _as_utc(value)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime stored; use bot.core.models.base.utcnow()")
    return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow_hour() -> datetime:
    """The current hour (UTC): for timestamps that, to the second, would join a case to the
    chat account that wrote it (contacts, conversations)."""
    return utcnow().replace(minute=0, second=0, microsecond=0)
