"""`teamtasks sweep-files` and `check-config` as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.storage.servers import S3Server, new_bucket

ORPHAN = "company_1/task_1/0123456789abcdef0123456789abcdef.pdf"
RECENT = "company_1/task_1/fedcba9876543210fedcba9876543210.pdf"


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "STORAGE_", "S3_", "FILE_", "DATA_DIR"))
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/app.db", DATA_DIR=str(tmp_path), **settings
    )
    return subprocess.run(
        [sys.executable, "-m", "teamtasks", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sweep_files_removes_old_orphans_and_keeps_recent_ones(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    for key in (ORPHAN, RECENT):
        path = tmp_path / "files" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7\n")
    day_ago = time.time() - 24 * 3600
    os.utime(tmp_path / "files" / ORPHAN, (day_ago, day_ago))

    result = run(tmp_path, "sweep-files")

    assert result.returncode == 0, result.stderr
    report = [line for line in result.stdout.splitlines() if not line.startswith("{")]
    assert report == [
        f"removed {ORPHAN}",
        "orphaned objects removed: 1; recent ones kept: 1; files without their object: 0",
    ]
    assert not (tmp_path / "files" / ORPHAN).exists()
    assert (tmp_path / "files" / RECENT).exists()


def test_check_config_names_the_local_store_and_reaches_it(tmp_path: Path) -> None:
    result = run(tmp_path, "check-config")

    assert result.returncode == 0, result.stderr
    assert f"STORAGE_URL=not set (files under {tmp_path / 'files'})" in result.stdout
    assert "FILE_LINK_SECRET=not set" in result.stdout
    assert "configuration is valid" in result.stdout


def test_check_config_stops_on_a_bucket_that_does_not_exist(tmp_path: Path, moto: S3Server) -> None:
    bucket = new_bucket()
    result = run(
        tmp_path,
        "check-config",
        STORAGE_URL=f"s3://{bucket}",
        S3_ENDPOINT_URL=moto.endpoint,
        S3_ACCESS_KEY_ID=moto.access_key,
        S3_SECRET_ACCESS_KEY=moto.secret_key,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"teamtasks: configuration error: STORAGE_URL: bucket {bucket} does not exist; create it "
        "(private) or set S3_CREATE_BUCKET=true"
    ]
    assert f"STORAGE_URL=s3://{bucket}" in result.stdout
    assert "S3_SECRET_ACCESS_KEY=set" in result.stdout
    assert moto.secret_key not in result.stdout + result.stderr
