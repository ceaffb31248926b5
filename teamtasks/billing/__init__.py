"""Payment providers (sandbox, YooKassa, Telegram Stars) behind one interface: see base.py."""
