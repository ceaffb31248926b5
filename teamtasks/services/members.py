"""Members of a company: list with roles, change a role, remove, leave; never without an owner.

Every change that could remove an owner first locks the company row, so two owners demoting or
removing each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Company, Membership, Task, User
from teamtasks.models.enums import Role
from teamtasks.services import audit
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.errors import LastOwner, NotFound
from teamtasks.services.tasks import OPEN_STATUSES
from teamtasks.services.users import display_name
from teamtasks.services.validation import check_id, choice

_ROLE_ORDER = case(
    (Membership.role == Role.OWNER, 0), (Membership.role == Role.MANAGER, 1), else_=2
)


@dataclass(frozen=True)
class MemberInfo:
    """A member as the member list shows them."""

    user_id: int
    name: str
    username: str | None
    role: Role
    joined_at: datetime


async def list_members(session: AsyncSession, *, actor: Actor) -> list[MemberInfo]:
    """The company's members: owners, then managers, then members, each by joining date."""
    rows = await session.execute(
        select(User, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == actor.company_id)
        .order_by(_ROLE_ORDER, Membership.created_at, Membership.id)
    )
    return [
        MemberInfo(
            user_id=user.id,
            name=display_name(user),
            username=user.username,
            role=role,
            joined_at=joined_at,
        )
        for user, role, joined_at in rows
    ]


async def get_membership(session: AsyncSession, *, actor: Actor, user_id: int) -> Membership:
    """The membership of a user in the actor's company; NotFound when they are not a member."""
    check_id(user_id, NotFound("errors.not_found.member"))
    membership = await session.scalar(
        select(Membership).where(
            Membership.company_id == actor.company_id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise NotFound("errors.not_found.member")
    return membership


async def change_role(
    session: AsyncSession, *, actor: Actor, user_id: int, role: Role
) -> Membership:
    """Give a member another role (owners); the last owner cannot be demoted."""
    require(actor, Permission.MANAGE_MEMBERS)
    role = choice(Role, role)
    check_id(user_id, NotFound("errors.not_found.member"))
    await _lock_company(session, actor.company_id)
    membership = await get_membership(session, actor=actor, user_id=user_id)
    if membership.role is role:
        return membership
    if membership.role is Role.OWNER:
        await _ensure_another_owner(session, actor.company_id)
    audit.record_by(
        session, actor, "member.role_changed", "member", user_id, before=membership.role, after=role
    )
    membership.role = role
    await session.flush()
    return membership


async def remove_member(session: AsyncSession, *, actor: Actor, user_id: int) -> None:
    """Remove a member (owners); their open tasks in the company become unassigned."""
    require(actor, Permission.MANAGE_MEMBERS)
    check_id(user_id, NotFound("errors.not_found.member"))
    await _lock_company(session, actor.company_id)
    membership = await get_membership(session, actor=actor, user_id=user_id)
    if membership.role is Role.OWNER:
        await _ensure_another_owner(session, actor.company_id)
    unassigned = await _drop_membership(session, membership)
    audit.record_by(
        session,
        actor,
        "member.removed",
        "member",
        user_id,
        role=membership.role,
        tasks_unassigned=unassigned,
    )
    await session.flush()


async def leave_company(session: AsyncSession, *, actor: Actor) -> None:
    """Leave the actor's company (anyone but its last owner)."""
    await _lock_company(session, actor.company_id)
    membership = await get_membership(session, actor=actor, user_id=actor.user_id)
    if membership.role is Role.OWNER:
        await _ensure_another_owner(session, actor.company_id)
    unassigned = await _drop_membership(session, membership)
    audit.record_by(
        session,
        actor,
        "member.left",
        "member",
        actor.user_id,
        role=membership.role,
        tasks_unassigned=unassigned,
    )
    await session.flush()


async def _lock_company(session: AsyncSession, company_id: int) -> None:
    """Serialise owner-changing work of one company (FOR UPDATE; SQLite serialises writers)."""
    await session.execute(select(Company.id).where(Company.id == company_id).with_for_update())


async def _ensure_another_owner(session: AsyncSession, company_id: int) -> None:
    owners = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.company_id == company_id, Membership.role == Role.OWNER)
    )
    if (owners or 0) <= 1:
        raise LastOwner


async def _drop_membership(session: AsyncSession, membership: Membership) -> int:
    """Delete the membership, unassign the user's open tasks there, move their active company."""
    company_id, user_id = membership.company_id, membership.user_id
    unassigned = await session.execute(
        update(Task)
        .where(
            Task.company_id == company_id,
            Task.assignee_id == user_id,
            Task.status.in_(OPEN_STATUSES),
        )
        .values(assignee_id=None)
        .returning(Task.id)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        delete(Membership)
        .where(Membership.id == membership.id)
        .execution_options(synchronize_session="fetch")
    )
    other = await session.scalar(
        select(Membership.company_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at.desc(), Membership.id.desc())
        .limit(1)
    )
    await session.execute(
        update(User)
        .where(User.id == user_id, User.active_company_id == company_id)
        .values(active_company_id=other)
        .execution_options(synchronize_session="fetch")
    )
    return len(unassigned.all())
