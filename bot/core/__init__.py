"""Foundations: configuration, database, models and migrations, crypto, logs, errors, locks, CSV
reading, metrics, the text catalogue, and the value types every layer passes. Imports nothing of
the layers above."""
