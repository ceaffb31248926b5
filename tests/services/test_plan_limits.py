"""Good standing and the plan's limits: out of standing a company reads but does not create, and
every refusal offers /buy; members and open projects stop at the plan's numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import gettext
from teamtasks.models import Plan, Subscription
from teamtasks.models.base import utcnow
from teamtasks.models.enums import Language, SubscriptionStatus
from teamtasks.services import comments, invites, plans, projects, task_lists, tasks
from teamtasks.services.actors import Actor, actor_in, identify
from teamtasks.services.errors import OutOfGoodStanding, PlanLimitReached
from teamtasks.services.limits import storage_quota
from teamtasks.services.standing import GRACE
from tests.services.helpers import Team, actor_of
from tests.support import factories

DAY = timedelta(days=1)


async def _set_subscription(
    session: AsyncSession,
    team: Team,
    status: SubscriptionStatus,
    end: datetime,
    grace_until: datetime | None = None,
) -> None:
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == team.company.id)
        .values(
            status=status,
            current_period_start=end - 30 * DAY,
            current_period_end=end,
            grace_until=grace_until,
        )
    )


async def _fresh_actor(session: AsyncSession, team: Team) -> Actor:
    return await actor_of(session, team.owner, team.company)


@pytest.mark.parametrize(
    ("status", "end_in", "good"),
    [
        (SubscriptionStatus.TRIALING, DAY, True),
        (SubscriptionStatus.TRIALING, -timedelta(seconds=1), False),
        (SubscriptionStatus.ACTIVE, DAY, True),
        (SubscriptionStatus.ACTIVE, -GRACE + DAY, True),
        (SubscriptionStatus.ACTIVE, -GRACE - DAY, False),
        (SubscriptionStatus.PAST_DUE, -DAY, True),
        (SubscriptionStatus.PAST_DUE, -GRACE - DAY, False),
        (SubscriptionStatus.CANCELED, DAY, True),
        (SubscriptionStatus.CANCELED, -DAY, False),
        (SubscriptionStatus.EXPIRED, DAY, False),
    ],
)
async def test_the_actor_carries_its_companys_standing(
    session: AsyncSession,
    acme: Team,
    status: SubscriptionStatus,
    end_in: timedelta,
    good: bool,
) -> None:
    await _set_subscription(session, acme, status, utcnow() + end_in)
    by_actor_in = await _fresh_actor(session, acme)
    _, by_identify = await identify(
        session,
        telegram_id=acme.owner.telegram_id,
        first_name=acme.owner.first_name,
        last_name=None,
        username=None,
        language_code=None,
    )
    assert by_identify is not None
    assert by_actor_in.in_good_standing() is good
    assert by_identify.in_good_standing() is good
    assert by_identify.subscription_status is status


async def test_an_ended_trial_reads_everything_and_creates_nothing(
    session: AsyncSession, acme: Team
) -> None:
    await _set_subscription(session, acme, SubscriptionStatus.TRIALING, utcnow() - DAY)
    owner = await _fresh_actor(session, acme)
    member = await actor_of(session, acme.member, acme.company)

    refusals = [
        tasks.create_task(session, actor=member, title="New"),
        comments.add_comment(session, actor=member, number=acme.task.number, text="Hi"),
        projects.create_project(session, actor=owner, name="New"),
        invites.create_invite(session, actor=owner),
    ]
    for refused in refusals:
        with pytest.raises(OutOfGoodStanding) as error:
            await refused
        assert "/buy" in error.value.text(Language.EN)
        assert "/buy" in error.value.text(Language.RU)

    assert (await tasks.get_task(session, actor=member, number=acme.task.number)).title
    assert (await task_lists.list_my_tasks(session, actor=member)).items
    assert (await projects.list_projects(session, actor=member)).items
    await tasks.set_status(session, actor=member, number=acme.task.number, status=acme.task.status)


async def test_a_company_without_a_subscription_is_out_of_good_standing(
    session: AsyncSession,
) -> None:
    owner = await factories.user(session)
    company = await factories.company(session, owner=owner)
    actor = await actor_in(session, user=owner, company_id=company.id)
    assert actor is not None
    assert actor.subscription_status is None
    assert not actor.in_good_standing()


async def _limit(session: AsyncSession, **limits: int) -> None:
    await session.execute(update(Plan).where(Plan.code == "team").values(**limits))


async def test_open_projects_stop_at_the_plans_number(session: AsyncSession, acme: Team) -> None:
    await _limit(session, max_projects=2)
    owner = acme.owner_actor
    second = await projects.create_project(session, actor=owner, name="Second")

    with pytest.raises(PlanLimitReached) as refused:
        await projects.create_project(session, actor=owner, name="Third")
    assert refused.value.text(Language.EN) == gettext(
        Language.EN, "errors.billing.limit.projects", max=2
    )
    assert "/buy" in refused.value.text(Language.RU)

    await projects.archive_project(session, actor=owner, project_id=second.id)
    third = await projects.create_project(session, actor=owner, name="Third")
    with pytest.raises(PlanLimitReached):
        await projects.restore_project(session, actor=owner, project_id=second.id)
    await projects.archive_project(session, actor=owner, project_id=third.id)
    await projects.restore_project(session, actor=owner, project_id=second.id)


async def test_members_stop_at_the_plans_number(session: AsyncSession, acme: Team) -> None:
    await _limit(session, max_members=4)
    dan, eve = await factories.user(session, first_name="Dan"), await factories.user(session)

    joined = await invites.join_by_token(session, user=dan, token=acme.invite.token)
    assert joined.joined
    with pytest.raises(PlanLimitReached) as refused:
        await invites.join_by_token(session, user=eve, token=acme.invite.token)
    assert refused.value.key == "errors.billing.limit.members"
    assert refused.value.params == {"max": 4}


async def test_the_storage_quota_is_the_plans(session: AsyncSession, acme: Team) -> None:
    team = await plans.get_plan(session, code="team")
    assert await storage_quota(session, company_id=acme.company.id) == team.max_storage_bytes
    business = await plans.get_plan(session, code="business")
    await session.execute(
        update(Subscription)
        .where(Subscription.company_id == acme.company.id)
        .values(plan_id=business.id)
    )
    assert await storage_quota(session, company_id=acme.company.id) == business.max_storage_bytes


async def test_billing_summary_shows_plan_state_usage_and_invoices_to_owners(
    session: AsyncSession, acme: Team
) -> None:
    owner_view = await plans.summary(session, actor=acme.owner_actor)
    member_view = await plans.summary(session, actor=acme.member_actor)

    assert owner_view.plan.code == "team"
    assert owner_view.status is SubscriptionStatus.TRIALING
    assert owner_view.in_good_standing
    assert (owner_view.usage.members, owner_view.usage.projects) == (3, 1)
    assert owner_view.usage.storage_bytes == 0
    assert owner_view.invoices == member_view.invoices == []

    await _set_subscription(session, acme, SubscriptionStatus.ACTIVE, utcnow() - DAY)
    past_due = await plans.summary(session, actor=acme.owner_actor)
    assert past_due.status is SubscriptionStatus.PAST_DUE
    assert past_due.in_good_standing
    assert past_due.good_until == past_due.period_end + GRACE
    expired_at = utcnow() - GRACE - DAY
    await _set_subscription(session, acme, SubscriptionStatus.ACTIVE, expired_at)
    expired = await plans.summary(session, actor=acme.owner_actor)
    assert (expired.status, expired.in_good_standing) == (SubscriptionStatus.EXPIRED, False)
    row = await session.scalar(
        select(Subscription.status).where(Subscription.company_id == acme.company.id)
    )
    assert row is SubscriptionStatus.ACTIVE, "showing the state never writes it"
