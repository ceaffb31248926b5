"""A team's Telegram group as its workspace, through the local Bot API's groups (privacy mode
on, as in production: the bot sees commands, mentions and replies to it only)."""

from __future__ import annotations

import io
import os

import aiohttp
from sqlalchemy import select

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import AuditLog, File, Membership, Task, TaskComment, User
from teamtasks.models.enums import Role, TaskStatus
from teamtasks.services import due_dates, invites
from teamtasks.services.actors import actor_in
from tests.e2e.groups.conftest import GroupTeam, actions, link_of, said
from tests.e2e.work.conftest import People, alert, en, enrol, ru, say, task_row
from tgemulator import EmulatorServer
from tgemulator.client import Group, Person

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(3000) + b"\n%%EOF\n"


async def test_a_manager_links_the_group_and_the_team_works_there_as_in_private(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    refused = await said(group, team.bob, "/link")
    linked = await said(group, team.anna, "/link website")
    await group.press(team.anna, en("groups.button.announce_off"))  # see test_announcements.py
    card = await said(group, team.anna, "/new Fix the login page @bob tomorrow 18:00")

    assert refused.text == ru("errors.forbidden.projects.manage")
    assert en("groups.linked") in (linked.text or "")
    assert en("groups.screen.project", project="Website") in (linked.text or "")
    assert "#1 · Fix the login page\n" in (card.text or "")
    assert en("work.card.assignee", name="Bob") in (card.text or "")
    task = await task_row(committing_factory, team.acme_id, 1)
    assert (task.title, task.assignee_id, task.project_id) == (
        "Fix the login page",
        team.bob_id,
        team.website_id,
    )
    expected = due_dates.parse_due("tomorrow 18:00", timezone="Europe/Moscow")
    assert task.due_at == expected

    # Bob presses the card's buttons in the group: he acts as himself, a member of Acme.
    await group.press(team.bob, "Status")
    await group.press(team.bob, ru("task.status.in_progress"))
    assert (await task_row(committing_factory, team.acme_id, 1)).status is TaskStatus.IN_PROGRESS
    async with committing_factory() as session:
        changed_by = await session.scalar(
            select(AuditLog.actor_user_id).where(AuditLog.action == "task.status_changed")
        )
    assert changed_by == team.bob_id

    listed = await said(group, team.bob, "/tasks")
    assert ru("work.list.group", name="Website") in (listed.text or "")
    assert "#1 Fix the login page" in (listed.text or "")
    assert (await link_of(committing_factory, group.id)) is not None
    assert "group.linked" in await actions(committing_factory, team.acme_id)


async def test_someone_with_no_username_is_assigned_by_picking_them_from_the_list(
    team: GroupTeam, people: People, committing_factory: SessionFactory
) -> None:
    group = team.group
    dasha = await people("Дарья", language_code="ru")  # no username: only a text mention names her
    async with unit_of_work(committing_factory) as session:
        dasha_user = await enrol(session, dasha, "ru")
        anna_user = await session.scalar(select(User).where(User.telegram_id == team.anna.id))
        assert anna_user is not None
        owner = await actor_in(session, user=anna_user, company_id=team.acme_id)
        assert owner is not None
        invite = await invites.create_invite(session, actor=owner)
        await invites.join_by_token(session, user=dasha_user, token=invite.token)
    await group.add_member(dasha)
    await said(group, team.anna, "/link website")
    await group.press(team.anna, en("groups.button.announce_off"))  # see test_announcements.py

    await group.send(
        team.anna, "/new Сверстать письмо Дарья завтра 12:00", mentioning={"Дарья": dasha}
    )
    card = await group.wait_reply(timeout=10)
    await group.send(team.anna, "/new Проверить вёрстку Vera", mentioning={"Vera": team.vera})
    refused = await group.wait_reply(timeout=10)

    assert "#1 · Сверстать письмо\n" in (card.text or "")
    assert en("work.card.assignee", name="Дарья") in (card.text or "")
    task = await task_row(committing_factory, team.acme_id, 1)
    assert (task.title, task.assignee_id) == ("Сверстать письмо", dasha_user.id)
    assert task.due_at == due_dates.parse_due("завтра 12:00", timezone="Europe/Moscow")
    # Vera uses Telegram but is no member of Acme: nothing is made.
    assert refused.text == en("errors.not_found.mention")
    async with committing_factory() as session:
        numbers = await session.scalars(select(Task.number).where(Task.company_id == team.acme_id))
        assert list(numbers) == [1]


async def test_new_as_a_reply_makes_the_message_a_task_with_its_file_linked_back(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    await said(group, team.anna, "/link")
    shared = await group.send_file(
        team.bob, "spec.pdf", PDF, caption="Login page spec\nThe form loses the password."
    )

    card = await said(group, team.anna, "/new @bob friday", reply_to=shared)

    assert "#1 · Login page spec\n" in (card.text or "")
    assert "The form loses the password." in (card.text or "")
    assert card.raw["reply_to_message_id"] == shared, "the card answers the message it came from"
    assert en("groups.card.source") in (card.text or "")
    task = await task_row(committing_factory, team.acme_id, 1)
    assert (task.source_chat_id, task.source_message_id) == (group.id, shared)
    assert task.description == "Login page spec\nThe form loses the password."
    assert (task.assignee_id, task.project_id) == (team.bob_id, None)
    assert task.due_at == due_dates.parse_due("friday", timezone="Europe/Moscow")
    async with committing_factory() as session:
        stored = (await session.scalars(select(File).where(File.task_id == task.id))).all()
    assert [(file.original_name, file.size_bytes) for file in stored] == [("spec.pdf", len(PDF))]


async def test_a_non_member_is_told_and_joins_in_one_tap_when_the_group_allows_it(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    await said(group, team.anna, "/link")
    await said(group, team.anna, "/new Write the release notes")

    closed = await said(group, team.vera, "/tasks")
    pressed_closed = await group.press(team.vera, "Status")
    settings = await said(group, team.anna, "/group")
    await group.press(team.anna, en("groups.button.join_on"))
    pressed_open = await group.press(team.vera, "Priority")
    invitation = await group.wait_reply()
    joined = await group.press(team.vera, en("groups.button.join", company="Acme"))
    listed = await said(group, team.vera, "/tasks")

    assert closed.text == en("groups.outsider.closed", name="Vera", company="Acme")
    assert closed.buttons == []
    assert alert(pressed_closed) == en("groups.outsider.alert", company="Acme")
    assert en("groups.screen.allow_join", state=en("groups.state.off")) in (settings.text or "")
    assert alert(pressed_open) == en("groups.outsider.alert_open", company="Acme")
    assert invitation.text == en("groups.outsider.open", name="Vera", company="Acme")
    assert alert(joined) == en("groups.joined", company="Acme")
    assert "#1 Write the release notes" in (listed.text or "")
    async with committing_factory() as session:
        role = await session.scalar(
            select(Membership.role).where(
                Membership.company_id == team.acme_id, Membership.user_id == team.vera_id
            )
        )
    assert role is Role.MEMBER
    task = await task_row(committing_factory, team.acme_id, 1)
    assert task.priority.value == "normal", "the outsider's press changed nothing"


async def test_bad_input_gets_a_clear_answer_or_is_left_alone_and_nothing_is_half_written(
    team: GroupTeam, telegram: EmulatorServer, committing_factory: SessionFactory
) -> None:
    group = team.group
    unlinked = await said(group, team.anna, "/tasks")
    await said(group, team.anna, "/link")
    elsewhere = await said(group, team.greg, "/link")
    greg_tasks = await said(group, team.greg, "/tasks")
    not_member = await said(group, team.anna, "/new Fix the login page @vera tomorrow")
    # Without privacy mode the bot sees everything: a command for another bot, and chatter.
    telegram.emulator.config.privacy_mode = False
    await group.send(team.anna, "/new@other_bot Do something")
    await group.send(team.anna, "just chatting, /new in the middle is no command")
    listed = await said(group, team.anna, "/tasks")

    assert unlinked.text == en("groups.unlinked")
    assert elsewhere.text == en("errors.groups.linked_elsewhere")
    assert greg_tasks.text == en("groups.outsider.closed", name="Greg", company="Acme")
    assert not_member.text == en("errors.not_found.mention")
    assert en("work.list.empty") in (listed.text or "")
    async with committing_factory() as session:
        assert (await session.scalars(select(Task))).all() == []
    link = await link_of(committing_factory, group.id)
    assert link is not None
    assert link.company_id == team.acme_id


async def test_removing_the_bot_unlinks_the_group_quietly(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    await said(group, team.anna, "/link")

    await group.remove_bot(by=team.bob)
    await team.anna.send("/my")  # updates are handled in order: once this is answered,
    await team.anna.wait_reply()  # the removal was too

    assert await link_of(committing_factory, group.id) is None
    assert (await actions(committing_factory, team.acme_id))[-2:] == [
        "group.linked",
        "group.unlinked",
    ]
    async with committing_factory() as session:
        unlinked = await session.scalar(select(AuditLog).where(AuditLog.action == "group.unlinked"))
    assert unlinked is not None
    assert (unlinked.actor_user_id, unlinked.details["reason"]) == (team.bob_id, "bot_removed")


async def test_the_link_survives_the_groups_upgrade_to_a_supergroup(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    await said(group, team.anna, "/link website")
    await group.press(team.anna, en("groups.button.announce_off"))
    asked = await group.send(team.bob, "Please fix the footer")
    await said(group, team.anna, "/new", reply_to=asked)

    old_id = await group.migrate()
    listed = await said(group, team.bob, "/tasks")
    card = await said(group, team.bob, "/task 1")

    assert "#1 Please fix the footer" in (listed.text or "")
    link = await link_of(committing_factory, group.id)
    assert link is not None
    assert (link.company_id, link.project_id) == (team.acme_id, team.website_id)
    assert await link_of(committing_factory, old_id) is None
    task = await task_row(committing_factory, team.acme_id, 1)
    assert task.source_chat_id == group.id
    source = card.raw.get("entities") or []
    channel = str(group.id).removeprefix("-100")
    assert any(f"https://t.me/c/{channel}/{asked}" == e.get("url") for e in source), card.raw
    assert ru("groups.card.source") in (card.text or "")


async def test_a_files_link_or_copy_pressed_for_in_the_group_goes_to_the_presser_privately(
    team: GroupTeam,
) -> None:
    group = team.group
    await said(group, team.anna, "/link")
    await group.press(team.anna, en("groups.button.announce_off"))
    shared = await group.send_file(team.bob, "spec.pdf", PDF, caption="Login page spec")
    await said(group, team.anna, "/new", reply_to=shared)
    await group.press(team.anna, en("files.button.files_count", count=1))

    # Anna never started the bot: it may not write to her, so she is asked to start it.
    not_started = await group.press(team.anna, "🔗 1")
    await say(team.anna, "/my")
    linked = await group.press(team.anna, "🔗 1")
    link = await team.anna.wait_reply()
    resent = await group.press(team.anna, "📨 1")
    copy = await team.anna.wait_reply()
    bob_not_started = await group.press(team.bob, "📨 1")

    assert alert(not_started) == en("files.private.start_bot")
    assert alert(bob_not_started) == ru("files.private.start_bot")
    assert linked is not None
    assert not linked.show_alert
    assert linked.text == en("files.toast.sent_privately")
    assert "spec.pdf (2.9 KB)" in (link.text or "")
    assert resent is not None
    assert resent.text == en("files.toast.sent_privately")
    assert copy.document is not None
    posted = [m for m in await group.messages() if m.from_bot]
    assert [m for m in posted if m.document or m.photo] == []
    assert not any("spec.pdf (" in (m.text or "") for m in posted), "no link in the group"


async def reply_with_file(
    group: Group, person: Person, reply_to: int, name: str, data: bytes
) -> None:
    """`person` replies in the group to a message with a document."""
    form = aiohttp.FormData()
    form.add_field("file", io.BytesIO(data), filename=name)
    form.add_field("user_id", str(person.id))
    form.add_field("reply_to_message_id", str(reply_to))
    await group.client.request("POST", f"/emulator/api/groups/{group.id}/messages", data=form)


async def test_a_question_asked_in_the_group_is_answered_by_a_reply_to_it_and_nothing_else(
    team: GroupTeam, committing_factory: SessionFactory
) -> None:
    group = team.group
    await said(group, team.anna, "/link")
    await group.press(team.anna, en("groups.button.announce_off"))
    card = await said(group, team.anna, "/new Fix the login page @bob")

    await group.press(team.bob, en("work.button.due"))
    prompt = await group.wait_reply()
    # Another's reply to the prompt and Bob's reply to another message answer nothing;
    # updates are handled in order, so once /tasks is answered they were handled too.
    await group.send(team.anna, "today", reply_to=prompt.message_id)
    await group.send(team.bob, "friday", reply_to=card.message_id)
    # A file in reply to the card is for its task, whatever question waits.
    await reply_with_file(group, team.bob, card.message_id, "spec.pdf", PDF)
    attached = await group.wait_reply(timeout=15)
    listed = await said(group, team.anna, "/tasks")
    unanswered = await task_row(committing_factory, team.acme_id, 1)
    due_set = await said(group, team.bob, "tomorrow 18:00", reply_to=prompt.message_id)

    await group.press(team.bob, ru("work.button.description"))
    description_prompt = await group.wait_reply()
    described = await said(
        group, team.bob, "The form loses the password", reply_to=description_prompt.message_id
    )
    await group.press(team.bob, ru("work.button.comment"))
    comment_prompt = await group.wait_reply()
    commented = await said(group, team.bob, "On it", reply_to=comment_prompt.message_id)

    assert prompt.reply_markup == {"force_reply": True, "selective": True}
    assert f'href="tg://user?id={team.bob.id}"' in (prompt.html or "")
    assert (prompt.text or "").startswith(ru("work.ask.in_group", mention="Bob", question=""))
    assert "#1 Fix the login page" in (listed.text or "")
    assert unanswered.due_at is None
    assert "spec.pdf" in (attached.text or "")
    async with committing_factory() as session:
        names = await session.scalars(
            select(File.original_name).where(File.task_id == unanswered.id)
        )
        assert list(names) == ["spec.pdf"]
    expected = due_dates.parse_due("tomorrow 18:00", timezone="Europe/Moscow")
    assert (await task_row(committing_factory, team.acme_id, 1)).due_at == expected
    assert (due_set.text or "").startswith(ru("work.due.set", number=1, due="\0").split("\0")[0])
    assert description_prompt.reply_markup == {"force_reply": True, "selective": True}
    assert described.text == ru("work.description.set", number=1)
    task = await task_row(committing_factory, team.acme_id, 1)
    assert task.description == "The form loses the password"
    assert comment_prompt.reply_markup == {"force_reply": True, "selective": True}
    assert commented.text == ru("work.comment.added", number=1)
    async with committing_factory() as session:
        comments = await session.scalars(
            select(TaskComment.text).where(TaskComment.task_id == task.id)
        )
        assert list(comments) == ["On it"]
