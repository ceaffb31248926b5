"""The audit trail: one AuditLog row per change, written in the change's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import AuditLog, User
from teamtasks.services.actors import Actor, Permission, require
from teamtasks.services.paging import bounds
from teamtasks.services.users import display_name

JSONValue = str | int | float | bool | None | datetime | Enum


@dataclass(frozen=True)
class AuditEntry:
    """One audit row with the name of who did it (None when the user is gone)."""

    log: AuditLog
    actor_name: str | None


def record(
    session: AsyncSession,
    *,
    company_id: int,
    user_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    **details: JSONValue,
) -> AuditLog:
    """Add an audit row (flushed with the change); datetimes and enums are stored as strings."""
    row = AuditLog(
        company_id=company_id,
        actor_user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details={key: _jsonable(value) for key, value in details.items()},
    )
    session.add(row)
    return row


def record_by(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    **details: JSONValue,
) -> AuditLog:
    """Add an audit row for an action of `actor` in their company."""
    return record(
        session,
        company_id=actor.company_id,
        user_id=actor.user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        **details,
    )


def _jsonable(value: JSONValue) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


async def recent(
    session: AsyncSession, *, actor: Actor, limit: int = 20, offset: int = 0
) -> list[AuditEntry]:
    """The company's latest audit rows, newest first (owners only)."""
    require(actor, Permission.READ_AUDIT)
    limit, offset = bounds(limit, offset)
    rows = await session.execute(
        select(AuditLog, User)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.company_id == actor.company_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        AuditEntry(log=log, actor_name=display_name(user) if user else None) for log, user in rows
    ]
