"""Factory accounts in the dialogue: `/status`, `/bind CODE`, `/unbind` and the auditor check.
Importing the package registers its texts, commands, flow and matcher (see handlers.dialogue)."""
from . import texts  # noqa: F401  (first: the others use its strings)
from . import auditor, commands  # noqa: F401
