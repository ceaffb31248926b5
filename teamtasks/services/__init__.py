"""Business rules: plain async functions over a session; no aiogram, no FastAPI here."""
