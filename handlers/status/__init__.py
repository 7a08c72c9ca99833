"""Factory accounts in the dialogue: `/status`, `/bind CODE`, `/unbind` and the auditor check.
Importing the package registers its texts, commands, flow and matcher (see handlers.dialogue)."""
from handlers.status import (  # noqa: F401
    auditor,
    commands,
    texts,
)
