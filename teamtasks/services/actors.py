"""Who acts, in which company, with which role; and the one table of what each role may do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CTE, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Membership, Subscription, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, Role, SubscriptionStatus
from teamtasks.services import standing
from teamtasks.services.errors import Forbidden, OutOfGoodStanding
from teamtasks.services.users import language_of, refresh, sync_from_telegram


class Permission(StrEnum):
    WORK_ON_TASKS = "tasks.work"
    MANAGE_PROJECTS = "projects.manage"
    INVITE_MEMBERS = "invites.members"
    INVITE_MANAGERS = "invites.managers"
    MANAGE_MEMBERS = "members.manage"
    MANAGE_COMPANY = "company.manage"
    READ_AUDIT = "audit.read"
    MANAGE_BILLING = "billing.manage"
    EXPORT_DATA = "data.export"


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
    # Buy and change the plan; see invoices.
    Permission.MANAGE_BILLING: _OWNERS,
    # Export the company's data (`/export`), in good standing or not.
    Permission.EXPORT_DATA: _OWNERS,
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
    subscription_status: SubscriptionStatus | None
    """The company's subscription as it was read with the actor (None: it has none)."""
    period_end: datetime | None
    grace_until: datetime | None

    def can(self, permission: Permission) -> bool:
        """Whether the actor's role grants the permission (for showing or hiding buttons)."""
        return self.role in RIGHTS[permission]

    def in_good_standing(self, now: datetime | None = None) -> bool:
        """Whether the company may create (services/standing.py), with no query."""
        if self.subscription_status is None or self.period_end is None:
            return False
        return standing.in_good_standing(
            self.subscription_status, self.period_end, self.grace_until, now or utcnow()
        )


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden unless the actor's role grants the permission."""
    if not actor.can(permission):
        raise Forbidden(f"errors.forbidden.{permission.value}")


def require_good_standing(actor: Actor, now: datetime | None = None) -> None:
    """Raise OutOfGoodStanding (whose text offers /buy) when the company may not create."""
    if not actor.in_good_standing(now):
        raise OutOfGoodStanding


_STANDING = (Subscription.status, Subscription.current_period_end, Subscription.grace_until)
"""Read with every actor, so that refusing creation out of good standing costs no query."""

_SENDER_COLUMNS = (User, Membership.role, Company.name, Company.timezone, *_STANDING)


def _with_active_company(statement: Select[Any]) -> Select[Any]:
    return (
        statement.outerjoin(
            Membership,
            (Membership.user_id == User.id) & (Membership.company_id == User.active_company_id),
        )
        .outerjoin(Company, Company.id == Membership.company_id)
        .outerjoin(Subscription, Subscription.company_id == Membership.company_id)
    )


_SENDER = _with_active_company(select(*_SENDER_COLUMNS)).where(
    User.telegram_id == bindparam("telegram_id")
)
"""Built once: it runs for every update, and building and keying it anew cost ~0.1 ms."""


def sender_after(claim: CTE) -> Select[Any]:
    """`_SENDER` run in the statement of the update's claim (a data-modifying CTE).

    Every update claims its id and reads its sender; on PostgreSQL both go in one round trip.
    The first column counts the claimed rows (0 or 1); a row comes back even for a sender who
    is not a user yet, with the sender's columns NULL.
    """
    claimed = select(func.count().label("claimed")).select_from(claim).subquery("claimed")
    return _with_active_company(
        select(claimed.c.claimed, *_SENDER_COLUMNS)
        .select_from(claimed)
        .outerjoin(User, User.telegram_id == bindparam("telegram_id"))
    )


@dataclass(frozen=True)
class SenderLookup:
    """The sender's row as `sender_after` read it, for `identify` (None: not a user yet)."""

    row: Sequence[Any] | None


async def identify(
    session: AsyncSession,
    *,
    telegram_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    found: SenderLookup | None = None,
) -> tuple[User, Actor | None]:
    """The sender, kept in step with Telegram, and their Actor: one query on the common path.

    Every update needs both, so the user and their active membership are read together; when
    the update's claim already read them (`found`), no query at all.
    """
    row: Sequence[Any] | None = found.row if found else None
    if found is None:
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
    user, role, company_name, timezone, status, period_end, grace_until = row
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
        subscription_status=status,
        period_end=period_end,
        grace_until=grace_until,
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
            select(Membership.role, Company.name, Company.timezone, *_STANDING)
            .join(Company, Company.id == Membership.company_id)
            .outerjoin(Subscription, Subscription.company_id == Membership.company_id)
            .where(Membership.user_id == user.id, Membership.company_id == company_id)
        )
    ).first()
    if row is None:
        return None
    role, company_name, timezone, status, period_end, grace_until = row
    return Actor(
        user_id=user.id,
        telegram_id=user.telegram_id,
        company_id=company_id,
        role=role,
        language=language_of(user),
        company_name=company_name,
        timezone=timezone,
        subscription_status=status,
        period_end=period_end,
        grace_until=grace_until,
    )
