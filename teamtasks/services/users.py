"""Users as Telegram knows them, kept in step with every update they send."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import User


async def sync_from_telegram(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
) -> User:
    """The user with this Telegram id, created or updated from what Telegram says of them.

    One SELECT on the common path; a write only when something changed.
    """
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if user is None:
        user = User(
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        session.add(user)
        await session.flush()
        return user
    user.first_name = first_name
    user.last_name = last_name
    user.username = username
    user.language_code = language_code
    if not user.is_reachable:
        user.is_reachable = True
        user.unreachable_since = None
    return user
