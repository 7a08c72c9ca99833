"""The domain, each a small module over `bot.core`: cases and references, factories, bindings and
validity, auditors, keys, retention, the outbox's enqueue side, contacts, throttles."""
