"""Confidential case flows: the worker helpline, integrity reports, the helpdesk handoff and
follow-up by case reference. Importing the package registers their commands and flows."""
from handlers.cases import (  # noqa: F401
    followup,
    handoff,
    helpline,
    integrity,
    texts,
)

__all__ = ["followup", "handoff", "helpline", "integrity"]
