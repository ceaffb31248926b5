"""The `teamtasks` command as an operator runs it: clear lines, no tracebacks, no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from teamtasks.billing.stars import RefundAttempt
from teamtasks.config import Settings
from teamtasks.db import create_engine, create_session_factory, unit_of_work
from teamtasks.models import OwedRefund
from teamtasks.services import owed_refunds
from tests.conftest import ADMIN_URL

TOKEN = "123456789:AAE-secret-token-value-for-the-test_xyz"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL"}
    }
    clean.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app.db", **env})
    return subprocess.run(
        [sys.executable, "-m", "teamtasks", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_config_describes_a_valid_setup(tmp_path: Path) -> None:
    result = run(tmp_path, "check-config", BOT_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "BOT_TOKEN=set" in result.stdout
    assert "configuration is valid" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_check_config_shows_the_payment_settings_and_hides_their_secrets(tmp_path: Path) -> None:
    yookassa_key, sandbox_key = "live_yookassa-key-0123456789", "s" * 40
    result = run(
        tmp_path,
        "check-config",
        PAYMENT_PROVIDERS="sandbox,yookassa",
        YOOKASSA_SHOP_ID="123456",
        YOOKASSA_SECRET_KEY=yookassa_key,
        YOOKASSA_API_URL="https://yookassa.test/v3/",
        SANDBOX_SECRET=sandbox_key,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "PAYMENT_PROVIDERS=sandbox,yookassa (/buy offers: sandbox, yookassa)" in lines
    assert "YOOKASSA_SHOP_ID=123456" in lines
    assert "YOOKASSA_SECRET_KEY=set" in lines
    assert "YOOKASSA_API_URL=https://yookassa.test/v3" in lines
    assert "SANDBOX_SECRET=set" in lines
    assert yookassa_key not in result.stdout + result.stderr
    assert sandbox_key not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: must start with"),
        ({"HEALTH_PORT": "-1"}, "HEALTH_PORT: Input should be greater than or equal to 0"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL: cannot connect"),
        (
            {"DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0].replace("5432", "1") + "/nowhere"},
            "DATABASE_URL: cannot connect to",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = run(tmp_path, "check-config", **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"teamtasks: configuration error: {expected}")
    assert "Traceback" not in result.stdout + result.stderr


def test_bot_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path, "bot")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "teamtasks: configuration error: BOT_TOKEN is not set: create a bot with @BotFather "
        "and set it"
    )


def test_the_bot_token_is_never_logged_even_when_the_bot_crashes(tmp_path: Path) -> None:
    result = run(
        tmp_path, "bot", BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://127.0.0.1:9", HEALTH_PORT="0"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    events = [json.loads(line)["event"] for line in result.stdout.splitlines()]
    assert "bot_starting" in events
    assert "fatal_error" in events


def test_migrate_builds_the_sqlite_database(tmp_path: Path) -> None:
    result = run(tmp_path, "migrate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database is at the latest migration" in result.stdout
    assert (tmp_path / "app.db").exists()


async def test_refunds_lists_the_stars_owed_and_retry_refunds_asks_again(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    engine = create_engine(Settings(database_url=url))
    factory = create_session_factory(engine)
    owed_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    answers = {
        "stxPENDING": RefundAttempt(given_back=False, error="Telegram server says - Bad Gateway"),
        "stxREFUSED": RefundAttempt(given_back=False, error="Bad Request: NOPE", final=True),
        "stxDONE": RefundAttempt(given_back=True),
    }
    try:
        async with unit_of_work(factory) as session:
            for payer_id, (charge, attempt) in enumerate(answers.items(), start=41):
                owed = await owed_refunds.owe(
                    session,
                    charge_id=charge,
                    payer_id=payer_id,
                    amount=650 * (payer_id - 40),
                    reason="charged twice",
                    now=owed_at,
                )
                owed_refunds.record(owed, attempt, now=owed_at)

        listed = run(tmp_path, "refunds")
        retried = run(tmp_path, "retry-refunds")

        assert listed.returncode == 0, listed.stderr
        assert report_lines(listed) == [
            "stxPENDING: 650 XTR to user 41 (charged twice), asked 1x, next 2026-12-01 09:31 UTC, "
            "last error: Telegram server says - Bad Gateway",
            "stxREFUSED: 1300 XTR to user 42 (charged twice), refused 2026-12-01 09:30 UTC: "
            "Bad Request: NOPE",
            "stars owed back: 2 refunds, 1950 XTR; refused by Telegram: 1 "
            "(fix the cause, then `teamtasks retry-refunds`)",
        ]
        assert retried.returncode == 0, retried.stderr
        assert report_lines(retried) == [
            "refunds Telegram refused made due again: 1 (the worker asks within a minute)"
        ]
        async with factory() as session:
            again = await session.scalar(
                select(OwedRefund).where(OwedRefund.charge_id == "stxREFUSED")
            )
        assert again is not None
        assert again.failed_at is None
        assert again.next_attempt_at > owed_at
    finally:
        await engine.dispose()


def report_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command printed for a person, without its JSON log lines."""
    return [line for line in result.stdout.splitlines() if not line.startswith("{")]
