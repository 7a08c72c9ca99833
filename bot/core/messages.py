"""The two value types that carry everything between channels and the dialogue."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEXT = "text"
IMAGE = "image"
VOICE = "voice"
LOCATION = "location"
LINK = "link"
EVENT = "event"
CHOICE = "choice"  # a button press: `text` is the choice id, or its `Choice.digest`
OTHER = "other"


@dataclass(frozen=True)
class Incoming:
    """One message from a user, whatever the channel.

    `contact` is the platform's id of the chat account (OpenID, Telegram chat id, …): it is
    opaque to the dialogue, never logged, and stored only hashed and encrypted.
    """

    channel: str
    contact: str
    message_id: str
    kind: str = TEXT
    text: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    private: bool = True  # False in a group chat
    event: str | None = None  # subscribe, unsubscribe, click, …
    extra: dict[str, Any] = field(default_factory=dict)
    # the channel can fetch a photo sent in this chat later (the platform keeps it: WeChat's
    # MediaId, Telegram's file_id), so a report may take photos; the terminal cannot
    media_later: bool = False


@dataclass(frozen=True)
class Choice:
    id: str  # an action, e.g. "status", "faq:fees.registration", "hl:cat:wages"
    label: str

    @property
    def digest(self) -> str:
        """A short stand-in for a long id (a platform's button may carry only a few bytes,
        Telegram's 64): the dialogue takes it for the choice among those it offered last."""
        return "#" + hashlib.sha256(self.id.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "choices": [[c.id, c.label] for c in self.choices]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reply":
        return cls(data["text"], tuple(Choice(i, label) for i, label in data.get("choices", [])))


def render_numbered(reply: Reply) -> str:
    """Text with choices as numbered lines (WeChat, terminal): the user answers with a digit."""
    if not reply.choices:
        return reply.text
    lines = [reply.text, ""] if reply.text else []
    lines += [f"{n}. {c.label}" for n, c in enumerate(reply.choices, 1)]
    return "\n".join(lines)
