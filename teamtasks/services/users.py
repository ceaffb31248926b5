"""Users as Telegram knows them, kept in step with every update they send."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import DEFAULT_LANGUAGE, language_from_telegram
from teamtasks.models import User
from teamtasks.models.enums import Language


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
    refresh(
        user,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
    )
    return user


def refresh(
    user: User,
    *,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
) -> None:
    """Take what Telegram says of the user now; a user who writes to us is reachable again.

    Only what changed is assigned: assigning even an equal value marks the row modified, and
    the flush that ends every update would then examine it for nothing.
    """
    told = {
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "language_code": language_code,
    }
    for name, value in told.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
    if not user.is_reachable:
        user.is_reachable = True
        user.unreachable_since = None


def language_of(user: User) -> Language:
    """The language to speak to this user: the one chosen, else Telegram's, else Russian."""
    return user.language or language_from_telegram(user.language_code, DEFAULT_LANGUAGE)


def display_name(user: User) -> str:
    """The user's name as people see it (raw text: escape it when rendering HTML)."""
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name
