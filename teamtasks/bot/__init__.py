"""The Telegram side: aiogram routers, middlewares and the factory that wires them."""
