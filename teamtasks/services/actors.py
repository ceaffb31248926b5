"""Who acts, in which company, with which role; and the one table of what each role may do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Membership, User
from teamtasks.models.enums import Language, Role
from teamtasks.services.errors import Forbidden
from teamtasks.services.users import language_of, refresh, sync_from_telegram


class Permission(StrEnum):
    WORK_ON_TASKS = "tasks.work"
    MANAGE_PROJECTS = "projects.manage"
    INVITE_MEMBERS = "invites.members"
    INVITE_MANAGERS = "invites.managers"
    MANAGE_MEMBERS = "members.manage"
    MANAGE_COMPANY = "company.manage"
    READ_AUDIT = "audit.read"


_EVERYONE = frozenset(Role)
_OWNERS_AND_MANAGERS = frozenset({Role.OWNER, Role.MANAGER})
_OWNERS = frozenset({Role.OWNER})

RIGHTS: Mapping[Permission, frozenset[Role]] = {
    # Create tasks, change status, assignee, due date, priority, project, description; comment.
    Permission.WORK_ON_TASKS: _EVERYONE,
    # Create, rename, archive and restore projects.
    Permission.MANAGE_PROJECTS: _OWNERS_AND_MANAGERS,
    # Create invite links with role member; list invites; revoke member invites.
    Permission.INVITE_MEMBERS: _OWNERS_AND_MANAGERS,
    # Create and revoke invite links with role manager or owner.
    Permission.INVITE_MANAGERS: _OWNERS,
    # Change roles, remove members.
    Permission.MANAGE_MEMBERS: _OWNERS,
    # Rename the company, set its time zone.
    Permission.MANAGE_COMPANY: _OWNERS,
    # Read the audit log.
    Permission.READ_AUDIT: _OWNERS,
}
"""Reading members, projects, tasks and comments, and leaving, need only membership."""


@dataclass(frozen=True)
class Actor:
    """A user acting in their active company; every service scopes its queries by company_id."""

    user_id: int
    telegram_id: int
    company_id: int
    role: Role
    language: Language
    company_name: str
    timezone: str

    def can(self, permission: Permission) -> bool:
        """Whether the actor's role grants the permission (for showing or hiding buttons)."""
        return self.role in RIGHTS[permission]


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden unless the actor's role grants the permission."""
    if not actor.can(permission):
        raise Forbidden(f"errors.forbidden.{permission.value}")


_SENDER = (
    select(User, Membership.role, Company.name, Company.timezone)
    .outerjoin(
        Membership,
        (Membership.user_id == User.id) & (Membership.company_id == User.active_company_id),
    )
    .outerjoin(Company, Company.id == Membership.company_id)
    .where(User.telegram_id == bindparam("telegram_id"))
)
"""Built once: it runs for every update, and building and keying it anew cost ~0.1 ms."""


async def identify(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
) -> tuple[User, Actor | None]:
    """The sender, kept in step with Telegram, and their Actor: one query on the common path.

    Every update needs both, so the user and their active membership are read together.
    """
    row = (await session.execute(_SENDER, {"telegram_id": telegram_id})).first()
    if row is None:
        user = await sync_from_telegram(
            session,
            telegram_id=telegram_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return user, None
    user, role, company_name, timezone = row
    refresh(
        user,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language_code,
    )
    if role is None or user.active_company_id is None:
        return user, None
    actor = Actor(
        user_id=user.id,
        telegram_id=user.telegram_id,
        company_id=user.active_company_id,
        role=role,
        language=language_of(user),
        company_name=company_name,
        timezone=timezone,
    )
    return user, actor


async def resolve_actor(session: AsyncSession, *, user: User) -> Actor | None:
    """The user as an Actor in their active company, or None without a membership there."""
    if user.active_company_id is None:
        return None
    return await actor_in(session, user=user, company_id=user.active_company_id)


async def actor_in(session: AsyncSession, *, user: User, company_id: int) -> Actor | None:
    """The user as an Actor in the given company, or None when not a member of it (one query)."""
    row = (
        await session.execute(
            select(Membership.role, Company.name, Company.timezone)
            .join(Company, Company.id == Membership.company_id)
            .where(Membership.user_id == user.id, Membership.company_id == company_id)
        )
    ).first()
    if row is None:
        return None
    role, company_name, timezone = row
    return Actor(
        user_id=user.id,
        telegram_id=user.telegram_id,
        company_id=company_id,
        role=role,
        language=language_of(user),
        company_name=company_name,
        timezone=timezone,
    )
