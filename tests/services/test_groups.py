"""Groups: who links them and to what, one company per group, joining from a group, the link
following a supergroup upgrade and going with the bot, and announcements of a project's work."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import gettext
from teamtasks.models import AuditLog, GroupChat, Membership, Notification, Task
from teamtasks.models.enums import NotificationStatus, Role, TaskStatus
from teamtasks.services import groups, projects, tasks
from teamtasks.services.actors import Actor
from teamtasks.services.errors import Conflict, Forbidden, NotFound
from tests.services.helpers import Team, snapshot
from tests.support import factories

CHAT = -4000000001
SUPERGROUP = -1001234567890


async def _announcements(session: AsyncSession, chat_id: int) -> list[str]:
    rows = await session.scalars(
        select(Notification.text).where(Notification.chat_id == chat_id).order_by(Notification.id)
    )
    return list(rows)


async def test_managers_link_a_group_members_may_not_and_another_company_is_refused(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    with pytest.raises(Forbidden):
        await groups.link_group(session, actor=acme.member_actor, chat_id=CHAT)
    linked = await groups.link_group(
        session, actor=acme.manager_actor, chat_id=CHAT, project_id=acme.project.id
    )
    before = await snapshot(session)
    with pytest.raises(Conflict) as elsewhere:
        await groups.link_group(session, actor=globex.owner_actor, chat_id=CHAT)
    with pytest.raises(NotFound):  # their project is not Acme's
        await groups.link_group(
            session, actor=acme.owner_actor, chat_id=CHAT, project_id=globex.project.id
        )
    with pytest.raises(NotFound):
        await groups.unlink_group(session, actor=globex.owner_actor, chat_id=CHAT)

    assert (linked.company_id, linked.project_name, linked.announce, linked.allow_join) == (
        acme.company.id,
        "Website",
        True,
        False,
    )
    assert elsewhere.value.key == "errors.groups.linked_elsewhere"
    assert await snapshot(session) == before
    relinked = await groups.link_group(session, actor=acme.owner_actor, chat_id=CHAT)
    assert relinked.project_id is None
    actions = await session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "group").order_by(AuditLog.id)
    )
    assert list(actions) == ["group.linked", "group.relinked"]


async def test_joining_from_a_group_only_when_it_allows_it(
    session: AsyncSession, acme: Team
) -> None:
    vera = await factories.user(session, first_name="Vera")
    await groups.link_group(session, actor=acme.owner_actor, chat_id=CHAT)
    with pytest.raises(Forbidden):
        await groups.join_from_group(session, user=vera, chat_id=CHAT)
    await groups.set_options(session, actor=acme.manager_actor, chat_id=CHAT, allow_join=True)

    joined = await groups.join_from_group(session, user=vera, chat_id=CHAT)
    again = await groups.join_from_group(session, user=vera, chat_id=CHAT)

    assert (joined.joined, joined.role, again.joined) == (True, Role.MEMBER, False)
    assert vera.active_company_id == acme.company.id
    role = await session.scalar(
        select(Membership.role).where(
            Membership.company_id == acme.company.id, Membership.user_id == vera.id
        )
    )
    assert role is Role.MEMBER
    with pytest.raises(NotFound):
        await groups.join_from_group(session, user=vera, chat_id=CHAT - 1)


async def test_the_link_follows_a_supergroup_upgrade_and_goes_with_the_bot(
    session: AsyncSession, acme: Team
) -> None:
    await groups.link_group(
        session, actor=acme.owner_actor, chat_id=CHAT, project_id=acme.project.id
    )
    task = await tasks.create_task(
        session,
        actor=acme.member_actor,
        title="From the chat",
        project_id=acme.project.id,
        source=(CHAT, 7),
    )
    pending = await _announcements(session, CHAT)

    assert await groups.group_migrated(session, old_chat_id=CHAT, new_chat_id=SUPERGROUP)
    assert await groups.find_link(session, chat_id=CHAT) is None
    assert (task.source_chat_id, task.source_message_id) == (SUPERGROUP, 7)
    assert await _announcements(session, SUPERGROUP) == pending
    assert await groups.bot_removed(session, chat_id=SUPERGROUP, by_user_id=acme.owner.id)
    assert await groups.find_link(session, chat_id=SUPERGROUP) is None
    skipped = await session.scalars(
        select(Notification.status).where(Notification.chat_id == SUPERGROUP)
    )
    assert set(skipped) == {NotificationStatus.SKIPPED}
    assert not await groups.bot_removed(session, chat_id=SUPERGROUP, by_user_id=None)


async def _upgrade_with_the_supergroup_linked_first(
    session: AsyncSession, acme: Team, supergroup_linker: Actor
) -> tuple[Task, list[str]]:
    """Acme's group with a task from its messages and announcements to send; the supergroup
    it becomes is linked (by `supergroup_linker`) before Telegram's news of the upgrade."""
    await groups.link_group(
        session, actor=acme.owner_actor, chat_id=CHAT, project_id=acme.project.id
    )
    task = await tasks.create_task(
        session,
        actor=acme.member_actor,
        title="From the chat",
        project_id=acme.project.id,
        source=(CHAT, 7),
    )
    pending = await _announcements(session, CHAT)
    assert pending
    await groups.link_group(session, actor=supergroup_linker, chat_id=SUPERGROUP)
    assert await groups.group_migrated(session, old_chat_id=CHAT, new_chat_id=SUPERGROUP)
    return task, pending


