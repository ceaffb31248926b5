"""Invite links `t.me/<bot>?start=inv_<token>`: create, list, revoke, and join by token.

A use is counted with one conditional UPDATE, so concurrent joins never pass `max_uses`.
Joining a company one already belongs to returns the membership and consumes nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import dialect_insert
from teamtasks.models import Company, Invite, Membership, User
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Role
from teamtasks.services import audit, limits
from teamtasks.services.actors import Actor, Permission, require, require_good_standing
from teamtasks.services.errors import (
    InvalidInput,
    InviteExpired,
    InviteRevoked,
    InviteUnknown,
    InviteUsedUp,
    NotFound,
)
from teamtasks.services.validation import check_id, choice

PAYLOAD_PREFIX = "inv_"
TOKEN_BYTES = 24
"""32 URL-safe characters: `inv_<token>` is 36, within Telegram's 64-character start payload."""
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,48}")

DEFAULT_TTL = timedelta(days=7)
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=30)
MAX_USES_LIMIT = 1000


@dataclass(frozen=True)
class JoinResult:
    """The company joined, the role held there, and whether this join created the membership."""

    company: Company
    role: Role
    joined: bool


def deep_link_payload(invite: Invite) -> str:
    """The `start` payload of the invite's deep link: `inv_<token>`."""
    return f"{PAYLOAD_PREFIX}{invite.token}"


def token_from_payload(payload: str) -> str | None:
    """The token of an `inv_<token>` start payload, or None when it is not an invite payload."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    return payload[len(PAYLOAD_PREFIX) :]


async def create_invite(
    session: AsyncSession,
    *,
    actor: Actor,
    role: Role = Role.MEMBER,
    ttl: timedelta = DEFAULT_TTL,
    max_uses: int | None = None,
    now: datetime | None = None,
) -> Invite:
    """A new invite link (owners and managers; only owners invite managers and owners)."""
    role = choice(Role, role)
    _require_for_role(actor, role)
    require_good_standing(actor)
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise InvalidInput("errors.invalid.invite_ttl")
    if max_uses is not None and not 1 <= max_uses <= MAX_USES_LIMIT:
        raise InvalidInput("errors.invalid.invite_max_uses", max=MAX_USES_LIMIT)
    now = now or utcnow()
    invite = Invite(
        company_id=actor.company_id,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        role=role,
        created_by_id=actor.user_id,
        expires_at=now + ttl,
        max_uses=max_uses,
    )
    session.add(invite)
    await session.flush()
    audit.record_by(
        session,
        actor,
        "invite.created",
        "invite",
        invite.id,
        role=role,
        expires_at=invite.expires_at,
        max_uses=max_uses,
    )
    return invite


async def list_active_invites(
    session: AsyncSession, *, actor: Actor, now: datetime | None = None
) -> list[Invite]:
    """The company's usable invites (not revoked, expired or used up), newest first."""
    require(actor, Permission.INVITE_MEMBERS)
    now = now or utcnow()
    statement = (
        select(Invite)
        .where(
            Invite.company_id == actor.company_id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .order_by(Invite.created_at.desc(), Invite.id.desc())
    )
    return list((await session.scalars(statement)).all())


async def revoke_invite(
    session: AsyncSession, *, actor: Actor, invite_id: int, now: datetime | None = None
) -> Invite:
    """Revoke an invite of the company; revoking twice changes nothing."""
    require(actor, Permission.INVITE_MEMBERS)
    check_id(invite_id, NotFound("errors.not_found.invite"))
    invite = await session.scalar(
        select(Invite).where(Invite.id == invite_id, Invite.company_id == actor.company_id)
    )
    if invite is None:
        raise NotFound("errors.not_found.invite")
    _require_for_role(actor, invite.role)
    if invite.revoked_at is None:
        invite.revoked_at = now or utcnow()
        audit.record_by(session, actor, "invite.revoked", "invite", invite.id, role=invite.role)
        await session.flush()
    return invite


def _require_for_role(actor: Actor, role: Role) -> None:
    require(actor, Permission.INVITE_MEMBERS)
    if role is not Role.MEMBER:
        require(actor, Permission.INVITE_MANAGERS)


async def join_by_token(
    session: AsyncSession, *, user: User, token: str, now: datetime | None = None
) -> JoinResult:
    """Join the invite's company and make it active; each refusal says why the link is dead."""
    if not _TOKEN_PATTERN.fullmatch(token):
        raise InviteUnknown
    row = (
        await session.execute(
            select(Invite, Company)
            .join(Company, Company.id == Invite.company_id)
            .where(Invite.token == token)
        )
    ).first()
    if row is None:
        raise InviteUnknown
    invite, company = row
    existing = await _role_in(session, company.id, user)
    if existing is not None:
        return await _already_member(session, user, company, existing)

    now = now or utcnow()
    _check_usable(invite, now)
    counted = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
        .returning(Invite.uses)
        .execution_options(synchronize_session="fetch")
    )
    if counted.first() is None:
        # Someone else took the last use, or revoked the link, while we looked; or this very
        # user joined in a concurrent transaction.
        existing = await _role_in(session, company.id, user)
        if existing is not None:
            return await _already_member(session, user, company, existing)
        await session.refresh(invite)
        _check_usable(invite, now)
        raise InviteUsedUp

    await limits.check_member_limit(session, company_id=company.id)
    table = Membership.__table__
    inserted = await session.execute(
        dialect_insert(session, table)
        .values(company_id=company.id, user_id=user.id, role=invite.role.value)
        .on_conflict_do_nothing(index_elements=[table.c.company_id, table.c.user_id])
        .returning(table.c.id)
    )
    if inserted.first() is None:
        # The same user joined in a concurrent transaction that committed first: give the use back.
        await session.execute(
            update(Invite)
            .where(Invite.id == invite.id)
            .values(uses=Invite.uses - 1)
            .execution_options(synchronize_session="fetch")
        )
        existing = await _role_in(session, company.id, user)
        return await _already_member(session, user, company, existing or invite.role)

    user.active_company_id = company.id
    audit.record(
        session,
        company_id=company.id,
        user_id=user.id,
        action="member.joined",
        entity_type="member",
        entity_id=user.id,
        role=invite.role,
        invite_id=invite.id,
    )
    await session.flush()
    return JoinResult(company=company, role=invite.role, joined=True)


async def _role_in(session: AsyncSession, company_id: int, user: User) -> Role | None:
    role: Role | None = await session.scalar(
        select(Membership.role).where(
            Membership.company_id == company_id, Membership.user_id == user.id
        )
    )
    return role


async def _already_member(
    session: AsyncSession, user: User, company: Company, role: Role
) -> JoinResult:
    user.active_company_id = company.id
    await session.flush()
    return JoinResult(company=company, role=role, joined=False)


def _check_usable(invite: Invite, now: datetime) -> None:
    if invite.revoked_at is not None:
        raise InviteRevoked
    if invite.expires_at <= now:
        raise InviteExpired
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InviteUsedUp
