"""Every table of the bot. Import a feature's models module here so metadata knows them."""
from .base import Base, UTCDateTime, utcnow
from .contacts import Contact, Conversation
from .locks import Lease, SharedValue
from .outbox import OutboxMessage

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Contact", "Conversation",
    "Lease", "SharedValue",
    "OutboxMessage",
]

# Feature tables, each in its own module (imported so the metadata knows them).
from . import cases, factories, insights, messaging  # noqa: E402,F401
