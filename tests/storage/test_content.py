"""What a file really is: each allowed kind recognised by its bytes, impostors refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from teamtasks.storage.base import content_disposition
from teamtasks.storage.content import KINDS, TAIL_SIZE, ContentCheck, clean_file_name, kind_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
GIF = b"GIF89a" + bytes(64)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200) + b"PE\x00\x00"


def ooxml(part: str, *, padding: int = 0) -> bytes:
    """A minimal OOXML package (what Office writes, less the XML's content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        if padding:
            archive.writestr("media/image1.png", PNG + bytes(padding), zipfile.ZIP_STORED)
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def opendocument(mimetype: str) -> bytes:
    """A minimal OpenDocument package: `mimetype` first and stored, as the format demands."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


SAMPLES = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
    "webp": WEBP,
    "docx": ooxml("word/document.xml"),
    "xlsx": ooxml("xl/workbook.xml"),
    "pptx": ooxml("ppt/presentation.xml"),
    "odt": opendocument("application/vnd.oasis.opendocument.text"),
    "ods": opendocument("application/vnd.oasis.opendocument.spreadsheet"),
    "odp": opendocument("application/vnd.oasis.opendocument.presentation"),
    "txt": "Протокол встречи\r\nitem\tvalue\n".encode(),
    "csv": b"name,amount\nAnna,10\n",
    "md": "# Plan\n\n- ship 🚀\n".encode(),
}


def checked(extension: str, data: bytes, chunk_size: int = 7) -> bool:
    """Feed `data` in small chunks, as a download arrives; whether it passes as `extension`."""
    kind = kind_of(extension)
    assert kind is not None
    check = ContentCheck(kind)
    for start in range(0, len(data), chunk_size):
        if not check.feed(data[start : start + chunk_size]):
            return False
    return check.finish()


def test_every_allowed_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("extension", sorted(SAMPLES))
def test_each_kind_is_recognised_by_its_content(extension: str) -> None:
    assert checked(extension, SAMPLES[extension])
    assert checked(extension, SAMPLES[extension], chunk_size=65536)


@pytest.mark.parametrize(
    ("extension", "data"),
    [
        ("pdf", EXE),
        ("docx", EXE),
        ("txt", EXE),
        ("jpg", PNG),
        ("png", JPEG),
        ("gif", b"GIF87"),
        ("webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)),
        ("pdf", b"junk before %PDF-1.7\n"),
        ("docx", ooxml("xl/workbook.xml")),
        ("xlsx", ooxml("word/document.xml")),
        ("docx", SAMPLES["odt"]),
        ("odt", SAMPLES["ods"]),
        ("ods", SAMPLES["docx"]),
        ("txt", b"text with a \x00 NUL"),
        ("csv", b"\xff\xfe not UTF-8"),
        ("md", "cut in the middle: щ".encode()[:-1]),
        ("pdf", b""),
        ("txt", b""),
    ],
)
def test_content_that_is_not_of_the_kind_is_refused(extension: str, data: bytes) -> None:
    assert not checked(extension, data)


def test_an_executable_renamed_to_pdf_is_refused_at_its_first_bytes() -> None:
    kind = kind_of("pdf")
    assert kind is not None
    check = ContentCheck(kind)
    assert not check.feed(EXE + bytes(1_000_000))


def test_a_utf8_character_split_between_chunks_is_still_text() -> None:
    data = "ё" * 1000
    assert checked("txt", data.encode(), chunk_size=3)


def test_a_large_office_file_is_judged_by_its_central_directory() -> None:
    big = ooxml("word/document.xml", padding=3 * TAIL_SIZE)
    assert checked("docx", big, chunk_size=65536)
    assert not checked("xlsx", big, chunk_size=65536)


def test_a_zip_cut_short_is_not_an_office_file() -> None:
    assert not checked("docx", SAMPLES["docx"][:-30])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\anna\\Отчёт за май.docx", "Отчёт за май.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("  spaced \t  out .pdf  ", "spaced out .pdf"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("...", "file"),
        ("", "file"),
        ("e\u0301.png", "é.png"),
    ],
)
def test_file_names_are_cleaned_for_display(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


def test_a_long_file_name_keeps_its_extension() -> None:
    name = clean_file_name("а" * 400 + ".xlsx")
    assert len(name) == 255
    assert name.endswith("а.xlsx")
    assert len(clean_file_name("b" * 400)) == 255


def test_content_disposition_names_the_file_in_ascii_and_utf8() -> None:
    assert content_disposition("Отчёт за май.pdf") == (
        "attachment; filename=\".pdf\"; filename*=UTF-8''"
        "%D0%9E%D1%82%D1%87%D1%91%D1%82%20%D0%B7%D0%B0%20%D0%BC%D0%B0%D0%B9.pdf"
    )
    assert content_disposition('a "quoted"; name.txt') == (
        "attachment; filename=\"a _quoted__ name.txt\"; filename*=UTF-8''"
        "a%20%22quoted%22%3B%20name.txt"
    )
