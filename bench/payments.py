"""Benchmark: payment webhook settlements per second, and their latency, on PostgreSQL.

    make bench            (or: .venv/bin/python -m bench.payments [--payments N])

`teamtasks web` runs as its own process (as in production: uvicorn, JSON logs at INFO, here
into /dev/null) on a fresh PostgreSQL database holding pending sandbox payments of many
companies. This process posts sandbox-signed notifications to `/payments/sandbox/webhook` over
HTTP, each of which the service verifies (HMAC, timestamp), records once and settles in one
transaction (payment, invoice, subscription, audit row, the owner's outbox message):

- sequential: one notification at a time, each a distinct payment: the latency of one;
- concurrent: distinct payments, CONCURRENCY at a time: settlements per second;
- duplicate storm: one more payment's notification sent STORM times, STORM_CONCURRENCY at a
  time, as a provider retrying in a panic would: every answer must be 2xx and the payment
  must extend its subscription exactly once.

Prints requests per second and p50/p99 latency for each phase, and the server's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from bench.updates import drop_database, fresh_database
from teamtasks.billing.base import PaymentState
from teamtasks.billing.sandbox import WEBHOOK_PATH, SandboxProvider
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, unit_of_work
from teamtasks.models import AuditLog, Invoice, Payment, Plan
from teamtasks.models.base import utcnow
from teamtasks.models.enums import InvoiceStatus, PaymentProvider, PaymentStatus
from teamtasks.services import companies, users

SECRET = "bench-sandbox-secret-0123456789abcdefghijklmnop"
COMPANIES = 200
CONCURRENCY = 16
STORM = 1000
STORM_CONCURRENCY = 100


@dataclass(frozen=True)
class Phase:
    name: str
    requests: int
    concurrency: int
    per_s: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def web_process(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`teamtasks web` as production runs it, its JSON log lines going to /dev/null."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PAYMENT_PROVIDERS": "sandbox",
        "SANDBOX_SECRET": SECRET,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "DATABASE_POOL_SIZE": str(CONCURRENCY),
    }
    environment.pop("BOT_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "teamtasks", "web"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait()


async def wait_ready(http: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    """Poll /healthz until the service answers (a benchmark's start-up, not a test)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if (await http.get("/healthz")).status_code == httpx.codes.OK:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("teamtasks web did not start")
        await asyncio.sleep(0.1)


async def seed(database_url: str, payments: int) -> list[PaymentState]:
    """Companies on their trial, and `payments` pending sandbox payments spread over them."""
    settings = Settings(database_url=database_url)
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    now = utcnow()
    states: list[PaymentState] = []
    async with unit_of_work(factory) as session:
        plan = await session.scalar(select(Plan).where(Plan.code == "team"))
        assert plan is not None, "migration 0002 seeds the plans"
        company_ids = []
        for index in range(COMPANIES):
            user = await users.sync_from_telegram(
                session,
                telegram_id=800_000 + index,
                first_name=f"Owner {index}",
                last_name=None,
                username=None,
                language_code="en",
            )
            company = await companies.create_company(session, user=user, name=f"Shop {index}")
            company_ids.append((company.id, user.id))
        for index in range(payments):
            company_id, user_id = company_ids[index % COMPANIES]
            invoice = Invoice(
                company_id=company_id,
                plan_id=plan.id,
                provider=PaymentProvider.SANDBOX,
                status=InvoiceStatus.OPEN,
                amount_minor=plan.price_minor,
                currency=plan.currency,
                period_days=plan.period_days,
                created_by_id=user_id,
                expires_at=now + timedelta(days=1),
            )
            session.add(invoice)
            await session.flush()
            payment_id = f"sbx_bench_{index:08d}"
            session.add(
                Payment(
                    company_id=company_id,
                    invoice_id=invoice.id,
                    provider=PaymentProvider.SANDBOX,
                    provider_payment_id=payment_id,
                    status=PaymentStatus.PENDING,
                    amount_minor=plan.price_minor,
                    currency=plan.currency,
                )
            )
            states.append(
                PaymentState(payment_id, PaymentStatus.SUCCEEDED, plan.price_minor, plan.currency)
            )
    await engine.dispose()
    return states


async def run_phase(
    name: str,
    http: httpx.AsyncClient,
    notifications: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
) -> Phase:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(notifications)

    async def worker() -> None:
        for body, headers in queue:
            started = time.perf_counter()
            response = await http.post(WEBHOOK_PATH, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Phase(
        name=name,
        requests=len(notifications),
        concurrency=concurrency,
        per_s=len(notifications) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000,
        statuses=statuses,
    )


def server_peak_mb(pid: int) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def extensions_of(database_url: str, payment_id: str) -> int:
    """How many times the payment extended its subscription (its billing.paid audit rows)."""
    engine = create_engine(Settings(database_url=database_url))
    factory = create_session_factory(engine)
    async with factory() as session:
        invoice_id = await session.scalar(
            select(Payment.invoice_id).where(Payment.provider_payment_id == payment_id)
        )
        count = await session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "billing.paid", AuditLog.entity_id == invoice_id)
        )
    await engine.dispose()
    return int(count or 0)


async def measure(database_url: str, payments: int) -> tuple[list[Phase], float, int]:
    sequential = max(payments // 4, 1)
    warm_up = 100
    states = await seed(database_url, warm_up + sequential + payments + 1)
    sandbox = SandboxProvider(secret=SECRET.encode(), web_url="http://unused")
    port = free_port()
    with web_process(database_url, port) as process:
        limits = httpx.Limits(max_connections=STORM_CONCURRENCY)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
        ) as http:
            await wait_ready(http, process)
            notes = [sandbox.notification(state) for state in states]
            await run_phase("warm-up", http, notes[:warm_up], CONCURRENCY)
            phases = [
                await run_phase("sequential", http, notes[warm_up : warm_up + sequential], 1),
                await run_phase(
                    "concurrent",
                    http,
                    notes[warm_up + sequential : warm_up + sequential + payments],
                    CONCURRENCY,
                ),
                await run_phase("duplicate storm", http, [notes[-1]] * STORM, STORM_CONCURRENCY),
            ]
        peak = server_peak_mb(process.pid)
    return phases, peak, await extensions_of(database_url, states[-1].provider_payment_id)


async def run(payments: int) -> None:
    url = await fresh_database()
    try:
        phases, peak, extensions = await measure(url, payments)
    finally:
        await drop_database(url)
    print(  # noqa: T201
        f"payment webhooks: sandbox-signed notifications over HTTP to `teamtasks web` "
        f"(1 uvicorn process) on PostgreSQL; {COMPANIES} companies"
    )
    print(f"{'phase':<16} {'requests':>8} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")  # noqa: T201
    for phase in phases:
        print(  # noqa: T201
            f"{phase.name:<16} {phase.requests:>8} {phase.concurrency:>5} {phase.per_s:>8.0f} "
            f"{phase.p50_ms:>8.1f} {phase.p99_ms:>8.1f}   {json.dumps(phase.statuses)}"
        )
    all_2xx = all(200 <= status < 300 for phase in phases for status in phase.statuses)
    print(  # noqa: T201
        f"server peak RSS {peak:.0f} MB; every answer 2xx: {all_2xx}; "
        f"the stormed payment extended its subscription {extensions} time(s) (must be 1)"
    )
    if not all_2xx or extensions != 1:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--payments", type=int, default=2000, help="distinct payments in the concurrent phase"
    )
    args = parser.parse_args()
    asyncio.run(run(args.payments))


if __name__ == "__main__":
    main()
