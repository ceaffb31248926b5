"""The storage tests' servers: moto, s3rver and the local store behind `teamtasks web`."""

from tests.storage.fixtures import (  # noqa: F401
    local_web,
    moto,
    moto_storage,
    s3rver_process,
    s3rver_storage,
)
