"""Changes to the group's project are announced in the group by the worker, within Telegram's
20 messages a minute per group: a burst past it is folded into a digest, never dropped.

The limits are Telegram's own, not scaled: a group's bucket refills one message every three
seconds, so the burst below folds after its first message and the test takes seconds.
"""

from __future__ import annotations

from sqlalchemy import select

from teamtasks.bot import outbox
from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Company, Notification, User
from teamtasks.models.enums import NotificationStatus
from teamtasks.services import tasks
from tests.e2e.groups.conftest import GroupTeam, said
from tests.e2e.work.conftest import en, reply_containing
from tests.services.helpers import actor_of
from tests.worker.support import bot_texts, sent_times, within
from tgemulator import EmulatorServer

BURST = 25
GROUP_RATE = 20 / 60


async def test_a_burst_of_changes_is_announced_within_the_limit_folded_into_a_digest(
    team: GroupTeam, telegram: EmulatorServer, committing_factory: SessionFactory
) -> None:
    async with unit_of_work(committing_factory) as session:
        anna = await session.scalar(select(User).where(User.telegram_id == team.anna.id))
        assert anna is not None
        owner = await actor_of(session, anna, await session.get_one(Company, team.acme_id))
        for number in range(1, BURST + 1):
            await tasks.create_task(
                session, actor=owner, title=f"Step {number}", project_id=team.website_id
            )
    await said(team.group, team.anna, "/link website")
    before = len(bot_texts(telegram, team.group.id))
    started = telegram.calls[-1].at

    # Anna moves every task along in her private chat: each change is announced in the group.
    for number in range(1, BURST + 1):
        await team.anna.send(f"/task {number}")
        await reply_containing(team.anna, f"#{number} · Step {number}")
        await team.anna.press("Status")
        await team.anna.press(en("task.status.in_progress"))
    await outbox.drain()

    announced = bot_texts(telegram, team.group.id)[before:]
    for number in range(1, BURST + 1):
        line = f"#{number} · Step {number}\nAnna changed the status to: In progress."
        assert sum(line in text for text in announced) == 1, f"step {number} once"
    assert len(announced) < BURST, "past the limit, announcements fold into digests"
    digest = en("worker.digest.title", count=0).removesuffix("(0)")  # the group's language
    assert any(text.startswith(digest) for text in announced), announced
    times = [at for at in sent_times(telegram)[team.group.id] if at > started]
    assert len(times) == len(announced)
    assert within(times, GROUP_RATE, burst=1)
    async with committing_factory() as session:
        statuses = (
            await session.scalars(
                select(Notification.status).where(Notification.chat_id == team.group.id)
            )
        ).all()
    assert statuses == [NotificationStatus.SENT] * BURST
