"""`teamtasks worker` as an operator runs it: a real process, killed or stopped mid-batch.

The local Bot API lets a number of messages through and then holds the next ones in the air,
so that the worker is stopped at a known point rather than at a moment a sleep guessed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update
from taskiq.kicker import AsyncKicker

from teamtasks.db import SessionFactory, unit_of_work
from teamtasks.models import Notification
from teamtasks.models.enums import NotificationStatus
from teamtasks.worker.broker import DELIVER_DUE, create_broker
from tests.conftest import REDIS_URL
from tests.support.web import free_port
from tests.worker.conftest import BOT_TOKEN, worker_settings
from tests.worker.support import bot_texts, enrol, statuses, write
from tgemulator import EmulatorServer, bot_api
from tgemulator.client import Person
from tgemulator.core import Emulator
from tgemulator.errors import ApiError
from tgemulator.params import Params

People = Callable[[int], Awaitable[list[Person]]]
PASSED_THROUGH = {"PATH", "HOME", "LANG", "TMPDIR"}
LEASE_SECONDS = 60


class Gate:
    """Lets `open_for` sendMessage calls through, then holds the others until released: as
    refused (they never reached Telegram) or let through (they did)."""

    def __init__(self, handler: Any, open_for: int) -> None:
        self._handler = handler
        self.open_for = open_for
        self.held = asyncio.Event()
        self._released = asyncio.Event()
        self._refuse = True

    async def __call__(self, emulator: Emulator, params: Params) -> Any:
        if self.open_for > 0:
            self.open_for -= 1
            return await self._handler(emulator, params)
        self.held.set()
        await self._released.wait()
        if self._refuse:
            raise ApiError(502, "Bad Gateway")
        return await self._handler(emulator, params)

    def release(self, *, refuse: bool) -> None:
        self._refuse = refuse
        self.open_for = 1_000_000
        self._released.set()


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], Gate]:
    def install(open_for: int) -> Gate:
        name, handler = bot_api.METHODS["sendmessage"]
        gate = Gate(handler, open_for)
        monkeypatch.setitem(bot_api.METHODS, "sendmessage", (name, gate))
        return gate

    return install


class Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def wait_for_line(self, text: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"exited before printing {text!r}: {self.lines}")
                self.lines.append(raw.decode().rstrip("\n"))
                if text in self.lines[-1]:
                    return

    async def exit_code(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            self.lines += (await self.process.stdout.read()).decode().splitlines()
            return await self.process.wait()


@asynccontextmanager
async def running_worker(env: dict[str, str], cwd: Path) -> AsyncIterator[Worker]:
    environment = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "teamtasks",
        "worker",
        cwd=cwd,
        env={**environment, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    worker = Worker(process)
    try:
        await worker.wait_for_line('"worker_starting"')
        yield worker
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def worker_env(telegram: EmulatorServer, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TELEGRAM_API_URL": telegram.base_url,
        "BOT_TOKEN": BOT_TOKEN,
        "JOB_QUEUE": f"teamtasks:test:{uuid.uuid4().hex[:8]}",
        "WORKER_HEALTH_PORT": str(free_port()),
        "DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
    }


async def kick_sweep(telegram: EmulatorServer, database_url: str, env: dict[str, str]) -> None:
    """What the scheduler does every minute: kick the delivery sweep."""
    settings = worker_settings(
        telegram, database_url, redis_url=REDIS_URL, job_queue=env["JOB_QUEUE"]
    )
    broker = create_broker(settings)
    await broker.startup()
    try:
        kicker: AsyncKicker[[], None] = AsyncKicker(DELIVER_DUE, broker, {})
        await kicker.kiq()
    finally:
        await broker.shutdown()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait for a condition of the database, looking again every few milliseconds."""
    async with asyncio.timeout(timeout):
        # The database offers no event to wait on: look again, briefly, until it holds.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def sent(factory: SessionFactory, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await statuses(factory))[NotificationStatus.SENT] == count

    return check


async def test_a_worker_killed_mid_batch_and_restarted_finishes_with_no_duplicate_and_no_loss(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    database_url: str,
    worker_env: dict[str, str],
    gate: Callable[[int], Gate],
    tmp_path: Path,
) -> None:
    persons = await people(10)
    company_id = await enrol(committing_factory, persons)
    chats = [person.id for person in persons] * 3
    await write(committing_factory, company_id, chats)
    held = gate(12)

    async with running_worker(worker_env, tmp_path) as worker:
        await kick_sweep(telegram, database_url, worker_env)
        await asyncio.wait_for(held.held.wait(), 30)
        await until(sent(committing_factory, 12))
        worker.process.kill()  # SIGKILL: no chance to hand anything back
        assert await worker.exit_code() == -signal.SIGKILL
    held.release(refuse=True)

    assert sum(len(bot_texts(telegram, chat)) for chat in set(chats)) == 12
    assert await statuses(committing_factory) == {
        NotificationStatus.SENT: 12,
        NotificationStatus.PENDING: 18,
    }
    # The dead worker's lease has to lapse; the test moves those rows' clock on by one lease
    # instead of waiting it out.
    async with unit_of_work(committing_factory) as session:
        await session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.PENDING)
            .values(next_attempt_at=text(f"next_attempt_at - interval '{LEASE_SECONDS} seconds'"))
        )

    async with running_worker(worker_env, tmp_path) as worker:
        await kick_sweep(telegram, database_url, worker_env)
        await until(sent(committing_factory, 30))
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.exit_code() == 0

    for n, person in enumerate(persons):
        assert bot_texts(telegram, person.id) == [f"n{n}", f"n{n + 10}", f"n{n + 20}"]


async def test_sigterm_finishes_the_message_in_hand_and_hands_back_the_rest(
    telegram: EmulatorServer,
    people: People,
    committing_factory: SessionFactory,
    database_url: str,
    worker_env: dict[str, str],
    gate: Callable[[int], Gate],
    tmp_path: Path,
) -> None:
    persons = await people(10)
    company_id = await enrol(committing_factory, persons)
    chats = [person.id for person in persons] * 3
    await write(committing_factory, company_id, chats)
    held = gate(5)

    async with running_worker(worker_env, tmp_path) as worker:
        async with httpx.AsyncClient() as http:
            port = worker_env["WORKER_HEALTH_PORT"]
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).json() == {"status": "ok"}
        await kick_sweep(telegram, database_url, worker_env)
        await asyncio.wait_for(held.held.wait(), 30)
        await until(sent(committing_factory, 5))
        worker.process.send_signal(signal.SIGTERM)
        held.release(refuse=False)  # the messages in the air arrive
        assert await worker.exit_code() == 0

    events = [json.loads(line)["event"] for line in worker.lines if line.startswith("{")]
    assert events[-1] == "worker_stopped"
    delivered = sum(len(bot_texts(telegram, chat)) for chat in set(chats))
    counts = await statuses(committing_factory)
    assert counts[NotificationStatus.SENT] == delivered
    assert counts[NotificationStatus.PENDING] == 30 - delivered > 0
    async with committing_factory() as session:
        handed_back = (
            await session.scalars(
                select(Notification.attempts).where(
                    Notification.status == NotificationStatus.PENDING
                )
            )
        ).all()
    assert set(handed_back) <= {0}, "handed back: due now, the attempt not counted"

    async with running_worker(worker_env, tmp_path) as worker:
        await kick_sweep(telegram, database_url, worker_env)
        await until(sent(committing_factory, 30))
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.exit_code() == 0
    for n, person in enumerate(persons):
        assert bot_texts(telegram, person.id) == [f"n{n}", f"n{n + 10}", f"n{n + 20}"]
