"""Confidential case flows: the worker helpline, integrity reports, the helpdesk handoff and
follow-up by case reference. Importing the package registers their commands and flows."""
from . import texts  # noqa: F401 - strings first
from . import followup, handoff, helpline, integrity  # noqa: F401

__all__ = ["followup", "handoff", "helpline", "integrity"]
