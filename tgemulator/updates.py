"""The bot's update queue with getUpdates' confirmation and long-polling rules."""

from __future__ import annotations

from typing import Any

from .errors import ApiError
from .notify import Notifier

DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class UpdateQueue:
    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.allowed: list[str] = []
        self.webhook_active = False
        self.closed = False
        self.arrivals = Notifier()
        self._poll_generation = 0

    def wants(self, kind: str) -> bool:
        """Whether ``allowed_updates`` lets an update of this kind be created."""
        if self.allowed:
            return kind in self.allowed
        return kind not in DEFAULT_EXCLUDED

    def push(self, kind: str, payload: dict[str, Any]) -> bool:
        if not self.wants(kind):
            return False
        self.pending.append({"update_id": self.next_update_id, kind: payload})
        self.next_update_id += 1
        self.arrivals.notify()
        return True

    def set_allowed(self, allowed: Any) -> None:
        """Keep the previous setting when the parameter is absent, as Telegram does."""
        if isinstance(allowed, list):
            self.allowed = [str(kind) for kind in allowed]

    def confirm(self, offset: int) -> None:
        """Forget updates before ``offset``; a negative one keeps the last ``-offset``."""
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def drop_pending(self) -> None:
        self.pending.clear()

    def wake_pollers(self) -> None:
        self.arrivals.notify()

    async def get_updates(self, offset: int | None, limit: int, poll_seconds: float) -> list[Any]:
        if self.webhook_active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._poll_generation += 1
        generation = self._poll_generation
        self.arrivals.notify()
        if offset is not None:
            self.confirm(offset)
        if not self.pending and poll_seconds > 0:
            await self.arrivals.wait_for(
                lambda: (
                    bool(self.pending)
                    or generation != self._poll_generation
                    or self.webhook_active
                    or self.closed
                ),
                poll_seconds,
            )
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self.webhook_active:
                raise ApiError(409, WEBHOOK_CONFLICT)
        return self.pending[:limit]
