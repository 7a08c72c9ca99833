"""Value types of the knowledge base: typed facts, entries, answers."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

EMERGENCY_TOPIC = "safety.emergency"  # the emergency guidance (urgent words): addressable, never matched
WORKER_TOPIC = "contacts.helpline"    # a worker's own question (workers.toml) is answered as the helpline

@dataclass(frozen=True)
class Suggestion:
    topic: str
    title: str

    def to_dict(self) -> dict[str, str]:
        return {"topic": self.topic, "title": self.title}


@dataclass
class Answer:
    answer: str
    topic: str | None
    confidence: float
    lang: str
    handoff: bool = False
    suggestions: list[Suggestion] = field(default_factory=list)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Exactly the keys of CONTRACT.md's ``ask --json`` object."""
        return {
            "answer": self.answer,
            "topic": self.topic,
            "confidence": round(float(self.confidence), 3),
            "lang": self.lang,
            "handoff": self.handoff,
            "suggestions": [s.to_dict() for s in self.suggestions[:3]],
            "source": self.source if self.topic else None,
        }


@dataclass(frozen=True)
class Status:
    key: str
    name_en: str
    name_zh: str
    validity_months: tuple[int, ...]
    certified: bool
    criteria_en: str
    criteria_zh: str
    next_steps_en: str
    next_steps_zh: str


@dataclass(frozen=True)
class Fees:
    registration_usd: int
    audit_per_man_day_usd: int
    certification_usd: int


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    hours: str | None = None
    timezone: str | None = None
    days_en: str | None = None
    days_zh: str | None = None


@dataclass(frozen=True)
class Contacts:
    helpdesk: Contact
    helpline: Contact
    integrity: Contact
    wechat_id: str | None = None


@dataclass(frozen=True)
class Facts:
    fees: Fees
    statuses: dict[str, Status]
    contacts: Contacts
    raw: dict[str, Any]  # the whole facts.toml, for {placeholder} references


@dataclass(frozen=True)
class BlackoutWindow:
    start: dt.date
    end: dt.date  # inclusive
    name_en: str
    name_zh: str
    source: str

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Closure:
    start: dt.date
    end: dt.date  # inclusive
    reason: str


@dataclass
class Entry:
    id: str
    file: str
    title: dict[str, str]
    answer: dict[str, str]
    paraphrases: dict[str, list[str]]
    keywords: dict[str, list[str]]
    source: str
    compute: str | None = None
    templates: dict[str, dict[str, str]] = field(default_factory=dict)
    hidden: bool = False
    menu: int = 100  # position in the browsable FAQ list (lower first)
    handoff: bool = False  # the answer mainly refers the user to a person (facts not in the seeds)
    # a near-domain question the documents don't answer (a country's labour law): the entry's text
    # explains that, but the answer is a decline (topic null, handoff), not a program topic
    declines: bool = False
    # words one of which the question must contain for this entry to answer (a dormitory question
    # without any audit word is not about the audit day); None: no such condition
    requires: "re.Pattern[str] | None" = None
