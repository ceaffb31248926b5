"""Benchmark: the full bot stack against a bare aiogram dispatcher, on PostgreSQL.

    make bench            (or: .venv/bin/python -m bench.updates [--updates N] [--rounds R])

The full stack is the real dispatcher (middlewares, services, PostgreSQL) handling "create
task" (`/new ...`) and "list my tasks" (`/my`) updates, fed as the bot receives them (JSON ->
Update -> dispatcher, the returned reply sent). The baseline is a bare aiogram dispatcher whose
handler does a minimal unit of work: select the user by Telegram id, insert one row, commit.
The Bot API is answered in-process (no network) for both, so the figures are ours, not HTTP's.

Each stack runs in its own process (so peak memory is its own) and prints: saturated
throughput handled one at a time (as polling does) and 8 at a time (as webhook replicas do),
and p50/p99 latency at an open-loop offered load of 100 updates/s. The stacks take turns for
three rounds (`--rounds`); the figures are medians, the ratios taken within each round.
Logging is configured as in production (JSON lines at INFO, one per update) but written to
/dev/null, so its cost counts and the figures stay readable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import Message, Update
from sqlalchemy import select
from sqlalchemy.engine import make_url

from teamtasks import migrations
from teamtasks.bot.factory import create_dispatcher
from teamtasks.bot.runtime import settle
from teamtasks.config import Settings
from teamtasks.db import SessionFactory, create_engine, create_session_factory, unit_of_work
from teamtasks.models import ProcessedUpdate, User
from teamtasks.observability.logging import configure_logging
from teamtasks.services import companies, users

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TOKEN = "42:BENCH-token-abcdefghijklmnopqrstuvwxyz"
COMPANIES = 8
OFFERED_RATE = 100.0
CONCURRENCY = 8


class InProcessTelegram(BaseSession):
    """Answers every Bot API call as Telegram would, without a network."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        chat_id = getattr(method, "chat_id", None)
        if chat_id is None:
            return True
        return Message.model_validate(
            {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": getattr(method, "text", None) or "ok",
            }
        )

    async def close(self) -> None:
        return None

    def stream_content(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the benchmark downloads no files")


def configure_bench_logging(settings: Settings) -> None:
    """Production's logging (a write per line included), into /dev/null instead of stdout."""
    sink = open(os.devnull, "w")  # noqa: SIM115 (open for the life of the process, as stdout is)
    configure_logging(settings, stream=sink)


def update_json(update_id: int, telegram_id: int, text_: str) -> str:
    sender = {
        "id": telegram_id,
        "is_bot": False,
        "first_name": f"U{telegram_id}",
        "language_code": "en",
    }
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": telegram_id, "type": "private"},
                "from": sender,
                "text": text_,
            },
        }
    )


def bare_dispatcher(factory: SessionFactory) -> Dispatcher:
    """aiogram with the minimal unit of work: select the user, insert one row, commit."""
    dispatcher = Dispatcher()
    router = Router()

    @router.message()
    async def minimal(message: Message) -> Any:
        assert message.from_user is not None
        async with factory() as session:
            await session.scalar(select(User.id).where(User.telegram_id == message.from_user.id))
            session.add(ProcessedUpdate(update_id=message.message_id, outcome="done"))
            await session.commit()
        return message.answer("ok")

    dispatcher.include_router(router)
    return dispatcher


async def handle(dispatcher: Dispatcher, bot: Bot, raw: str) -> None:
    update = Update.model_validate_json(raw, context={"bot": bot})
    result = await dispatcher.feed_update(bot, update)
    if isinstance(result, TelegramMethod):
        await bot(result)


async def saturated(run: Callable[[str], Awaitable[None]], feed: list[str], parallel: int) -> float:
    queue = iter(feed)
    started = time.perf_counter()

    async def worker() -> None:
        for raw in queue:
            await run(raw)

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return len(feed) / (time.perf_counter() - started)


async def open_loop(
    run: Callable[[str], Awaitable[None]], feed: list[str], rate: float
) -> list[float]:
    """Offer `rate` updates/s whatever the stack does; latency counts from the scheduled time."""
    latencies: list[float] = []
    start = time.perf_counter() + 0.05

    async def one(raw: str, due: float) -> None:
        await run(raw)
        latencies.append(time.perf_counter() - due)

    tasks = []
    for index, raw in enumerate(feed):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(raw, due)))
    await asyncio.gather(*tasks)
    return latencies


async def seed(factory: SessionFactory) -> list[int]:
    """One owner per company; returns their Telegram ids."""
    owners = []
    async with unit_of_work(factory) as session:
        for index in range(COMPANIES):
            telegram_id = 900_000 + index
            user = await users.sync_from_telegram(
                session,
                telegram_id=telegram_id,
                first_name=f"U{telegram_id}",
                last_name=None,
                username=None,
                language_code="en",
            )
            await companies.create_company(session, user=user, name=f"Company {index}")
            owners.append(telegram_id)
    return owners


