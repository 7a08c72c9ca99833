"""Every table of the bot. Import a feature's models module here so metadata knows them."""
from bot.core.models.base import Base, UTCDateTime, utcnow
from bot.core.models.contacts import Contact, Conversation
from bot.core.models.locks import Lease, SharedValue
from bot.core.models.outbox import OutboxMessage

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Contact", "Conversation",
    "Lease", "SharedValue",
    "OutboxMessage",
]

# Feature tables, each in its own module (imported so the metadata knows them).
from bot.core.models import cases, evidence, factories, insights, messaging  # noqa: F401
