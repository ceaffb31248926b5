"""Object storage behind one interface: a local directory (embedded default) or S3."""

from teamtasks.storage.base import (
    MAX_LINK_TTL,
    ObjectInfo,
    ObjectStorage,
    StorageUnavailableError,
    StoredObject,
    content_disposition,
)
from teamtasks.storage.factory import open_storage
from teamtasks.storage.staging import StagedObjects, staged_objects

__all__ = [
    "MAX_LINK_TTL",
    "ObjectInfo",
    "ObjectStorage",
    "StagedObjects",
    "StorageUnavailableError",
    "StoredObject",
    "content_disposition",
    "open_storage",
    "staged_objects",
]
