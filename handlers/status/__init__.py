"""Factory accounts in the dialogue: `/status`, `/bind CODE`, `/unbind` and the auditor check.
Importing the package registers its commands, flow and matcher (texts: bot/core/texts/status.toml) (see handlers.dialogue)."""
from handlers.status import (  # noqa: F401
    auditor,
    commands,
)
