"""Foundations: configuration, database, models and migrations, crypto, logs, errors, locks, CSV reading, metrics, and the value types every layer passes. Imports nothing of the layers above."""
