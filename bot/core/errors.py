"""Errors shown to the person at the command line as one clear line."""


class UserError(Exception):
    """Bad input or configuration; the message says what to do."""
