"""Invite links: who may create them, their tokens, listing, revoking, and joining by token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, Invite, Membership
from teamtasks.models.enums import Role
from teamtasks.services import invites
from teamtasks.services.errors import (
    Forbidden,
    InvalidInput,
    InviteExpired,
    InviteRevoked,
    InviteUnknown,
    InviteUsedUp,
)
from tests.services.helpers import NOW, Team, snapshot
from tests.support import factories


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("owner_actor", Role.MEMBER),
        ("owner_actor", Role.MANAGER),
        ("owner_actor", Role.OWNER),
        ("manager_actor", Role.MEMBER),
    ],
)
async def test_owners_and_managers_create_invites(
    session: AsyncSession, acme: Team, who: str, role: Role
) -> None:
    actor = getattr(acme, who)
    invite = await invites.create_invite(
        session, actor=actor, role=role, ttl=timedelta(days=2), max_uses=5, now=NOW
    )
    assert (invite.company_id, invite.role, invite.created_by_id) == (
        acme.company.id,
        role,
        actor.user_id,
    )
    assert (invite.expires_at, invite.max_uses, invite.uses) == (NOW + timedelta(days=2), 5, 0)
    log = await session.scalar(
        select(AuditLog).where(AuditLog.action == "invite.created", AuditLog.entity_id == invite.id)
    )
    assert log is not None
    assert log.details["role"] == role.value


async def test_the_token_fits_a_telegram_deep_link(session: AsyncSession, acme: Team) -> None:
    tokens = set()
    for _ in range(20):
        invite = await invites.create_invite(session, actor=acme.owner_actor)
        payload = invites.deep_link_payload(invite)
        assert re.fullmatch(r"inv_[A-Za-z0-9_-]+", payload)
        assert len(payload) <= 64
        assert invites.token_from_payload(payload) == invite.token
        tokens.add(invite.token)
    assert len(tokens) == 20
    assert invites.token_from_payload("something_else") is None


@pytest.mark.parametrize(
    ("who", "role", "key"),
    [
        ("manager_actor", Role.MANAGER, "errors.forbidden.invites.managers"),
        ("manager_actor", Role.OWNER, "errors.forbidden.invites.managers"),
        ("member_actor", Role.MEMBER, "errors.forbidden.invites.members"),
        ("member_actor", Role.MANAGER, "errors.forbidden.invites.members"),
    ],
)
async def test_who_may_not_invite_whom(
    session: AsyncSession, acme: Team, who: str, role: Role, key: str
) -> None:
    before = await snapshot(session)
    with pytest.raises(Forbidden) as refused:
        await invites.create_invite(session, actor=getattr(acme, who), role=role)
    assert refused.value.key == key
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    ("ttl", "max_uses", "key"),
    [
        (timedelta(minutes=59), None, "errors.invalid.invite_ttl"),
        (timedelta(days=31), None, "errors.invalid.invite_ttl"),
        (timedelta(days=-1), None, "errors.invalid.invite_ttl"),
        (timedelta(days=1), 0, "errors.invalid.invite_max_uses"),
        (timedelta(days=1), -5, "errors.invalid.invite_max_uses"),
        (timedelta(days=1), 1001, "errors.invalid.invite_max_uses"),
    ],
)
async def test_invite_limits_are_checked(
    session: AsyncSession, acme: Team, ttl: timedelta, max_uses: int | None, key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await invites.create_invite(session, actor=acme.owner_actor, ttl=ttl, max_uses=max_uses)
    assert refused.value.key == key


async def test_a_forged_role_is_refused(session: AsyncSession, acme: Team) -> None:
    with pytest.raises(InvalidInput):
        await invites.create_invite(session, actor=acme.owner_actor, role="admin")  # type: ignore[arg-type]


async def test_the_list_shows_only_usable_invites(session: AsyncSession, acme: Team) -> None:
    company = acme.company
    await factories.invite(session, company=company, expires_at=NOW - timedelta(seconds=1))
    await factories.invite(session, company=company, revoked_at=NOW)
    await factories.invite(session, company=company, max_uses=2, uses=2)
    usable = await factories.invite(session, company=company, max_uses=2, uses=1)

    listed = await invites.list_active_invites(session, actor=acme.manager_actor, now=NOW)
    assert {invite.id for invite in listed} == {usable.id, acme.invite.id}
    with pytest.raises(Forbidden):
        await invites.list_active_invites(session, actor=acme.member_actor)


async def test_revoking_is_audited_once(session: AsyncSession, acme: Team) -> None:
    invite = await invites.revoke_invite(
        session, actor=acme.manager_actor, invite_id=acme.invite.id, now=NOW
    )
    assert invite.revoked_at == NOW
    await invites.revoke_invite(session, actor=acme.owner_actor, invite_id=acme.invite.id)
    assert invite.revoked_at == NOW
    revoked = await session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "invite.revoked")
    )
    assert revoked == 1


async def test_a_manager_cannot_revoke_a_manager_invite(session: AsyncSession, acme: Team) -> None:
    invite = await invites.create_invite(session, actor=acme.owner_actor, role=Role.MANAGER)
    with pytest.raises(Forbidden):
        await invites.revoke_invite(session, actor=acme.manager_actor, invite_id=invite.id)
    with pytest.raises(Forbidden):
        await invites.revoke_invite(session, actor=acme.member_actor, invite_id=acme.invite.id)
    assert invite.revoked_at is None


async def test_dan_joins_by_token(session: AsyncSession, acme: Team) -> None:
    invite = await invites.create_invite(
        session, actor=acme.owner_actor, role=Role.MANAGER, max_uses=3
    )
    dan = await factories.user(session, first_name="Dan")

    joined = await invites.join_by_token(session, user=dan, token=invite.token)

    assert (joined.company.id, joined.role, joined.joined) == (acme.company.id, Role.MANAGER, True)
    assert invite.uses == 1
    assert dan.active_company_id == acme.company.id
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "member.joined"))
    assert log is not None
    assert (log.actor_user_id, log.entity_id, log.details["role"]) == (dan.id, dan.id, "manager")


async def test_joining_twice_does_nothing_twice(session: AsyncSession, acme: Team) -> None:
    dan = await factories.user(session, first_name="Dan")
    await invites.join_by_token(session, user=dan, token=acme.invite.token)
    other = await factories.company(session, name="Other", owner=dan)
    dan.active_company_id = other.id
    before = await snapshot(session)

    again = await invites.join_by_token(session, user=dan, token=acme.invite.token)

    assert (again.joined, again.role) == (False, Role.MEMBER)
    assert acme.invite.uses == 1
    assert dan.active_company_id == acme.company.id
    after = await snapshot(session)
    assert after["invites"] == before["invites"]
    assert after["memberships"] == before["memberships"]
    assert after["audit_logs"] == before["audit_logs"]


async def test_a_member_following_a_dead_link_is_simply_switched(
    session: AsyncSession, acme: Team
) -> None:
    dead = await factories.invite(
        session, company=acme.company, expires_at=NOW - timedelta(days=1), revoked_at=NOW
    )
    joined = await invites.join_by_token(session, user=acme.member, token=dead.token, now=NOW)
    assert (joined.joined, joined.role) == (False, Role.MEMBER)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"expires_at": NOW - timedelta(seconds=1)}, InviteExpired),
        ({"expires_at": NOW}, InviteExpired),
        ({"max_uses": 1, "uses": 1}, InviteUsedUp),
        ({"revoked_at": NOW - timedelta(hours=1)}, InviteRevoked),
        ({"revoked_at": NOW, "expires_at": NOW - timedelta(days=1)}, InviteRevoked),
    ],
)
async def test_dead_links_say_why(
    session: AsyncSession, acme: Team, fields: dict[str, object], error: type[Exception]
) -> None:
    invite = await factories.invite(session, company=acme.company, **fields)  # type: ignore[arg-type]
    dan = await factories.user(session, first_name="Dan")
    before = await snapshot(session)
    with pytest.raises(error):
        await invites.join_by_token(session, user=dan, token=invite.token, now=NOW)
    assert await snapshot(session) == before


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "x" * 10_000,
        "no spaces allowed here!!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "😀" * 20,
    ],
)
async def test_unknown_tokens_are_unknown(session: AsyncSession, acme: Team, token: str) -> None:
    dan = await factories.user(session, first_name="Dan")
    before = await snapshot(session)
    with pytest.raises(InviteUnknown):
        await invites.join_by_token(session, user=dan, token=token)
    assert await snapshot(session) == before


async def test_each_dead_link_has_its_own_text(session: AsyncSession) -> None:
    keys = {error().key for error in (InviteExpired, InviteUsedUp, InviteRevoked, InviteUnknown)}
    assert len(keys) == 4


async def test_the_last_use_is_the_last(session: AsyncSession, acme: Team) -> None:
    invite = await invites.create_invite(session, actor=acme.owner_actor, max_uses=1)
    dan = await factories.user(session, first_name="Dan")
    eve = await factories.user(session, first_name="Eve")
    await invites.join_by_token(session, user=dan, token=invite.token)
    with pytest.raises(InviteUsedUp):
        await invites.join_by_token(session, user=eve, token=invite.token)
    members = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == eve.id)
    )
    assert members == 0
    assert (await session.get(Invite, invite.id)) is invite
    assert invite.uses == 1
