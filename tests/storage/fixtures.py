"""Fixtures of the S3 servers and the local store served by `teamtasks web`.

Imported by tests/storage/conftest.py and tests/services/test_files.py (by name).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from teamtasks.config import Settings
from teamtasks.storage.local import LocalStorage
from teamtasks.storage.s3 import S3Storage
from teamtasks.web.app import create_app
from tests.storage.servers import S3rverProcess, S3Server, moto_server, s3_storage, s3rver
from tests.support.web import free_port, serve

LINK_SECRET = "test-file-link-secret-0123456789abcdef"


@dataclass(frozen=True)
class LocalWeb:
    """The local store and the `teamtasks web` that serves its links."""

    storage: LocalStorage
    settings: Settings
    base_url: str


@pytest.fixture(scope="session")
def moto() -> Iterator[S3Server]:
    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
async def s3rver_process(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[S3rverProcess]:
    async with s3rver(tmp_path_factory.mktemp("s3rver")) as running:
        yield running


@pytest.fixture
async def moto_storage(moto: S3Server) -> AsyncIterator[S3Storage]:
    """The S3 adapter on a fresh private bucket of moto's server."""
    async with s3_storage(moto) as storage:
        yield storage


@pytest.fixture
async def s3rver_storage(s3rver_process: S3rverProcess) -> AsyncIterator[S3Storage]:
    """The S3 adapter on a fresh bucket of s3rver."""
    async with s3_storage(s3rver_process.server) as storage:
        yield storage


@pytest.fixture
async def local_web(database_url: str, tmp_path: Path) -> AsyncIterator[LocalWeb]:
    """The local store under tmp_path, its links served by `teamtasks web` over HTTP."""
    port = free_port()
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        file_link_secret=LINK_SECRET,
        public_web_url=f"http://127.0.0.1:{port}",
    )
    async with serve(create_app(settings), port=port) as base_url:
        yield LocalWeb(LocalStorage.from_settings(settings), settings, base_url)
