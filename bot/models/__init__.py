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

# Feature tables, each in its own module (imported when present).
import importlib as _importlib

for _name in ("messaging", "factories", "cases", "insights"):
    try:
        _importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_name}":
            raise
