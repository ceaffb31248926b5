"""Members and roles: listing, role changes and removal by owners, leaving; never ownerless."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, Membership, Task
from teamtasks.models.enums import Role, TaskStatus
from teamtasks.services import members, tasks
from teamtasks.services.actors import RIGHTS, Permission, require
from teamtasks.services.errors import Forbidden, InvalidInput, LastOwner
from tests.services.helpers import Team, snapshot
from tests.support import factories


def test_the_rights_table() -> None:
    owner, manager, member = Role.OWNER, Role.MANAGER, Role.MEMBER
    assert {permission: set(roles) for permission, roles in RIGHTS.items()} == {
        Permission.WORK_ON_TASKS: {owner, manager, member},
        Permission.MANAGE_PROJECTS: {owner, manager},
        Permission.INVITE_MEMBERS: {owner, manager},
        Permission.INVITE_MANAGERS: {owner},
        Permission.MANAGE_MEMBERS: {owner},
        Permission.MANAGE_COMPANY: {owner},
        Permission.READ_AUDIT: {owner},
        Permission.MANAGE_BILLING: {owner},
        Permission.EXPORT_DATA: {owner},
    }


async def test_require_refuses_with_the_permissions_text(acme: Team) -> None:
    require(acme.owner_actor, Permission.READ_AUDIT)
    with pytest.raises(Forbidden) as refused:
        require(acme.manager_actor, Permission.READ_AUDIT)
    assert refused.value.key == "errors.forbidden.audit.read"


async def test_members_are_listed_owners_first(session: AsyncSession, acme: Team) -> None:
    listed = await members.list_members(session, actor=acme.member_actor)
    assert [(m.name, m.role) for m in listed] == [
        ("Anna", Role.OWNER),
        ("Mark", Role.MANAGER),
        ("Bob", Role.MEMBER),
    ]


async def test_the_owner_makes_bob_a_manager(session: AsyncSession, acme: Team) -> None:
    membership = await members.change_role(
        session, actor=acme.owner_actor, user_id=acme.member.id, role=Role.MANAGER
    )
    assert membership.role is Role.MANAGER
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "member.role_changed"))
    assert log is not None
    assert (log.entity_id, log.details) == (
        acme.member.id,
        {"before": "member", "after": "manager"},
    )


@pytest.mark.parametrize("who", ["manager_actor", "member_actor"])
async def test_only_owners_change_roles_and_remove(
    session: AsyncSession, acme: Team, who: str
) -> None:
    before = await snapshot(session)
    with pytest.raises(Forbidden):
        await members.change_role(
            session, actor=getattr(acme, who), user_id=acme.member.id, role=Role.OWNER
        )
    with pytest.raises(Forbidden):
        await members.remove_member(session, actor=getattr(acme, who), user_id=acme.member.id)
    assert await snapshot(session) == before


async def test_a_forged_role_is_refused(session: AsyncSession, acme: Team) -> None:
    with pytest.raises(InvalidInput):
        await members.change_role(
            session,
            actor=acme.owner_actor,
            user_id=acme.member.id,
            role="god",  # type: ignore[arg-type]
        )


async def test_the_last_owner_cannot_step_down_remove_themself_or_leave(
    session: AsyncSession, acme: Team
) -> None:
    owner = acme.owner_actor
    before = await snapshot(session)
    with pytest.raises(LastOwner):
        await members.change_role(session, actor=owner, user_id=owner.user_id, role=Role.MEMBER)
    with pytest.raises(LastOwner):
        await members.remove_member(session, actor=owner, user_id=owner.user_id)
    with pytest.raises(LastOwner):
        await members.leave_company(session, actor=owner)
    assert await snapshot(session) == before


async def test_with_a_second_owner_the_first_may_go(session: AsyncSession, acme: Team) -> None:
    await members.change_role(
        session, actor=acme.owner_actor, user_id=acme.manager.id, role=Role.OWNER
    )
    await members.leave_company(session, actor=acme.owner_actor)
    roles = (
        await session.scalars(
            select(Membership.role).where(Membership.company_id == acme.company.id)
        )
    ).all()
    assert sorted(roles) == [Role.MEMBER, Role.OWNER]


async def test_removing_bob_unassigns_his_open_tasks_and_moves_his_active_company(
    session: AsyncSession, acme: Team
) -> None:
    owner = acme.owner_actor
    done = await tasks.create_task(session, actor=owner, title="Old work")
    await tasks.assign_task(session, actor=owner, number=done.number, assignee_id=acme.member.id)
    await tasks.set_status(session, actor=owner, number=done.number, status=TaskStatus.DONE)
    elsewhere = await factories.company(session, name="Elsewhere")
    session.add(Membership(company_id=elsewhere.id, user_id=acme.member.id, role=Role.MEMBER))
    await session.flush()

    await members.remove_member(session, actor=owner, user_id=acme.member.id)

    assert acme.task.assignee_id is None
    assert done.assignee_id == acme.member.id
    await session.refresh(acme.member)
    assert acme.member.active_company_id == elsewhere.id
    still = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.company_id == acme.company.id, Membership.user_id == acme.member.id)
    )
    assert still == 0
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "member.removed"))
    assert log is not None
    assert log.details == {"role": "member", "tasks_unassigned": 1}


async def test_bob_leaves(session: AsyncSession, acme: Team) -> None:
    await members.leave_company(session, actor=acme.member_actor)
    listed = await members.list_members(session, actor=acme.owner_actor)
    assert acme.member.id not in {m.user_id for m in listed}
    log = await session.scalar(select(AuditLog).where(AuditLog.action == "member.left"))
    assert log is not None
    assert log.actor_user_id == acme.member.id
    task = await session.scalar(select(Task).where(Task.id == acme.task.id))
    assert task is not None
    assert task.assignee_id is None


async def test_an_owner_removes_another_owner(session: AsyncSession, acme: Team) -> None:
    await members.change_role(
        session, actor=acme.owner_actor, user_id=acme.manager.id, role=Role.OWNER
    )
    await members.remove_member(session, actor=acme.owner_actor, user_id=acme.manager.id)
    listed = await members.list_members(session, actor=acme.owner_actor)
    assert [m.role for m in listed] == [Role.OWNER, Role.MEMBER]


async def test_setting_the_same_role_writes_nothing(session: AsyncSession, acme: Team) -> None:
    before = await snapshot(session)
    await members.change_role(
        session, actor=acme.owner_actor, user_id=acme.member.id, role=Role.MEMBER
    )
    assert await snapshot(session) == before
