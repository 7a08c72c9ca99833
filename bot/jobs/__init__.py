"""Periodic jobs run by `bot.scheduler` (reminders, retention)."""
