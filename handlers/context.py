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
from bot.core.crypto import DecryptError, Secrets
from bot.core.messages import Choice, Incoming, Reply
from bot.core.models import Contact, Conversation
from bot.core.texts import t
from bot.services.contacts import set_conversation

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
    _offered: tuple[str | None, list[Choice]] | None = field(default=None, repr=False)
    _loaded: dict[str, Any] | None = field(default=None, repr=False)  # the state as stored (new format)

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
    # The flow, step and expiry are kept with the collected fields in the encrypted `data_enc`,
    # never in the conversation row's clear columns: a copy of the database must not show that a
    # contact is in the middle of a report.
    flow: str | None = None
    step: str | None = None
    expires_at: datetime | None = None

    def start_flow(self, flow: str, step: str, data: dict[str, Any] | None = None, ttl: timedelta = DRAFT_TTL) -> None:
        self.flow, self.step = flow, step
        self.data = dict(data or {})
        self.expires_at = self.now + ttl

    def goto(self, step: str) -> None:
        self.step = step

    def end_flow(self) -> None:
        self.flow = self.step = None
        self.data = {}
        self.expires_at = None

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.contact.lang = lang

    def save_state(self) -> None:
        state = {"flow": self.flow, "step": self.step, "data": self.data,
                 "expires": self.expires_at.isoformat() if self.expires_at else None}
        if self.flow or self.data:
            if state != self._loaded:  # unchanged: left as stored (no new ciphertext, no write)
                set_conversation(self.session, self.conv, data_enc=self.secrets.encrypt_json(state))
        elif self.conv.data_enc is not None:
            set_conversation(self.session, self.conv, data_enc=None)
        # the clear columns of an earlier release are emptied (assigned only when set: no write)
        for column in ("flow", "step", "expires_at"):
            if getattr(self.conv, column) is not None:
                setattr(self.conv, column, None)

    def load_state(self) -> None:
        stored = self.secrets.decrypt(self.conv.data_enc) if self.conv.data_enc else "{}"
        state = raw_state = json.loads(stored)
        if "data" not in state:  # written by an earlier release: the fields alone, flow in clear
            state = {"flow": self.conv.flow, "step": self.conv.step, "data": state,
                     "expires": self.conv.expires_at.isoformat() if self.conv.expires_at else None}
        self.flow, self.step, self.data = state.get("flow"), state.get("step"), state.get("data") or {}
        self.expires_at = datetime.fromisoformat(state["expires"]) if state.get("expires") else None
        # a second parse of the stored text is the untouched copy (a tenth of `deepcopy`'s CPU)
        self._loaded = json.loads(stored) if self.conv.data_enc and "data" in raw_state else None

    def offer(self, choices: list[Choice]) -> None:
        """Remember the choices just offered (encrypted: their ids name the flow); the same
        choices as last time are left as they are stored (no new ciphertext, no write)."""
        stored = self.conv.choices_json
        if not choices and stored is None:
            return
        if stored and not stored.startswith("[") and \
                [(c.id, c.label) for c in choices] == [(c.id, c.label) for c in self.offered()]:
            return
        set_conversation(self.session, self.conv, choices_json=self.secrets.encrypt_json(
            [[c.id, c.label] for c in choices]) if choices else None)
        self._offered = (self.conv.choices_json, list(choices))

    def offered(self) -> list[Choice]:
        raw = self.conv.choices_json
        if self._offered is None or self._offered[0] != raw:  # read once per stored value
            self._offered = (raw, self.choices_from_json(raw, self.secrets))
        return self._offered[1]

    def offered_choice(self, token: str) -> str | None:
        """The id of the choice offered last that `token` names (its id or its digest), or None."""
        for c in self.offered():
            if token in (c.id, c.digest):
                return c.id
        return None

    @staticmethod
    def choices_from_json(raw: str | None, secrets: Secrets) -> list[Choice]:
        if not raw:
            return []
        try:
            pairs = json.loads(raw) if raw.startswith("[") else secrets.decrypt_json(raw)  # "[": earlier release
        except DecryptError:
            return []
        return [Choice(i, label) for i, label in pairs]
