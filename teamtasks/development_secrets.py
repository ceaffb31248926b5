"""Secrets made on first use outside production (the local store's link key, the sandbox's).

Production takes every secret from the environment; a development install keeps a random one in
a file under DATA_DIR, so links and signatures survive a restart and every process agrees.
"""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path


def development_secret(path: Path) -> bytes:
    """The secret kept in `path`, made once by whichever process of the install is first."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_urlsafe(48).encode())
    try:
        # A hard link publishes the whole file at once and fails if another process was first.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes().strip()
