"""`GET /files/{key}`: the local store's signed download links (teamtasks/storage/local.py).

A link whose signature is not ours or whose time has passed gets 403; a valid link to a file
that is gone gets 404. The file is streamed as an attachment under its original name. With
S3 configured there is no local store and every path here is 404.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

from teamtasks.models.base import utcnow
from teamtasks.storage.base import content_disposition
from teamtasks.storage.content import kind_of
from teamtasks.storage.local import LocalStorage
from teamtasks.web.deps import StateDep

router = APIRouter(tags=["files"])


@router.get("/files/{key:path}", responses={403: {}, 404: {}})
async def download(
    key: str,
    state: StateDep,
    expires: Annotated[int | None, Query()] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> FileResponse:
    store = state.files_store
    if not isinstance(store, LocalStorage):
        raise HTTPException(404, "files are not served here")
    if expires is None or filename is None or sig is None:
        raise HTTPException(403, "not a download link")
    if not store.verify(key=key, expires=expires, filename=filename, sig=sig, now=utcnow()):
        raise HTTPException(403, "this link is not valid or has expired")
    try:
        path = store.path_of(key)
    except ValueError:
        raise HTTPException(404, "no such file") from None
    if not await asyncio.to_thread(path.is_file):
        raise HTTPException(404, "no such file")
    kind = kind_of(path.suffix.removeprefix("."))
    return FileResponse(
        path,
        media_type=kind.content_type if kind else "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