async def _group_audit(session: AsyncSession, company_id: int) -> list[AuditLog]:
    rows = await session.scalars(
        select(AuditLog)
        .where(AuditLog.company_id == company_id, AuditLog.entity_type == "group")
        .order_by(AuditLog.id)
    )
    return list(rows)


async def test_an_upgrade_to_a_supergroup_the_company_linked_already_merges_the_links(
    session: AsyncSession, acme: Team
) -> None:
    task, pending = await _upgrade_with_the_supergroup_linked_first(
        session, acme, acme.manager_actor
    )

    assert await groups.find_link(session, chat_id=CHAT) is None
    link = await groups.find_link(session, chat_id=SUPERGROUP)
    assert link is not None
    assert (link.company_id, link.project_id) == (acme.company.id, None)  # as linked there
    assert (task.source_chat_id, task.source_message_id) == (SUPERGROUP, 7)
    assert await _announcements(session, SUPERGROUP) == pending
    statuses = await session.scalars(
        select(Notification.status).where(Notification.chat_id == SUPERGROUP)
    )
    assert set(statuses) == {NotificationStatus.PENDING}
    [row] = (await session.scalars(select(GroupChat))).all()
    audited = (await _group_audit(session, acme.company.id))[-1]
    assert (audited.action, audited.entity_id) == ("group.migrated", row.id)
    assert (audited.details["before"], audited.details["after"]) == (CHAT, SUPERGROUP)
    assert audited.details["merged_link"] != row.id


async def test_an_upgrade_to_a_supergroup_another_company_linked_drops_the_old_link(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    task, pending = await _upgrade_with_the_supergroup_linked_first(
        session, acme, globex.owner_actor
    )

    assert await groups.find_link(session, chat_id=CHAT) is None
    link = await groups.find_link(session, chat_id=SUPERGROUP)
    assert link is not None
    assert link.company_id == globex.company.id
    assert (task.source_chat_id, task.source_message_id) == (SUPERGROUP, 7)
    assert await _announcements(session, SUPERGROUP) == []  # Acme's news stay out of it
    statuses = await session.scalars(
        select(Notification.status).where(Notification.chat_id == CHAT)
    )
    assert list(statuses) == [NotificationStatus.SKIPPED] * len(pending)
    audited = (await _group_audit(session, acme.company.id))[-1]
    assert audited.action == "group.migrate_conflict"
    assert (audited.details["before"], audited.details["after"]) == (CHAT, SUPERGROUP)
    assert [a.action for a in await _group_audit(session, globex.company.id)] == ["group.linked"]


async def test_the_projects_changes_are_announced_in_its_groups_unless_switched_off(
    session: AsyncSession, acme: Team, globex: Team
) -> None:
    await groups.link_group(
        session, actor=acme.owner_actor, chat_id=CHAT, project_id=acme.project.id
    )
    await groups.link_group(session, actor=globex.owner_actor, chat_id=CHAT - 1)
    other = await projects.create_project(session, actor=acme.owner_actor, name="Other")

    await tasks.create_task(session, actor=acme.member_actor, title="Outside any project")
    await tasks.create_task(
        session, actor=acme.member_actor, title="Elsewhere", project_id=other.id
    )
    await tasks.set_status(
        session, actor=acme.member_actor, number=acme.task.number, status=TaskStatus.DONE
    )
    await groups.set_options(session, actor=acme.owner_actor, chat_id=CHAT, announce=False)
    await tasks.set_status(
        session, actor=acme.member_actor, number=acme.task.number, status=TaskStatus.TODO
    )

    language = acme.owner_actor.language  # the group speaks its linker's language
    assert await _announcements(session, CHAT) == [
        gettext(
            language,
            "groups.announce.status",
            task="#1 · Acme: fix the login page",
            actor="Bob",
            status=gettext(language, "task.status.done"),
        )
    ]
    assert await _announcements(session, CHAT - 1) == []
    row = await session.scalar(select(GroupChat).where(GroupChat.chat_id == CHAT))
    assert row is not None
    assert row.announce is False
