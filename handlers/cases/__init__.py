"""Confidential case flows: the worker helpline, integrity reports, the helpdesk handoff and
follow-up by case reference. Importing the package registers their commands and flows."""
from handlers.cases import (
    followup,
    handoff,
    helpline,
    integrity,
)

__all__ = ["followup", "handoff", "helpline", "integrity"]
