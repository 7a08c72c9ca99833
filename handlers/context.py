"""What a command or flow handler gets: the services, the contact, its conversation state."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.messages import Choice, Incoming, Reply
from bot.core.models import Contact, Conversation
from bot.core.texts import t

if TYPE_CHECKING:  # pragma: no cover
    from knowledge import KnowledgeBase

DRAFT_TTL = timedelta(hours=24)


@dataclass
class Services:
    """Long-lived things every handler may use; built once per process."""

    config: Config
    secrets: Secrets
    kb: "KnowledgeBase"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    today_override: date | None = None  # `--today` for date-aware answers

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def today(self) -> date:
        return self.today_override or self.clock().astimezone(self.tz).date()


@dataclass
class Input:
    """What the user sent, as a flow sees it: typed text, or the id of a choice they picked."""

    text: str
    choice: str | None
    incoming: Incoming


@dataclass
class Context:
    session: AsyncSession
    services: Services
    contact: Contact
    conv: Conversation
    incoming: Incoming
    lang: str
    data: dict[str, Any] = field(default_factory=dict)
    left_flow: str | None = None  # the flow a command just ended, if any

    # -- helpers ---------------------------------------------------------------------------
    def t(self, key: str, **kw: Any) -> str:
        return t(key, self.lang, **kw)

    def reply(self, key: str, *choices: Choice, **kw: Any) -> Reply:
        return Reply(self.t(key, **kw), tuple(choices))

    @property
    def now(self) -> datetime:
        return self.services.clock()

    @property
    def secrets(self) -> Secrets:
        return self.services.secrets

    @property
    def kb(self) -> "KnowledgeBase":
        return self.services.kb

    # -- flow state (persisted by the dialogue after the handler returns) ------------------
    @property
    def flow(self) -> str | None:
        return self.conv.flow

    @property
    def step(self) -> str | None:
        return self.conv.step

    def start_flow(self, flow: str, step: str, data: dict[str, Any] | None = None, ttl: timedelta = DRAFT_TTL) -> None:
        self.conv.flow, self.conv.step = flow, step
        self.data = dict(data or {})
        self.conv.expires_at = self.now + ttl

    def goto(self, step: str) -> None:
        self.conv.step = step

    def end_flow(self) -> None:
        self.conv.flow = self.conv.step = None
        self.data = {}
        self.conv.expires_at = None

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.contact.lang = lang

    def save_state(self) -> None:
        self.conv.data_enc = self.secrets.encrypt_json(self.data) if self.data else None

    def load_state(self) -> None:
        self.data = self.secrets.decrypt_json(self.conv.data_enc) if self.conv.data_enc else {}

    def offered_choice(self, token: str) -> str | None:
        """The id of the choice offered last that `token` names (its id or its digest), or None."""
        for c in self.choices_from_json(self.conv.choices_json):
            if token in (c.id, c.digest):
                return c.id
        return None

    @staticmethod
    def choices_from_json(raw: str | None) -> list[Choice]:
        return [Choice(i, label) for i, label in json.loads(raw)] if raw else []
