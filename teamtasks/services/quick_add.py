"""`/new Fix the login page @anna tomorrow 18:00`: a task's title, assignee and due date typed
on one line, in private chats and groups alike.

The first mention is the assignee (a member of the company, or the task is not made): an
`@username`, or a person with no username picked from Telegram's list, whom the message names by
their Telegram id (a text_mention entity, found by the caller: `TextMention`). A due
date is looked for at the end of the line, in both languages and the company's time zone (see
due_dates.py): the longest run of up to four last words that reads as a moment to come. Only
runs that start with a word of dates ("tomorrow", "пятницу", "18:00", "at", "до") and hold a
strong one (a day, a clock time, a date) are tried, so a plain title costs no parsing and
"Release 2" stays a title. What is left is the title, as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from teamtasks.models import Membership, Task, User
from teamtasks.services import due_dates, tasks
from teamtasks.services.actors import Actor
from teamtasks.services.errors import InvalidInput, NotFound

MAX_DUE_WORDS = 4

_MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{2,31})(?!\w)")
_WORD = re.compile(r"\S+")
_STRONG = re.compile(
    r"\d{1,2}[:.]\d{2}|\d{1,2}(?:am|pm)|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    r"|today|tonight|tomorrow|noon|midnight|next|weekend"
    r"|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?|days?|hours?|weeks?|minutes?"
    r"|jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|сегодня|завтра|послезавтра|понедельник\w*|вторник\w*|сред[аыуе]|четверг\w*|пятниц\w*"
    r"|суббот\w*|воскресень\w*|дн[яейи]|день|час\w*|недел\w*|минут\w*|утра|вечера|ночи"
    r"|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йя]|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*",
)
"""A word that by itself names a day or a time."""
_LEAD = re.compile(r"at|by|on|in|до|в|во|к|на|через|\d.*")
"""Besides a strong word, what a due date may start with."""
_TRAILING_PUNCTUATION = ",.;"


@dataclass(frozen=True)
class TextMention:
    """A person named in the line by a mention that carries their Telegram id (Telegram's
    text_mention, for someone with no username): where it is (indices of the line)."""

    start: int
    end: int
    telegram_id: int


@dataclass(frozen=True)
class QuickTask:
    """What one line says: the title, the assignee (by username, or by Telegram id when named
    by a text mention; neither: nobody), the due date."""

    title: str
    username: str | None
    due_at: datetime | None
    telegram_id: int | None = None

    @property
    def assigned(self) -> bool:
        return self.username is not None or self.telegram_id is not None


def parse(
    text: str,
    *,
    timezone: str,
    now: datetime | None = None,
    ignore: str | None = None,
    titled: bool = True,
    mentions: Sequence[TextMention] = (),
) -> QuickTask:
    """Read a `/new` line; `ignore`: the bot's own username, never an assignee; `titled`: the
    line must keep a title (False when the title may come from elsewhere: a replied message);
    `mentions`: the line's text mentions."""
    cuts: list[tuple[int, int]] = []
    candidates: list[tuple[int, int, str | None, int | None]] = [
        (mention.start, mention.end, None, mention.telegram_id) for mention in mentions
    ]
    for found in _MENTION.finditer(text):
        if any(m.start < found.end() and found.start() < m.end for m in mentions):
            continue  # part of a person's mention (a name may well hold an "@")
        if ignore is not None and found[1].lower() == ignore.lower():
            cuts.append(found.span())
        else:
            candidates.append((found.start(), found.end(), found[1], None))
    username, telegram_id = None, None
    if candidates:
        start, end, username, telegram_id = min(candidates, key=lambda candidate: candidate[0])
        cuts.append((start, end))
    for start, end in sorted(cuts, reverse=True):
        text = _cut(text, start, end)
    title, due_at = _due_at_end(text, timezone, now, keep=1 if titled else 0)
    return QuickTask(title=title, username=username, due_at=due_at, telegram_id=telegram_id)


def _cut(text: str, start: int, end: int) -> str:
    """The text without [start, end) and the spaces it leaves doubled."""
    return (text[:start].rstrip() + " " + text[end:].lstrip()).strip()


def _due_at_end(
    text: str, timezone: str, now: datetime | None, *, keep: int
) -> tuple[str, datetime | None]:
    """The title and the due date at its end; the title keeps at least `keep` words."""
    words = list(_WORD.finditer(text))
    first = max(len(words) - MAX_DUE_WORDS, keep)
    for index in range(first, len(words)):
        run = [word[0].lower().rstrip(_TRAILING_PUNCTUATION) for word in words[index:]]
        if not (_STRONG.fullmatch(run[0]) or _LEAD.fullmatch(run[0])):
            continue
        if not any(_STRONG.fullmatch(word) for word in run):
            continue
        try:
            due_at = due_dates.parse_due(" ".join(run), timezone=timezone, now=now)
        except InvalidInput:
            continue
        return text[: words[index].start()].rstrip().rstrip(_TRAILING_PUNCTUATION), due_at
    return text, None


async def mentioned_member(session: AsyncSession, *, actor: Actor, line: QuickTask) -> User:
    """The member of the actor's company the line assigns: by Telegram username (any case) or
    by Telegram id."""
    person = (
        func.lower(User.username) == line.username.lower()
        if line.username is not None
        else User.telegram_id == line.telegram_id
    )
    user = await session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == actor.company_id, person)
    )
    if user is None:
        raise NotFound("errors.not_found.mention")
    return user


async def create(
    session: AsyncSession,
    *,
    actor: Actor,
    line: QuickTask,
    project_id: int | None = None,
    description: str | None = None,
    source: tuple[int, int] | None = None,
) -> Task:
    """The task a line describes, assigned and due as it says; `source`: the group's chat id
    and the message the task was made from. The assignee is checked before anything is made."""
    assignee = None
    if line.assigned:
        assignee = await mentioned_member(session, actor=actor, line=line)
    task = await tasks.create_task(
        session,
        actor=actor,
        title=line.title,
        project_id=project_id,
        description=description,
        source=source,
    )
    if assignee is not None:
        await tasks.assign_task(session, actor=actor, number=task.number, assignee_id=assignee.id)
    if line.due_at is not None:
        await tasks.set_due(session, actor=actor, number=task.number, due_at=line.due_at)
    return task
