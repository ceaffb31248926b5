"""Groups as a company's workspace: linking a Telegram group to a company (and optionally one
of its projects), its settings, joining from it, and what Telegram tells of the group.

A group belongs to at most one company (`group_chats.chat_id` is unique). Owners and managers
link, unlink and set a group up; in a linked group everyone acts as themselves in the group's
company (`group_context`). The link follows the group when Telegram upgrades it to a
supergroup, and goes, quietly, when the bot is removed from it. Each change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.db import dialect_insert
from teamtasks.models import Company, GroupChat, Membership, Notification, Project, Task, User
from teamtasks.models.enums import NotificationStatus, Role
from teamtasks.services import audit, limits
from teamtasks.services.actors import Actor, Permission, actor_in, require
from teamtasks.services.errors import Conflict, Forbidden, NotFound
from teamtasks.services.projects import get_project


@dataclass(frozen=True)
class GroupLink:
    """A linked group as the bot shows it: its company's and project's names."""

    chat_id: int
    company_id: int
    company_name: str
    project_id: int | None
    project_name: str | None
    announce: bool
    allow_join: bool


def not_linked() -> NotFound:
    return NotFound("errors.groups.not_linked")


_LINK = (
    select(GroupChat, Company.name, Project.name)
    .join(Company, Company.id == GroupChat.company_id)
    .outerjoin(
        Project,
        (Project.id == GroupChat.project_id) & (Project.company_id == GroupChat.company_id),
    )
)


def _link(row: GroupChat, company_name: str, project_name: str | None) -> GroupLink:
    return GroupLink(
        chat_id=row.chat_id,
        company_id=row.company_id,
        company_name=company_name,
        project_id=row.project_id,
        project_name=project_name,
        announce=row.announce,
        allow_join=row.allow_join,
    )


async def find_link(session: AsyncSession, *, chat_id: int) -> GroupLink | None:
    """The group's link, or None when the group is linked to no company."""
    row = (await session.execute(_LINK.where(GroupChat.chat_id == chat_id))).first()
    return _link(*row) if row is not None else None


async def group_context(
    session: AsyncSession, *, chat_id: int, user: User | None
) -> tuple[GroupLink | None, Actor | None]:
    """The group's link and the user as an Actor in the group's company (None: not a member)."""
    link = await find_link(session, chat_id=chat_id)
    if link is None or user is None:
        return link, None
    return link, await actor_in(session, user=user, company_id=link.company_id)


async def project_named(session: AsyncSession, *, actor: Actor, name: str) -> Project:
    """The company's open project of this name (any case), for `/link <project>`."""
    project = await session.scalar(
        select(Project)
        .where(
            Project.company_id == actor.company_id,
            Project.archived_at.is_(None),
            func.lower(Project.name) == name.strip().lower(),
        )
        .order_by(Project.id)
        .limit(1)
    )
    if project is None:
        raise NotFound("errors.groups.no_such_project")
    return project


async def link_group(
    session: AsyncSession, *, actor: Actor, chat_id: int, project_id: int | None = None
) -> GroupLink:
    """Link the group to the actor's company (and a project of it that is not archived).

    Linking again in the same company changes the project; a group of another company is
    refused without saying whose it is.
    """
    require(actor, Permission.MANAGE_PROJECTS)
    project_name = None
    if project_id is not None:
        project = await get_project(session, actor=actor, project_id=project_id)
        if project.archived_at is not None:
            raise Conflict("errors.conflict.project_archived")
        project_name = project.name
    table = GroupChat.__table__
    inserted = await session.execute(
        dialect_insert(session, table)
        .values(
            chat_id=chat_id,
            company_id=actor.company_id,
            project_id=project_id,
            language=actor.language.value,
            linked_by_id=actor.user_id,
        )
        .on_conflict_do_nothing(index_elements=[table.c.chat_id])
        .returning(table.c.id)
    )
    link_id = inserted.scalar()
    action = "group.linked"
    if link_id is None:
        existing = await session.scalar(
            select(GroupChat).where(GroupChat.chat_id == chat_id).with_for_update()
        )
        if existing is None or existing.company_id != actor.company_id:
            raise Conflict("errors.groups.linked_elsewhere")
        if existing.project_id == project_id:
            raise Conflict("errors.groups.already_linked")
        existing.project_id = project_id
        link_id, action = existing.id, "group.relinked"
    audit.record_by(
        session, actor, action, "group", link_id, chat_id=chat_id, project_id=project_id
    )
    await session.flush()
    row = await session.get_one(GroupChat, link_id)
    return _link(row, actor.company_name, project_name)


async def _own_link(session: AsyncSession, actor: Actor, chat_id: int) -> GroupChat:
    require(actor, Permission.MANAGE_PROJECTS)
    row = await session.scalar(
        select(GroupChat).where(
            GroupChat.chat_id == chat_id, GroupChat.company_id == actor.company_id
        )
    )
    if row is None:
        raise not_linked()
    return row


async def unlink_group(session: AsyncSession, *, actor: Actor, chat_id: int) -> None:
    """Unlink the group from the actor's company; its tasks stay."""
    row = await _own_link(session, actor, chat_id)
    audit.record_by(session, actor, "group.unlinked", "group", row.id, chat_id=chat_id)
    await session.delete(row)
    await session.flush()


