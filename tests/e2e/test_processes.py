"""`teamtasks bot` and `teamtasks demo` as an operator runs them: real processes, real signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from teamtasks.db import SessionFactory
from tests.e2e.conftest import BOT_TOKEN, reply_text
from tests.support.web import free_port
from tgemulator import EmulatorServer
from tgemulator.client import EmulatorClient

PASSED_THROUGH = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}


class Process:
    """A running `teamtasks` command whose output is read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def wait_for_line(self, text: str, timeout: float = 30.0) -> str:  # noqa: ASYNC109
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"exited before printing {text!r}: {self.lines}")
                line = raw.decode().rstrip("\n")
                self.lines.append(line)
                if text in line:
                    return line

    async def stop(self, signum: signal.Signals, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        assert self.process.stdout is not None
        self.process.send_signal(signum)
        async with asyncio.timeout(timeout):
            rest = await self.process.stdout.read()
            self.lines.extend(rest.decode().splitlines())
            return await self.process.wait()


@asynccontextmanager
async def teamtasks(*args: str, cwd: Path, **env: str) -> AsyncIterator[Process]:
    environment = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "teamtasks",
        *args,
        cwd=cwd,
        env={**environment, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    running = Process(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_bot_process_polls_serves_health_stops_on_sigterm_and_never_logs_its_token(
    telegram: EmulatorServer,
    client: EmulatorClient,
    database_url: str,
    committing_factory: SessionFactory,
    tmp_path: Path,
) -> None:
    health_port = free_port()
    async with teamtasks(
        "bot",
        cwd=tmp_path,
        BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_URL=telegram.base_url,
        DATABASE_URL=database_url,
        HEALTH_PORT=str(health_port),
    ) as bot:
        await bot.wait_for_line('"bot_starting"')
        anna = await client.create_user("Anna", language_code="en")
        await anna.send("/start")
        assert (await reply_text(anna, timeout=20)).startswith("Hi, Anna!")
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{health_port}/healthz")
            metrics = await http.get(f"http://127.0.0.1:{health_port}/metrics")
        assert health.json() == {"status": "ok"}
        assert 'teamtasks_updates_total{handler="start.start",outcome="ok"} 1.0' in metrics.text

        assert await bot.stop(signal.SIGTERM) == 0

    output = "\n".join(bot.lines)
    assert BOT_TOKEN not in output
    assert BOT_TOKEN.split(":")[1] not in output
    events = [json.loads(line) for line in bot.lines]
    handled = next(event for event in events if event["event"] == "update_handled")
    assert handled["handler"] == "start.start"
    assert events[-1]["event"] == "bot_stopped"


async def test_demo_runs_offline_stops_on_ctrl_c_and_keeps_its_data(tmp_path: Path) -> None:
    env = {
        "DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'teamtasks.db'}",
        "DEMO_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
    }
    async with teamtasks("demo", cwd=tmp_path, **env) as demo:
        banner = await demo.wait_for_line("teamtasks demo: open ")
        url = banner.split("open ", 1)[1].split(" ", 1)[0]
        assert url == f"http://127.0.0.1:{env['DEMO_PORT']}"
        async with EmulatorClient(url) as client, httpx.AsyncClient() as http:
            page = await http.get(url + "/")
            assert page.status_code == 200
            assert "<html" in page.text.lower()
            health = await http.get(f"http://127.0.0.1:{env['WEB_PORT']}/healthz")
            assert health.json() == {"status": "ok"}
            anna = await client.create_user("Anna", language_code="ru")
            await anna.send("/start")
            assert (await reply_text(anna, timeout=20)).startswith("Привет, Anna!")
        assert await demo.stop(signal.SIGINT) == 0
        assert any("teamtasks demo stopped" in line for line in demo.lines)

    async with teamtasks("demo", cwd=tmp_path, **env) as demo:
        await demo.wait_for_line("teamtasks demo: open ")
        async with EmulatorClient(url) as client:
            history = await client.messages(anna.chat_id, after=0)
            texts = [message["text"] for message in history["messages"]]
            assert texts[0] == "/start"
            assert texts[1].startswith("Привет, Anna!")
        assert await demo.stop(signal.SIGTERM) == 0

    with sqlite3.connect(tmp_path / "var" / "teamtasks.db") as database:
        assert database.execute("SELECT first_name FROM users").fetchall() == [("Anna",)]
