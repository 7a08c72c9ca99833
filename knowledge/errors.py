"""The one error the knowledge package raises for bad data files."""
from __future__ import annotations


class KnowledgeError(Exception):
    """A knowledge data file is invalid.

    ``file`` is the path of the offending file, ``entry`` the entry (topic id or table name) inside it,
    ``reason`` what is wrong. ``str(err)`` names all three so a staff member can fix the file.
    """

    def __init__(self, file: str, entry: str | None, reason: str):
        self.file = str(file)
        self.entry = entry
        self.reason = reason
        where = f"{self.file}: entry {entry!r}" if entry else self.file
        super().__init__(f"{where}: {reason}")
