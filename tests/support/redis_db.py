"""A Redis database of this test run's own.

Tests empty their Redis database (the `redis` fixture). Two runs on one machine at once (CI and
a developer, say) that shared one would empty each other's job streams and limits midway, so
each run claims a free database (1-15) with a key in database 0 that it deletes when it ends;
the key expires by itself should a run be killed. TEST_REDIS_URL overrides all of this.
"""

from __future__ import annotations

import atexit
import os
import uuid

import redis

SERVER = "redis://127.0.0.1:6379"
CLAIM = "teamtasks:test:redis-db:{}"
CLAIM_SECONDS = 3 * 3600
"""Longer than any test run; a claim left by a killed run is free again after this."""


def claim_redis_url() -> str:
    """TEST_REDIS_URL, else a database of the local server that no other run holds."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        return configured
    token = uuid.uuid4().hex
    claims = redis.Redis.from_url(f"{SERVER}/0")
    try:
        for database in range(15, 0, -1):
            key = CLAIM.format(database)
            if claims.set(key, token, nx=True, ex=CLAIM_SECONDS):
                atexit.register(_release, claims, key, token)
                return f"{SERVER}/{database}"
    except redis.RedisError:
        claims.close()
        return f"{SERVER}/15"  # no server: the tests that need one fail, and say why
    raise RuntimeError("Redis databases 1-15 are all claimed by other test runs")


def _release(claims: redis.Redis, key: str, token: str) -> None:
    try:
        if claims.get(key) == token.encode():
            claims.delete(key)
    except redis.RedisError:
        pass  # the claim expires by itself
    finally:
        claims.close()
