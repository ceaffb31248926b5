"""Benchmark: notification delivery through the local Bot API at Telegram's real limits.

    make bench            (or: .venv/bin/python -m bench.delivery [--messages 900] [--chats 300])

Pending notifications, spread over many private chats, are delivered by the worker's delivery
job through the local Bot API server with its flood control at Telegram's limits (30 messages a
second overall, 1 a second per chat). Throughput is measured from the server's own record of
the messages it accepted, and reported as a fraction of the allowed 30 a second (target at
least 0.95), with the 429 answers the server gave (the limiter should leave none).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sqlalchemy import insert

from bench.updates import drop_database, fresh_database
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, unit_of_work
from teamtasks.models import Company, Notification
from teamtasks.worker.delivery import deliver
from teamtasks.worker.process import worker_context
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient

TOKEN = "1000000003:bench-delivery-token-not-secret"
ALLOWED = 30.0
TARGET = 0.95


async def measure(messages: int, chats: int) -> None:
    url = await fresh_database()
    server = EmulatorServer(bot_token=TOKEN, bot_username="teamtasks_bench_bot")
    await server.start()
    try:
        async with EmulatorClient(server.base_url) as client:
            people = [await client.create_user(f"User {n}") for n in range(chats)]
            for person in people:
                await person.send("/start")
        settings = Settings(database_url=url, bot_token=TOKEN, telegram_api_url=server.base_url)
        engine = create_engine(settings)
        factory = create_session_factory(engine)
        async with unit_of_work(factory) as session:
            company = Company(name="Bench")
            session.add(company)
            await session.flush()
            await session.execute(
                insert(Notification),
                [
                    {
                        "company_id": company.id,
                        "chat_id": people[n % chats].id,
                        "kind": "bench",
                        "dedupe_key": f"bench:{n}",
                        "text": f"Notification {n}",
                    }
                    for n in range(messages)
                ],
            )
        async with worker_context(settings, factory) as ctx:
            started = time.perf_counter()
            report = await deliver(ctx)
            elapsed = time.perf_counter() - started
        await engine.dispose()
        sent = sorted(c.at for c in server.calls if c.method == "sendMessage" and c.ok)
        refused = sum(1 for call in server.calls if call.error_code == 429)
    finally:
        await server.stop()
        await drop_database(url)
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    print(  # noqa: T201
        f"{'messages':>8} {'chats':>6} {'seconds':>8} {'msg/s':>7} {'of 30/s':>8} {'429s':>5}"
    )
    print(  # noqa: T201
        f"{report.sent:>8} {chats:>6} {elapsed:>8.1f} {rate:>7.2f} {rate / ALLOWED:>8.3f} "
        f"{refused:>5}"
    )
    print(f"delivery at {rate / ALLOWED:.3f} of the allowed 30/s (target >= {TARGET})")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=900, help="notifications to deliver")
    parser.add_argument("--chats", type=int, default=300, help="private chats they go to")
    args = parser.parse_args()
    asyncio.run(measure(args.messages, args.chats))


if __name__ == "__main__":
    main()