async def measure(stack: str, database_url: str, count: int) -> dict[str, Any]:
    settings = Settings(database_url=database_url, log_level="INFO")
    configure_bench_logging(settings)
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    owners = await seed(factory)
    dispatcher = (
        bare_dispatcher(factory) if stack == "bare" else create_dispatcher(settings, factory)
    )
    bot = Bot(TOKEN, session=InProcessTelegram())
    settle()  # as `teamtasks bot` and `web` do; for both stacks, it is the process's, not ours
    update_ids = iter(range(1, 10**9))

    def feed(n: int) -> list[str]:
        texts = ["/new Benchmark task", "/my"]
        return [
            update_json(next(update_ids), owners[i % len(owners)], texts[i % 2]) for i in range(n)
        ]

    async def run(raw: str) -> None:
        await handle(dispatcher, bot, raw)

    await saturated(run, feed(200), 1)  # warm-up: imports, caches, connections
    sequential = await saturated(run, feed(count), 1)
    concurrent = await saturated(run, feed(count), CONCURRENCY)
    latencies = sorted(await open_loop(run, feed(int(OFFERED_RATE * 10)), OFFERED_RATE))
    await engine.dispose()
    return {
        "stack": stack,
        "sequential_per_s": sequential,
        "concurrent_per_s": concurrent,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def fresh_database() -> str:
    admin = make_url(ADMIN_URL)
    name = f"teamtasks_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = admin.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrations.upgrade, url)
    return url


async def drop_database(url: str) -> None:
    admin = make_url(ADMIN_URL)
    connection = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()


async def child(stack: str, count: int) -> None:
    url = await fresh_database()
    try:
        print(json.dumps(await measure(stack, url, count)))  # noqa: T201
    finally:
        await drop_database(url)


def run_stack(stack: str, updates: int) -> dict[str, Any]:
    """One stack measured in a process of its own (so that peak memory is its own)."""
    command = [sys.executable, "-m", "bench.updates", "--stack", stack, "--updates", str(updates)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _row(name: str, row: dict[str, float]) -> str:
    return (
        f"{name:<6} {row['sequential_per_s']:>8.0f} {row['concurrent_per_s']:>9.0f} "
        f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['peak_rss_mb']:>8.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per saturated run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of both stacks; medians are reported"
    )
    parser.add_argument("--stack", choices=["bare", "full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stack:
        asyncio.run(child(args.stack, args.updates))
        return
    # A shared 2-core machine drifts by tens of percent from one minute to the next: the stacks
    # alternate round by round, each ratio is taken within its round, and medians are reported.
    rounds = []
    for index in range(args.rounds):
        order = ("bare", "full") if index % 2 == 0 else ("full", "bare")
        measured = {stack: run_stack(stack, args.updates) for stack in order}
        rounds.append(measured)
        bare, full = measured["bare"], measured["full"]
        print(  # noqa: T201
            f"round {index + 1}: full/bare sequential "
            f"{full['sequential_per_s'] / bare['sequential_per_s']:.2f} "
            f"({full['sequential_per_s']:.0f}/{bare['sequential_per_s']:.0f}), concurrent "
            f"{full['concurrent_per_s'] / bare['concurrent_per_s']:.2f} "
            f"({full['concurrent_per_s']:.0f}/{bare['concurrent_per_s']:.0f}), "
            f"p99 {full['p99_ms']:.1f}/{bare['p99_ms']:.1f} ms",
            flush=True,
        )

    def median(stack: str, key: str) -> float:
        return float(statistics.median(measured[stack][key] for measured in rounds))

    def ratio(key: str) -> float:
        return float(statistics.median(m["full"][key] / m["bare"][key] for m in rounds))

    keys = ("sequential_per_s", "concurrent_per_s", "p50_ms", "p99_ms", "peak_rss_mb")
    print(  # noqa: T201
        f"updates: {args.updates} per saturated run; open loop at {OFFERED_RATE:.0f}/s for 10 s; "
        f"medians of {args.rounds} rounds"
    )
    print(f"{'stack':<6} {'seq/s':>8} {'8-conc/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak MB':>8}")  # noqa: T201
    for stack in ("bare", "full"):
        print(_row(stack, {key: median(stack, key) for key in keys}))  # noqa: T201
    print(  # noqa: T201
        f"full/bare: sequential {ratio('sequential_per_s'):.2f}, "
        f"concurrent {ratio('concurrent_per_s'):.2f} (target >= 0.5); "
        f"full p99 at 100/s {median('full', 'p99_ms'):.1f} ms (target < 50)"
    )


if __name__ == "__main__":
    main()
