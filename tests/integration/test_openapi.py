"""The OpenAPI schema of `teamtasks web`, checked by schemathesis against the running service.

Every operation the schema lists is called over HTTP with requests generated from the schema:
valid ones (positive) and ones that break it (negative). No answer may be a 5xx, and each must
be what the schema says (documented status code, content type, headers, body). Every part
of the service is on: the bot's webhook, the sandbox, YooKassa (against its local server) and
Stars. The run is deterministic (derandomized, no example database) and bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from teamtasks.config import Settings
from teamtasks.db import SessionFactory
from teamtasks.web.app import create_app
from tests.support.web import serve
from tests.support.yookassa_server import SECRET_KEY, SHOP_ID, YooKassaServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 25
"""Per operation and mode: about 20 s for the whole run on a busy 2-core machine."""


@pytest.fixture
async def web(
    database_url: str, committing_factory: SessionFactory, tmp_path: Path
) -> AsyncIterator[str]:
    shop = YooKassaServer()
    await shop.start()
    app_settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        bot_token="42:OPENAPI-token-value-abcdefghijklmnop",
        webhook_secret="openapi-secret",
        telegram_api_url="http://127.0.0.1:9",
        payment_providers="sandbox,yookassa,stars",
        yookassa_shop_id=SHOP_ID,
        yookassa_secret_key=SECRET_KEY,
        yookassa_api_url=shop.api_url,
        yookassa_allowed_ips="127.0.0.1",
    )
    try:
        async with serve(create_app(app_settings)) as base_url:
            yield base_url
    finally:
        await shop.stop()


Operation = APIOperation[Any, Any, Any, Any]


def _exercise(operation: Operation, mode: GenerationMode, base_url: str) -> str | None:
    """Run the checks on generated requests; the first failure's report, or None."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Case[Operation]) -> None:
        case.call_and_validate(base_url=base_url, session=http, checks=CHECKS)

    with requests.Session() as http:
        try:
            check()
        except Unsatisfiable:
            return None  # nothing can break this operation's schema (no parameters, no body)
        except (AssertionError, BaseExceptionGroup) as failure:
            return f"{operation.label} ({mode.value}): {failure}"
    return None


def _run(base_url: str) -> tuple[list[str], list[str]]:
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    labels, failures = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        labels.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _exercise(operation, mode, base_url)
            if failure is not None:
                failures.append(failure)
    return labels, failures


async def test_no_5xx_and_no_schema_violation(web: str) -> None:
    labels, failures = await asyncio.to_thread(_run, web)
    assert {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /telegram/webhook",
        "POST /payments/{provider}/webhook",
        "GET /payments/sandbox/pay/{payment_id}",
    } <= set(labels)
    assert failures == [], "\n\n".join(failures)
