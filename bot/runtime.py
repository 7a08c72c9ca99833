"""Building the long-lived objects of a process from its configuration."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.config import Config
from bot.core.crypto import Secrets
from bot.core.db import Database
from handlers.context import Services
from handlers.dialogue import Dialogue

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    config: Config
    db: Database
    services: Services
    dialogue: Dialogue

    async def close(self) -> None:
        await self.db.close()


async def build_runtime(config: Config, *, create_schema: bool = True) -> Runtime:
    """Config → database (schema created or migrated), secrets, knowledge base, dialogue."""
    from knowledge import load_default

    config = config.with_secret()
    db = Database(config.database_url)
    secrets = Secrets.from_config(config)
    if create_schema:
        from bot.core.migrate import upgrade

        await upgrade(db, secrets=secrets)
    services = Services(config=config, secrets=secrets, kb=load_default())
    return Runtime(config, db, services, Dialogue(services))
