"""Comments, and the outbox: the assignee and the author are told, each in their language."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, Notification
from teamtasks.models.enums import Language, NotificationStatus, Role, TaskStatus
from teamtasks.services import comments, members, tasks
from teamtasks.services.notifications import excerpt, fit
from tests.services.helpers import Team, actor_of
from tests.support import factories


async def _notifications(session: AsyncSession) -> list[Notification]:
    return list((await session.scalars(select(Notification).order_by(Notification.id))).all())


async def test_comments_are_listed_newest_first_in_pages(session: AsyncSession, acme: Team) -> None:
    number = acme.task.number
    for text in ["one", "two", "three"]:
        await comments.add_comment(session, actor=acme.member_actor, number=number, text=text)
    first = await comments.list_comments(session, actor=acme.owner_actor, number=number, limit=2)
    assert [(e.comment.text, e.author_name) for e in first.items] == [
        ("three", "Bob"),
        ("two", "Bob"),
    ]
    assert first.has_more
    second = await comments.list_comments(
        session, actor=acme.owner_actor, number=number, limit=2, offset=2
    )
    assert [e.comment.text for e in second.items] == ["one"]
    log = await session.scalar(
        select(AuditLog).where(AuditLog.action == "task.commented").order_by(AuditLog.id.desc())
    )
    assert log is not None
    assert log.details["length"] == len("three")


async def test_assigning_tells_the_assignee_and_the_author_not_the_actor(
    session: AsyncSession, acme: Team
) -> None:
    acme.member.language = Language.EN
    acme.owner.language_code = "ru"
    task = await tasks.create_task(session, actor=acme.owner_actor, title="<b>Ship</b> & tell")
    await tasks.assign_task(
        session, actor=acme.manager_actor, number=task.number, assignee_id=acme.member.id
    )

    sent = await _notifications(session)
    to = {n.user_id: n for n in sent if n.kind == "task.assigned"}
    assert set(to) == {acme.member.id, acme.owner.id}
    bob, anna = to[acme.member.id], to[acme.owner.id]
    assert bob.chat_id == acme.member.telegram_id
    line = f"Acme · #{task.number} &lt;b&gt;Ship&lt;/b&gt; &amp; tell"
    assert bob.text == f"{line}\nMark assigned this task to you."
    assert anna.text == f"{line}\nMark назначил(а) задачу: Bob."
    assert bob.status is NotificationStatus.PENDING
    event = await session.scalar(
        select(AuditLog.id).where(AuditLog.action == "task.assigned", AuditLog.entity_id == task.id)
    )
    assert bob.dedupe_key == f"task.assigned:{event}:{acme.member.id}"
    assert len({n.dedupe_key for n in sent}) == len(sent)


async def test_assigning_oneself_ones_own_task_tells_nobody(
    session: AsyncSession, acme: Team
) -> None:
    task = await tasks.create_task(session, actor=acme.member_actor, title="Mine")
    await tasks.assign_task(
        session, actor=acme.member_actor, number=task.number, assignee_id=acme.member.id
    )
    await tasks.set_status(
        session, actor=acme.member_actor, number=task.number, status=TaskStatus.DONE
    )
    await comments.add_comment(session, actor=acme.member_actor, number=task.number, text="note")
    assert [n for n in await _notifications(session) if str(task.number) in n.text] == []


async def test_bob_sets_it_done_and_anna_is_told(session: AsyncSession, acme: Team) -> None:
    before = len(await _notifications(session))
    await tasks.set_status(
        session, actor=acme.member_actor, number=acme.task.number, status=TaskStatus.DONE
    )
    new = (await _notifications(session))[before:]
    assert [(n.user_id, n.kind) for n in new] == [(acme.owner.id, "task.status_changed")]
    assert new[0].text.endswith("Bob изменил(а) статус: Готово.")


async def test_a_comment_tells_both_in_their_languages(session: AsyncSession, acme: Team) -> None:
    acme.owner.language = Language.EN
    before = len(await _notifications(session))
    long = "<i>look</i> " + "x" * 1000
    await comments.add_comment(
        session, actor=acme.manager_actor, number=acme.task.number, text=long
    )
    new = {n.user_id: n for n in (await _notifications(session))[before:]}
    assert set(new) == {acme.owner.id, acme.member.id}
    assert "Mark commented:\n&lt;i&gt;look&lt;/i&gt; xxx" in new[acme.owner.id].text
    assert "Mark оставил(а) комментарий:" in new[acme.member.id].text
    assert new[acme.owner.id].text.endswith("…")
    assert all(len(n.text) <= 4096 for n in new.values())


async def test_people_who_left_are_not_told(session: AsyncSession, acme: Team) -> None:
    await members.change_role(
        session, actor=acme.owner_actor, user_id=acme.manager.id, role=Role.OWNER
    )
    await members.leave_company(session, actor=acme.owner_actor)
    before = len(await _notifications(session))
    # Anna, the task's author, has left; Bob, its assignee, is still there.
    await comments.add_comment(
        session, actor=acme.manager_actor, number=acme.task.number, text="hi"
    )
    new = (await _notifications(session))[before:]
    assert [n.user_id for n in new] == [acme.member.id]


@pytest.mark.parametrize(
    ("language", "code", "expected"),
    [(None, None, "ru"), (None, "en-US", "en"), (Language.RU, "en", "ru"), (None, "de", "ru")],
)
async def test_the_recipients_language_is_chosen_then_telegrams_then_russian(
    session: AsyncSession, acme: Team, language: Language | None, code: str | None, expected: str
) -> None:
    dan = await factories.member(
        session, company=acme.company, first_name="Dan", language=language, language_code=code
    )
    await tasks.assign_task(
        session, actor=acme.manager_actor, number=acme.task.number, assignee_id=dan.id
    )
    (notice,) = [n for n in await _notifications(session) if n.user_id == dan.id]
    marker = "assigned this task to you" if expected == "en" else "назначил(а) вам"
    assert marker in notice.text
    assert (await actor_of(session, dan, acme.company)).language.value == expected


def test_excerpts_are_cut_with_an_ellipsis() -> None:
    assert excerpt("short") == "short"
    assert excerpt("x" * 600) == "x" * 499 + "…"


async def test_extreme_names_still_fit_one_message(session: AsyncSession, acme: Team) -> None:
    acme.manager.first_name = "&" * 256
    acme.manager.last_name = "<" * 256
    task = await tasks.create_task(session, actor=acme.owner_actor, title="&" * 256)
    await tasks.assign_task(
        session, actor=acme.owner_actor, number=task.number, assignee_id=acme.member.id
    )
    await comments.add_comment(
        session, actor=acme.manager_actor, number=task.number, text="&" * 4000
    )
    texts = [n.text for n in await _notifications(session) if n.kind == "task.commented"]
    assert len(texts) == 2
    for text in texts:
        assert len(text) <= 4096
        assert text.endswith(("&amp;…", "&amp;"))


def test_fit_never_splits_an_entity() -> None:
    assert fit("abc") == "abc"
    assert fit("a" * 10 + "&amp;", limit=12) == "a" * 10 + "…"
    assert fit("&amp;" * 3, limit=11) == "&amp;&amp;…"
