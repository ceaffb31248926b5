"""What a file really is: the allowed kinds by extension, each checked by its content; and its
name, cleaned for display.

The check runs over the stream as it passes (`ContentCheck.feed`, then `finish`), keeping only
the first bytes and a bounded tail, so a file is never held in memory whole:
- images and PDF by their signature at the very start (no tolerance for bytes before it);
- OOXML documents (docx, xlsx, pptx) as a ZIP whose central directory, read from the tail,
  names `[Content_Types].xml` and the part of that kind (`word/`, `xl/`, `ppt/`);
- OpenDocument (odt, ods, odp) as a ZIP whose first entry is `mimetype` with the kind's type;
- text (txt, csv, md) as valid UTF-8 without NUL bytes.
A Windows executable renamed to .pdf fails its kind's check like any other impostor.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import StrEnum


class Check(StrEnum):
    SIGNATURE = "signature"
    OOXML = "ooxml"
    OPENDOCUMENT = "opendocument"
    TEXT = "text"


@dataclass(frozen=True)
class FileKind:
    """An allowed extension, its content type, and how its content is recognised.

    `signatures`: what the file starts with (any of them). `marker`: the RIFF format (WEBP), the
    folder of the document's parts (OOXML) or the media type stored as `mimetype` (OpenDocument).
    """

    extension: str
    content_type: str
    check: Check
    signatures: tuple[bytes, ...] = ()
    marker: str = ""


HEAD_SIZE = 128
"""Bytes kept from the start: every signature (and an OpenDocument's type) lies within them."""
TAIL_SIZE = 256 * 1024
"""Bytes kept from the end: a ZIP's central directory and end record must lie within them."""

_ZIP = (b"PK\x03\x04",)
_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

KINDS: dict[str, FileKind] = {
    kind.extension: kind
    for kind in (
        FileKind("pdf", "application/pdf", Check.SIGNATURE, (b"%PDF-",)),
        FileKind("png", "image/png", Check.SIGNATURE, (b"\x89PNG\r\n\x1a\n",)),
        FileKind("jpg", "image/jpeg", Check.SIGNATURE, (b"\xff\xd8\xff",)),
        FileKind("jpeg", "image/jpeg", Check.SIGNATURE, (b"\xff\xd8\xff",)),
        FileKind("gif", "image/gif", Check.SIGNATURE, (b"GIF87a", b"GIF89a")),
        FileKind("webp", "image/webp", Check.SIGNATURE, (b"RIFF",), marker="WEBP"),
        FileKind("docx", f"{_OOXML}.wordprocessingml.document", Check.OOXML, _ZIP, "word/"),
        FileKind("xlsx", f"{_OOXML}.spreadsheetml.sheet", Check.OOXML, _ZIP, "xl/"),
        FileKind("pptx", f"{_OOXML}.presentationml.presentation", Check.OOXML, _ZIP, "ppt/"),
        FileKind("odt", f"{_ODF}.text", Check.OPENDOCUMENT, _ZIP, f"{_ODF}.text"),
        FileKind("ods", f"{_ODF}.spreadsheet", Check.OPENDOCUMENT, _ZIP, f"{_ODF}.spreadsheet"),
        FileKind("odp", f"{_ODF}.presentation", Check.OPENDOCUMENT, _ZIP, f"{_ODF}.presentation"),
        FileKind("txt", "text/plain; charset=utf-8", Check.TEXT),
        FileKind("csv", "text/csv; charset=utf-8", Check.TEXT),
        FileKind("md", "text/markdown; charset=utf-8", Check.TEXT),
    )
}
"""The allowlist: a file whose extension is not here is refused before it is downloaded."""


def kind_of(extension: str) -> FileKind | None:
    """The allowed kind for a lower-case extension (without the dot), or None."""
    return KINDS.get(extension)


class ContentCheck:
    """Feed it the file's bytes in order; `finish` tells whether they are of the kind."""

    def __init__(self, kind: FileKind) -> None:
        self.kind = kind
        self.size = 0
        self._head = bytearray()
        self._tail = bytearray()
        self._head_checked = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text_ok = True

    def feed(self, chunk: bytes) -> bool:
        """Take the next bytes; False as soon as they cannot be of the kind."""
        self.size += len(chunk)
        if len(self._head) < HEAD_SIZE:
            self._head += chunk[: HEAD_SIZE - len(self._head)]
        if self.kind.check is Check.TEXT:
            return self._feed_text(chunk)
        if self.kind.check is Check.OOXML:
            self._tail += chunk
            if len(self._tail) > 2 * TAIL_SIZE:
                del self._tail[: len(self._tail) - TAIL_SIZE]
        if not self._head_checked and len(self._head) >= HEAD_SIZE:
            self._head_checked = True
            return self._head_matches()
        return True

    def finish(self) -> bool:
        """Whether everything fed is a file of the kind (an empty file never is)."""
        if self.size == 0:
            return False
        if self.kind.check is Check.TEXT:
            return self._finish_text()
        if not self._head_matches():
            return False
        if self.kind.check is Check.OOXML:
            return self._ooxml_names_match()
        return True

    def _feed_text(self, chunk: bytes) -> bool:
        if self._text_ok:
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self._text_ok = False
            else:
                self._text_ok = "\x00" not in text
        return self._text_ok

    def _finish_text(self) -> bool:
        if self._text_ok:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._text_ok = False
        return self._text_ok

    def _head_matches(self) -> bool:
        head = bytes(self._head)
        kind = self.kind
        if not head.startswith(kind.signatures):
            return False
        if kind.check is Check.OPENDOCUMENT:
            # A local file header is 30 bytes; the first entry is "mimetype", stored as is.
            name_length = int.from_bytes(head[26:28], "little")
            extra_length = int.from_bytes(head[28:30], "little")
            data = 30 + name_length + extra_length
            return head[30 : 30 + name_length] == b"mimetype" and head[data:].startswith(
                kind.marker.encode("ascii")
            )
        if kind.check is Check.SIGNATURE and kind.marker:
            # RIFF containers name their format after the 4-byte length (WEBP).
            return head[8:12] == kind.marker.encode("ascii")
        return True

    def _ooxml_names_match(self) -> bool:
        # zipfile finds the central directory relative to the end record, so the tail alone
        # (with the file's start cut off) reads like a ZIP with a prefix.
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(self._tail))) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, EOFError):
            return False
        return "[Content_Types].xml" in names and any(
            name.startswith(self.kind.marker) for name in names
        )


NAME_MAX = 255
EXTENSION_MAX = 10
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_file_name(raw: str) -> str:
    """A file name fit for display: no folders, no control or invisible characters, one line,
    at most 255 characters (the extension kept), never empty."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(char for char in name if unicodedata.category(char) not in _DROPPED_CATEGORIES)
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= EXTENSION_MAX:
            name = f"{stem[: NAME_MAX - len(extension) - 1].rstrip(' .')}.{extension}"
        else:
            name = name[:NAME_MAX].rstrip(" .")
    return name or "file"
