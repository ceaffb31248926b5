"""The audit log as owners read it: who did what, when (in the company's zone), newest first.

Budgets in UTF-16 units: 10 entries of a 64-unit name, a label and 200 of details: under 3,500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from teamtasks.bot.callbacks.work import AuditCallback
from teamtasks.bot.views.work import (
    NAME_UNITS,
    Screen,
    keyboard,
    local_time,
    page_range,
    paging_row,
    safe,
    t,
)
from teamtasks.i18n import catalog
from teamtasks.models import AuditLog
from teamtasks.models.enums import Language
from teamtasks.services.actors import Actor
from teamtasks.services.audit import AuditEntry
from teamtasks.services.due_dates import format_due
from teamtasks.services.paging import Page

PAGE_SIZE = 10
VALUE_UNITS = 90

_TERMS = {
    "task.status_changed": "task.status",
    "task.priority_changed": "task.priority",
    "member.role_changed": "role",
}
"""Actions whose before and after are one of our own terms."""
_NAMES = ("project.renamed", "company.renamed")
_CREATED = ("project.created", "company.created")


def audit_screen(entries: Page[AuditEntry], actor: Actor, language: Language) -> Screen:
    lines = [
        t(language, "work.audit.title", timezone=actor.timezone) + page_range(entries, language)
    ]
    lines += [_line(entry, actor, language) for entry in entries.items]
    if not entries.items:
        lines.append(t(language, "work.audit.empty"))
    rows = [paging_row(entries, language, lambda offset: AuditCallback(offset=offset))]
    return Screen("\n".join(lines), keyboard(rows))


def _line(entry: AuditEntry, actor: Actor, language: Language) -> str:
    log = entry.log
    key = f"work.audit.action.{log.action}"
    action = t(language, key) if key in catalog(language) else safe(log.action, VALUE_UNITS)
    parts = [_details(log, actor, language)]
    number = (log.details or {}).get("number")
    if number is not None:
        parts.insert(0, t(language, "work.audit.number", number=_value(language, number)))
    details = " ".join(part for part in parts if part)
    return t(
        language,
        "work.audit.line",
        time=local_time(log.created_at, actor.timezone),
        actor=safe(entry.actor_name, NAME_UNITS)
        if entry.actor_name
        else t(language, "work.card.former"),
        action=action,
        details=t(language, "work.audit.details", details=details) if details else "",
    )


def _details(log: AuditLog, actor: Actor, language: Language) -> str:
    details: dict[str, Any] = log.details or {}
    before, after = details.get("before"), details.get("after")
    if log.action in _TERMS:
        prefix = _TERMS[log.action]
        return t(
            language,
            "work.audit.change",
            before=_term(language, prefix, before),
            after=_term(language, prefix, after),
        )
    if log.action in _NAMES:
        return t(
            language,
            "work.audit.change",
            before=_value(language, before),
            after=_value(language, after),
        )
    if log.action in _CREATED:
        return _value(language, details.get("name"))
    if log.action == "task.due_changed":
        return _due(after, actor, language)
    if log.action == "member.joined":
        return _term(language, "role", details.get("role"))
    return ""


def _value(language: Language, value: object) -> str:
    return safe(str(value), VALUE_UNITS) if value is not None else t(language, "work.audit.none")


def _term(language: Language, prefix: str, value: object) -> str:
    key = f"{prefix}.{value}"
    return t(language, key) if key in catalog(language) else _value(language, value)


def _due(value: object, actor: Actor, language: Language) -> str:
    if not isinstance(value, str):
        return t(language, "work.card.no_due")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _value(language, value)
    if moment.tzinfo is None:
        return _value(language, value)
    return format_due(moment, actor.timezone, language)
