"""Benchmark: the billing sweep (teamtasks/worker/billing_notifier.py) over many companies.

    make bench            (or: .venv/bin/python -m bench.billing_sweep [--counts 10000,50000])

For each count, a fresh PostgreSQL database is seeded (server-side, generate_series) with that
many companies, each with an owner and a subscription, a quarter in each state the sweep acts
on: a trial that ended an hour ago (-> expired), a trial ending in two days (-> a 3-day notice),
a paid period that ended an hour ago (-> past_due), and one with weeks left (untouched). One run
of the job is timed in a process of its own, so that its peak memory is its own: it should stay
flat as the count grows (the job works in chunks), and the run take under 10 s at 100,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.updates import drop_database, fresh_database
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory
from teamtasks.worker import billing_notifier
from teamtasks.worker.process import worker_context

TOKEN = "1000000002:bench-token-not-used-for-any-request"
TARGET_SECONDS = 10.0

SEED = [
    """INSERT INTO companies (id, name, timezone)
       SELECT g, 'Company ' || g, 'Europe/Moscow' FROM generate_series(1, :n) g""",
    """INSERT INTO users (id, telegram_id, first_name, language_code)
       SELECT g, 5000000000 + g, 'Owner ' || g, CASE WHEN g % 2 = 0 THEN 'en' ELSE 'ru' END
       FROM generate_series(1, :n) g""",
    """INSERT INTO memberships (company_id, user_id, role)
       SELECT g, g, 'owner' FROM generate_series(1, :n) g""",
    """INSERT INTO subscriptions
           (company_id, status, current_period_start, current_period_end)
       SELECT g,
              CASE WHEN g % 4 IN (0, 1) THEN 'trialing' ELSE 'active' END,
              CAST(:now AS timestamptz) - interval '20 days',
              CAST(:now AS timestamptz) + CASE g % 4
                  WHEN 0 THEN interval '-1 hour' WHEN 1 THEN interval '2 days'
                  WHEN 2 THEN interval '-1 hour' ELSE interval '20 days' END
       FROM generate_series(1, :n) g""",
]


async def measure(count: int) -> dict[str, Any]:
    url = await fresh_database()
    now = datetime.now(UTC)
    try:
        settings = Settings(database_url=url, bot_token=TOKEN)
        engine = create_engine(settings)
        async with engine.begin() as connection:
            for statement in SEED:
                await connection.execute(text(statement), {"n": count, "now": now})
            await connection.execute(text("ANALYZE"))
        async with worker_context(
            settings, create_session_factory(engine), clock=lambda: now
        ) as ctx:
            started = time.perf_counter()
            report = await billing_notifier.run(ctx)
            seconds = time.perf_counter() - started
        await engine.dispose()
    finally:
        await drop_database(url)
    return {
        "companies": count,
        "seconds": seconds,
        "moved": report.trial_expired + report.past_due,
        "warned": report.warned,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_count(count: int) -> dict[str, Any]:
    """One count measured in a process of its own (so that peak memory is its own)."""
    command = [sys.executable, "-m", "bench.billing_sweep", "--child", str(count)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10000,50000,100000", help="companies, by commas")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child))))  # noqa: T201
        return
    rows = [run_count(int(count)) for count in args.counts.split(",")]
    print(f"{'companies':>9} {'seconds':>8} {'moved':>7} {'warned':>7} {'peak MB':>8}")  # noqa: T201
    for row in rows:
        print(  # noqa: T201
            f"{row['companies']:>9} {row['seconds']:>8.2f} {row['moved']:>7} "
            f"{row['warned']:>7} {row['peak_rss_mb']:>8.0f}"
        )
    largest, smallest = rows[-1], rows[0]
    print(  # noqa: T201
        f"{largest['companies']} companies in {largest['seconds']:.2f} s "
        f"(target < {TARGET_SECONDS:.0f}); peak memory {smallest['peak_rss_mb']:.0f} MB at "
        f"{smallest['companies']} -> {largest['peak_rss_mb']:.0f} MB at {largest['companies']} "
        "(target: flat)"
    )


if __name__ == "__main__":
    main()
