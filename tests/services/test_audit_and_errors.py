"""The audit log owners read, and the error texts: every refusal has its words in ru and en."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.i18n import catalog
from teamtasks.models.enums import Language, TaskPriority, TaskStatus
from teamtasks.services import audit, tasks
from teamtasks.services.actors import Permission
from teamtasks.services.errors import (
    DomainError,
    Forbidden,
    InviteExpired,
    LastOwner,
    NotFound,
)
from tests.services.helpers import Team

SERVICES = Path(__file__).parents[2] / "teamtasks" / "services"


async def test_owners_read_the_latest_entries_with_names(session: AsyncSession, acme: Team) -> None:
    await tasks.set_status(
        session, actor=acme.member_actor, number=acme.task.number, status=TaskStatus.DONE
    )
    entries = await audit.recent(session, actor=acme.owner_actor, limit=3)
    assert [(e.log.action, e.actor_name) for e in entries] == [
        ("task.status_changed", "Bob"),
        ("invite.created", "Anna"),
        ("task.assigned", "Anna"),
    ]
    assert entries[0].log.details == {"number": 1, "before": "todo", "after": "done"}
    assert entries[0].log.entity_id == acme.task.id
    everything = await audit.recent(session, actor=acme.owner_actor, limit=100)
    assert everything[-1].log.action == "company.created"


@pytest.mark.parametrize("who", ["manager_actor", "member_actor"])
async def test_only_owners_read_the_audit_log(session: AsyncSession, acme: Team, who: str) -> None:
    with pytest.raises(Forbidden):
        await audit.recent(session, actor=getattr(acme, who), limit=10)


def _keys_used_in_services() -> set[str]:
    pattern = re.compile(r'"(errors\.[a-z_.]+|notify\.[a-z_.]+|due\.[a-z_.]+|calendar\.[a-z_]+)"')
    return {key for path in SERVICES.glob("*.py") for key in pattern.findall(path.read_text())}


def _default_keys() -> set[str]:
    def subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    return {cls.default_key for cls in subclasses(DomainError)}


@pytest.mark.parametrize("language", list(Language))
def test_every_text_the_services_name_exists(language: Language) -> None:
    texts = catalog(language)
    keys = _keys_used_in_services() | _default_keys()
    keys |= {f"errors.forbidden.{permission.value}" for permission in Permission}
    keys |= {f"task.status.{status.value}" for status in TaskStatus}
    keys |= {f"task.priority.{priority.value}" for priority in TaskPriority}
    keys |= {"role.owner", "role.manager", "role.member"}
    assert len(keys) > 40
    assert keys - texts.keys() == set()


def test_calendar_names_are_complete() -> None:
    for language in Language:
        assert len(catalog(language)["calendar.weekdays"].split(",")) == 7
        assert len(catalog(language)["calendar.months"].split(",")) == 12


def test_errors_render_in_both_languages() -> None:
    missing = NotFound("errors.not_found.task", number=12)
    assert missing.text(Language.EN).startswith("Task #12 was not found")
    assert missing.text(Language.RU).startswith("Задача #12 в этой компании не найдена")
    assert LastOwner().text(Language.EN).startswith("A company needs at least one owner")
    assert isinstance(LastOwner(), DomainError)
    assert InviteExpired().key == "errors.invite.expired"


def test_error_texts_use_only_their_params() -> None:
    formatter = string.Formatter()
    for key, template in catalog(Language.EN).items():
        if key.startswith("errors."):
            names = {name for _, name, _, _ in formatter.parse(template) if name}
            assert names <= {"number", "max"}, key
