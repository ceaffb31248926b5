"""teamtasks: a Telegram-native task tracker for teams."""

__version__ = "0.1.0"