async def set_options(
    session: AsyncSession,
    *,
    actor: Actor,
    chat_id: int,
    announce: bool | None = None,
    allow_join: bool | None = None,
) -> GroupLink:
    """Switch the group's announcements and one-tap joining (None: leave as it is)."""
    row = await _own_link(session, actor, chat_id)
    before = {"announce": row.announce, "allow_join": row.allow_join}
    if announce is not None:
        row.announce = announce
    if allow_join is not None:
        row.allow_join = allow_join
    after = {"announce": row.announce, "allow_join": row.allow_join}
    if after != before:
        audit.record_by(
            session, actor, "group.settings_changed", "group", row.id, chat_id=chat_id, **after
        )
        await session.flush()
    link = await find_link(session, chat_id=chat_id)
    if link is None:
        raise not_linked()
    return link


@dataclass(frozen=True)
class Joined:
    """The company joined from a group, and whether this join made the membership."""

    link: GroupLink
    role: Role
    joined: bool


async def join_from_group(session: AsyncSession, *, user: User, chat_id: int) -> Joined:
    """Join the group's company as a member, when the group allows it (within the plan)."""
    link = await find_link(session, chat_id=chat_id)
    if link is None:
        raise not_linked()
    existing = await session.scalar(
        select(Membership.role).where(
            Membership.company_id == link.company_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        return Joined(link=link, role=existing, joined=False)
    if not link.allow_join:
        raise Forbidden("errors.groups.join_closed")
    await limits.check_member_limit(session, company_id=link.company_id)
    table = Membership.__table__
    inserted = await session.execute(
        dialect_insert(session, table)
        .values(company_id=link.company_id, user_id=user.id, role=Role.MEMBER.value)
        .on_conflict_do_nothing(index_elements=[table.c.company_id, table.c.user_id])
        .returning(table.c.id)
    )
    if inserted.first() is None:
        return Joined(link=link, role=Role.MEMBER, joined=False)
    if user.active_company_id is None:
        user.active_company_id = link.company_id
    audit.record(
        session,
        company_id=link.company_id,
        user_id=user.id,
        action="member.joined",
        entity_type="member",
        entity_id=user.id,
        role=Role.MEMBER,
        chat_id=chat_id,
    )
    await session.flush()
    return Joined(link=link, role=Role.MEMBER, joined=True)


async def group_migrated(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> bool:
    """Telegram upgraded the group to a supergroup: its link, the tasks made from its messages
    and the announcements still to send follow it. False when the group was not linked.

    The supergroup may be linked already (someone ran /link there before this news was
    handled): to the same company, the old link merges into that one (its settings stay); to
    another, the old link goes and its announcements are not sent, the conflict audited.
    Either way the tasks keep pointing at their messages, which are the supergroup's now.
    """
    row = await session.scalar(select(GroupChat).where(GroupChat.chat_id == old_chat_id))
    if row is None:
        return False
    await session.execute(
        update(Task)
        .where(Task.company_id == row.company_id, Task.source_chat_id == old_chat_id)
        .values(source_chat_id=new_chat_id)
    )
    pending = update(Notification).where(
        Notification.chat_id == old_chat_id,
        Notification.status == NotificationStatus.PENDING,
    )
    linked = await session.scalar(select(GroupChat).where(GroupChat.chat_id == new_chat_id))
    if linked is None:
        row.chat_id = new_chat_id
        await session.execute(pending.values(chat_id=new_chat_id))
        _audit_migration(session, row, "group.migrated", old_chat_id, new_chat_id)
    elif linked.company_id == row.company_id:
        await session.execute(pending.values(chat_id=new_chat_id))
        await session.execute(delete(GroupChat).where(GroupChat.id == row.id))
        _audit_migration(
            session, linked, "group.migrated", old_chat_id, new_chat_id, merged_link=row.id
        )
    else:
        await session.execute(
            pending.values(
                status=NotificationStatus.SKIPPED,
                last_error="the supergroup is linked to another company",
            )
        )
        await session.execute(delete(GroupChat).where(GroupChat.id == row.id))
        _audit_migration(session, row, "group.migrate_conflict", old_chat_id, new_chat_id)
    await session.flush()
    return True


def _audit_migration(
    session: AsyncSession,
    row: GroupChat,
    action: str,
    old_chat_id: int,
    new_chat_id: int,
    **details: int,
) -> None:
    audit.record(
        session,
        company_id=row.company_id,
        user_id=None,
        action=action,
        entity_type="group",
        entity_id=row.id,
        before=old_chat_id,
        after=new_chat_id,
        **details,
    )


async def bot_removed(session: AsyncSession, *, chat_id: int, by_user_id: int | None) -> bool:
    """The bot was removed from the group (or left it): the link goes and nothing more is sent
    there. False when the group was not linked."""
    row = await session.scalar(select(GroupChat).where(GroupChat.chat_id == chat_id))
    if row is None:
        return False
    audit.record(
        session,
        company_id=row.company_id,
        user_id=by_user_id,
        action="group.unlinked",
        entity_type="group",
        entity_id=row.id,
        chat_id=chat_id,
        reason="bot_removed",
    )
    await session.execute(delete(GroupChat).where(GroupChat.id == row.id))
    await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SKIPPED, last_error="bot removed from the group")
    )
    await session.flush()
    return True
