"""Companies: Anna creates Acme and becomes its owner on a 14-day trial; switching; renaming."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, Membership, Subscription, Trial
from teamtasks.models.enums import Role, SubscriptionStatus
from teamtasks.services import companies
from teamtasks.services.actors import resolve_actor
from teamtasks.services.errors import Forbidden, InvalidInput, NotFound
from tests.services.helpers import NOW, Team
from tests.support import factories


async def test_anna_creates_a_company_and_owns_it_on_a_trial(session: AsyncSession) -> None:
    anna = await factories.user(session)
    acme = await companies.create_company(session, user=anna, name="  Acme  ", now=NOW)

    assert acme.name == "Acme"
    assert anna.active_company_id == acme.id
    role = await session.scalar(
        select(Membership.role).where(
            Membership.company_id == acme.id, Membership.user_id == anna.id
        )
    )
    assert role is Role.OWNER
    trial = await session.scalar(select(Trial).where(Trial.company_id == acme.id))
    assert trial is not None
    assert (trial.started_at, trial.ends_at) == (NOW, NOW + timedelta(days=14))
    subscription = await session.scalar(
        select(Subscription).where(Subscription.company_id == acme.id)
    )
    assert subscription is not None
    assert subscription.status is SubscriptionStatus.TRIALING
    assert (subscription.current_period_start, subscription.current_period_end) == (
        trial.started_at,
        trial.ends_at,
    )
    log = await session.scalar(select(AuditLog).where(AuditLog.company_id == acme.id))
    assert log is not None
    assert (log.action, log.actor_user_id, log.entity_id) == ("company.created", anna.id, acme.id)
    assert log.details["name"] == "Acme"

    actor = await resolve_actor(session, user=anna)
    assert actor is not None
    assert (actor.company_id, actor.role, actor.company_name) == (acme.id, Role.OWNER, "Acme")
    assert actor.timezone == "Europe/Moscow"


async def test_a_user_without_a_company_has_no_actor(session: AsyncSession) -> None:
    assert await resolve_actor(session, user=await factories.user(session)) is None


async def test_a_user_in_two_companies_lists_and_switches_them(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    anna = acme.owner
    session.add(Membership(company_id=globex.company.id, user_id=anna.id, role=Role.MEMBER))
    await session.flush()

    choices = await companies.list_my_companies(session, user=anna)
    assert [(c.name, c.role, c.is_active) for c in choices] == [
        ("Acme", Role.OWNER, True),
        ("Globex", Role.MEMBER, False),
    ]

    actor = await companies.switch_company(session, user=anna, company_id=globex.company.id)
    assert (actor.company_id, actor.role) == (globex.company.id, Role.MEMBER)
    assert anna.active_company_id == globex.company.id
    assert [c.is_active for c in await companies.list_my_companies(session, user=anna)] == [
        False,
        True,
    ]


async def test_switching_to_a_company_one_is_not_in_is_not_found(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    with pytest.raises(NotFound):
        await companies.switch_company(session, user=acme.member, company_id=globex.company.id)
    assert acme.member.active_company_id == acme.company.id


async def test_the_owner_renames_the_company(session: AsyncSession, acme: Team) -> None:
    company = await companies.rename_company(session, actor=acme.owner_actor, name="Acme Corp")
    assert company.name == "Acme Corp"
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "company.renamed"))
    assert log is not None
    assert log.details == {"before": "Acme", "after": "Acme Corp"}


async def test_renaming_to_the_same_name_writes_nothing(session: AsyncSession, acme: Team) -> None:
    await companies.rename_company(session, actor=acme.owner_actor, name=" Acme ")
    assert (
        await session.scalar(select(AuditLog).where(AuditLog.action == "company.renamed")) is None
    )


@pytest.mark.parametrize("who", ["manager_actor", "member_actor"])
async def test_only_owners_rename_or_set_the_time_zone(
    session: AsyncSession, acme: Team, who: str
) -> None:
    actor = getattr(acme, who)
    with pytest.raises(Forbidden) as refused:
        await companies.rename_company(session, actor=actor, name="Mine")
    assert refused.value.key == "errors.forbidden.company.manage"
    with pytest.raises(Forbidden):
        await companies.set_timezone(session, actor=actor, timezone="Asia/Tokyo")
    assert acme.company.name == "Acme"


async def test_the_owner_sets_a_known_time_zone(session: AsyncSession, acme: Team) -> None:
    company = await companies.set_timezone(
        session, actor=acme.owner_actor, timezone=" Asia/Yekaterinburg "
    )
    assert company.timezone == "Asia/Yekaterinburg"


@pytest.mark.parametrize(
    "zone", ["", "Mars/Olympus", "../../etc/passwd", "europe/moscow", "x" * 500]
)
async def test_an_unknown_time_zone_is_refused(
    session: AsyncSession, acme: Team, zone: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await companies.set_timezone(session, actor=acme.owner_actor, timezone=zone)
    assert refused.value.key == "errors.invalid.timezone"
    assert acme.company.timezone == "Europe/Moscow"
