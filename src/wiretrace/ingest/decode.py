"""Bytes to ``str``: size and binary checks, then the decoding cascade every reader shares.

The cascade is fixed so that a page decodes the same way on every run: a UTF-8 BOM, strict UTF-8,
UTF-8 with a few damaged bytes replaced (only when valid UTF-8 dominates by far), the charsets the
document itself declares (HTML only), then strict cp1252. No statistical charset guessing: a wrong
guess would silently corrupt the text every offset indexes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

from wiretrace.errors import InputError

_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 8192  # binary detection looks at the start only, like `file` and git do
# C0 controls that never appear in text (tab, newline, carriage return and form feed do), plus DEL
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_MAX_CONTROL_SHARE = 0.10

# <meta charset=x>, <meta http-equiv=Content-Type content="text/html; charset=x"> and <?xml encoding=x?>
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_DECLARATION_BYTES = 16384  # declarations sit in <head>; some heads are long

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MIN_UTF8_EVIDENCE = 10  # valid multi-byte sequences needed before invalid bytes are taken for damage
_UTF8_OVER_INVALID = 10  # ... and how many of them each invalid byte needs

# Labels browsers read as another codec (WHATWG Encoding Standard): gb2312 pages are really GBK/GB18030.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "x-sjis": "shift_jis"}
# Declared labels that cannot describe an ASCII-compatible byte stream: ignored, as browsers do.
_IGNORED = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-7"}


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, with the Python codec name that decoded it."""

    text: str
    encoding: str


def format_size(size: int) -> str:
    """``52.4 MB``, ``12.0 KB`` or ``300 bytes``: decimal units, as file managers show them."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.1f} KB"
    return f"{size} bytes"


def size_problem(what: str, size: int, limit: int) -> str | None:
    """The reason to skip an item of ``size`` bytes, or None when it is within ``limit``."""
    if size <= limit:
        return None
    return (
        f"{what} is {format_size(size)}, over the {format_size(limit)} limit for one document "
        "(IngestConfig.max_doc_bytes)"
    )


def check_text_bytes(data: bytes, *, path: str) -> None:
    """Raise InputError when ``data`` is empty or is not text at all."""
    if not data:
        raise InputError(path, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            path, "UTF-16 text (it starts with a UTF-16 byte-order mark); convert the file to UTF-8"
        )
    if data.startswith(b"\x1f\x8b"):
        raise InputError(
            path,
            "binary file (not text): gzip-compressed data; gunzip it first (only .warc.gz is read compressed)",
        )
    head = data[:_SNIFF_BYTES]
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputError(
            path, f"binary file (not text): NUL byte at offset {nul}; give a text, HTML, JSONL or WARC file"
        )
    controls = len(head) - len(head.translate(None, _CONTROL))
    if controls > _MAX_CONTROL_SHARE * len(head):
        share = round(100 * controls / len(head))
        raise InputError(
            path,
            f"binary file (not text): {share}% control characters in the first {format_size(len(head))}; "
            "give a text, HTML, JSONL or WARC file",
        )


def declared_charsets(data: bytes, content_type: str | None = None) -> tuple[str, ...]:
    """Charsets an HTML document declares: the HTTP Content-Type first (it wins in browsers), then markup."""
    found: list[str] = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            found.append(match.group(1))
    head = data[:_DECLARATION_BYTES]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        found.extend(m.group(1).decode("ascii") for m in pattern.finditer(head))
    return tuple(dict.fromkeys(label.lower() for label in found))


def decode_bytes(data: bytes, *, path: str, declared: Iterable[str] = ()) -> Decoded:
    """Decode ``data`` strictly; raise InputError naming the first undecodable byte when nothing fits.

    A leading BOM character is dropped; nothing else in the text is touched.
    """
    if data.startswith(_BOM):
        try:
            return Decoded(data[len(_BOM) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as err:
            raise InputError(path, _undecodable(err.start + len(_BOM))) from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as err:
        first_bad = err.start
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged
    for label in declared:
        decoded = _decode_declared(data, label)
        if decoded is not None:
            return decoded
    try:
        return Decoded(data.decode("cp1252").removeprefix("\ufeff"), "cp1252")
    except UnicodeDecodeError:
        raise InputError(path, _undecodable(first_bad)) from None


def _damaged_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with a few stray bytes (a page patched together from two sources), or None.

    Read as cp1252 such a page turns every accented letter into mojibake, so when valid multi-byte
    UTF-8 sequences outnumber the invalid bytes by far, UTF-8 it is, the bad bytes as U+FFFD; the
    encoding is then recorded as "utf-8-replace".
    """
    valid = len(_UTF8_MULTIBYTE.findall(data))
    if valid < _MIN_UTF8_EVIDENCE:
        return None
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    if valid < _UTF8_OVER_INVALID * invalid:
        return None
    return Decoded(text, "utf-8-replace")


def _decode_declared(data: bytes, label: str) -> Decoded | None:
    try:
        codec = codecs.lookup(_ALIASES.get(label, label)).name
    except LookupError:
        return None  # an unknown label is as good as none
    if codec in _IGNORED or codec.startswith("utf-8"):
        return None  # UTF-8 was already tried strictly
    candidates: tuple[str, ...] = (codec,)
    if codec in ("latin-1", "iso8859-1", "ascii"):
        # Browsers read these labels as cp1252; the two agree unless bytes 0x80-0x9F occur.
        has_c1 = re.search(rb"[\x80-\x9f]", data) is not None
        candidates = ("cp1252", "iso8859-1") if has_c1 else ("iso8859-1",)
    for name in candidates:
        try:
            return Decoded(data.decode(name).removeprefix("\ufeff"), name)
        except UnicodeDecodeError:
            continue
    return None


def _undecodable(offset: int) -> str:
    return f"undecodable bytes at offset {offset}: not UTF-8 or cp1252; convert the file to UTF-8"
