"""The web service over HTTP: health, readiness, metrics and the Telegram webhook's guards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.models import ProcessedUpdate, User
from teamtasks.web.app import create_app
from tests.support.updates import message_update
from tests.support.web import serve

TOKEN = "42:WEB-test-token-value-abcdefghijklmnop"
SECRET = "webhook-secret_123"


def _settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    """The web's settings, its local file store under the test's own directory."""
    return Settings(database_url=database_url, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def web(
    database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[str]:
    settings = _settings(
        database_url,
        tmp_path,
        bot_token=TOKEN,
        webhook_secret=SECRET,
        telegram_api_url="http://127.0.0.1:9",
    )
    async with serve(create_app(settings)) as base_url:
        yield base_url


async def test_health_and_metrics(web: str) -> None:
    async with httpx.AsyncClient(base_url=web) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}
        metrics = await client.get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "teamtasks_updates_total" in metrics.text
        assert _sample(metrics.text, "teamtasks_db_pool_size") >= 1


async def test_requests_are_counted_by_route_template_and_status(web: str) -> None:
    healthz = 'teamtasks_http_requests_total{method="GET",route="/healthz",status="200"}'
    unsigned = 'teamtasks_http_requests_total{method="GET",route="/files/{key:path}",status="403"}'
    async with httpx.AsyncClient(base_url=web) as client:
        before = (await client.get("/metrics")).text
        await client.get("/healthz")
        await client.get("/files/company_1/task_1/nothing.pdf")
        after = (await client.get("/metrics")).text

    assert _sample(after, healthz) == _sample(before, healthz) + 1
    assert _sample(after, unsigned) == _sample(before, unsigned) + 1
    assert "nothing.pdf" not in after


def _sample(metrics: str, name: str) -> float:
    """The value of one sample in Prometheus text (0 when the series does not exist yet)."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_readiness_names_the_part_that_fails(database_url: str, tmp_path: Path) -> None:
    settings = _settings(database_url, tmp_path, redis_url="redis://127.0.0.1:1/0")
    async with serve(create_app(settings)) as base_url, httpx.AsyncClient() as client:
        ready = await client.get(base_url + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["redis"].startswith("failed: ")


async def test_webhook_refuses_a_wrong_or_missing_secret(
    web: str, committing_factory: SessionFactory
) -> None:
    update = message_update("/start").model_dump(mode="json", exclude_none=True)
    async with httpx.AsyncClient(base_url=web) as client:
        wrong = await client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "not-it"},
        )
        missing = await client.post("/telegram/webhook", json=update)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    async with committing_factory() as session:
        assert (await session.scalars(select(User))).all() == []


async def test_webhook_refuses_a_body_that_is_not_an_update(web: str) -> None:
    async with httpx.AsyncClient(base_url=web) as client:
        response = await client.post(
            "/telegram/webhook",
            content=b"{not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 400


async def test_webhook_commits_the_update_before_it_answers(
    web: str, committing_factory: SessionFactory
) -> None:
    update = message_update("/start", user_id=555, first_name="Vera")
    async with httpx.AsyncClient(base_url=web) as client:
        response = await client.post(
            "/telegram/webhook",
            json=update.model_dump(mode="json", exclude_none=True),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert response.status_code == 200
    async with committing_factory() as session:
        user = await session.scalar(select(User).where(User.telegram_id == 555))
        processed = await session.get(ProcessedUpdate, update.update_id)
    assert user is not None
    assert user.first_name == "Vera"
    assert processed is not None


async def test_webhook_is_off_without_a_bot_token(database_url: str, tmp_path: Path) -> None:
    settings = _settings(database_url, tmp_path)
    async with serve(create_app(settings)) as base_url, httpx.AsyncClient() as c:
        response = await c.post(base_url + "/telegram/webhook", json={"update_id": 1})
    assert response.status_code == 503
