"""JSONL files (plain or gzip-compressed, ``.jsonl.gz``): one JSON object per line with an ``id``
and a ``text`` or ``html`` field.

Each line is a record of its own: a bad line is skipped with its line number and the rest of the
file is read. Lines are read with a bounded buffer, so one huge line cannot exhaust memory.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from wiretrace.errors import InputError
from wiretrace.ingest.dates import parse_date
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.html import read_html_string
from wiretrace.ingest.ids import has_control
from wiretrace.model import Document, Format, Skipped

_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 20
_FIX = "each line must be one JSON object"


def read_jsonl(
    path: str, max_doc_bytes: int, claim: Callable[[Document, str], Document | Skipped] = lambda d, _: d
) -> Iterator[Document | Skipped]:
    """Documents and Skipped entries of one JSONL file, in line order. ``Document.path`` is ``path``.

    ``claim(document, "path:LINE")`` vets each document before it is yielded (duplicate ids).
    """
    try:
        stream: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by the with below, opened apart to report OSError
    except OSError as err:
        yield Skipped(path, f"cannot open the file: {err.strerror}; check that it exists and is readable")
        return
    if path.lower().endswith(".gz"):
        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    with stream:
        try:
            yield from _read_lines(stream, path, max_doc_bytes, claim)
        except (OSError, EOFError, zlib.error) as err:  # a gzip file broken part-way: what was read stands
            yield Skipped(path, f"corrupt gzip data ({err}); the lines before it were read; recompress the file")


def _read_lines(
    stream: BinaryIO, path: str, limit: int, claim: Callable[[Document, str], Document | Skipped]
) -> Iterator[Document | Skipped]:
    offset = 0
    lineno = 0
    while True:
        # limit + 2 bytes hold a full line of `limit` bytes and its "\r\n"
        raw = stream.readline(limit + 2)
        if not raw:
            return
        lineno += 1
        where = f"{path}:{lineno}"
        start = offset
        offset += len(raw)
        if not raw.endswith(b"\n") and len(raw) == limit + 2:
            offset += _skip_rest_of_line(stream)
            yield Skipped(where, size_problem("line", offset - start, limit) or "line too long")
            continue
        content = raw.rstrip(b"\r\n")
        if lineno == 1 and content.startswith(_BOM):
            content, start = content[len(_BOM) :], start + len(_BOM)
        problem = size_problem("line", len(content), limit)
        if problem:
            yield Skipped(where, problem)
            continue
        try:
            line = content.decode("utf-8")
        except UnicodeDecodeError as err:
            yield Skipped(
                where,
                f"undecodable bytes at offset {start + err.start}: not UTF-8; JSONL must be UTF-8, convert the file",
            )
            continue
        if not line.strip():
            continue
        try:
            document = record_document(line, path=path, where=where)
        except InputError as err:
            yield Skipped(err.path, err.problem)
            continue
        yield claim(document, where)


def record_document(line: str, *, path: str, where: str) -> Document:
    """The Document one JSONL line describes; raise InputError (naming ``where``) when it cannot be read."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(where, f"invalid JSON: {err.msg} at column {err.colno}; {_FIX}") from None
    except (ValueError, RecursionError) as err:  # over-long integers, absurd nesting
        raise InputError(where, f"invalid JSON: {err}; {_FIX}") from None
    if not isinstance(record, dict):
        raise InputError(where, f"the line holds a JSON {_json_type(record)}, not an object; {_FIX}")
    doc_id = _record_id(record, where)
    url = _optional_str(record, "url")
    text, html = record.get("text"), record.get("html")
    if text is not None:
        body = _field_text(text, "text", where).removeprefix("\ufeff")
        document = Document(id=doc_id, text=body, path=path, format=Format.JSONL, url=url)
    elif html is not None:
        markup = _field_text(html, "html", where)
        try:
            document = read_html_string(markup, doc_id=doc_id, path=where, url=url)
        except InputError as err:
            raise InputError(where, f"field 'html': {err.problem}") from None
        document = dataclasses.replace(document, path=path, format=Format.JSONL)
    else:
        raise InputError(where, "no 'text' or 'html' field; give the page as one of them")
    published = record.get("published")
    return dataclasses.replace(
        document,
        source=_optional_str(record, "source") or document.source,
        title=_optional_str(record, "title") or document.title,
        published=(parse_date(published) if isinstance(published, str) else None) or document.published,
    )


def _record_id(record: dict[str, object], where: str) -> str:
    value = record.get("id")
    if value is None:
        raise InputError(where, "missing 'id'; give every line an \"id\" (a string or an integer)")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(where, f"'id' is a JSON {_json_type(value)}; give a string or an integer")
    doc_id = str(value)
    if not doc_id.strip():
        raise InputError(where, "'id' is empty; give every line a non-empty \"id\"")
    if has_control(doc_id):
        raise InputError(where, f"'id' {doc_id!r} holds control characters (a newline, an escape); give a printable id")
    return doc_id


def _field_text(value: object, name: str, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(where, f"'{name}' is a JSON {_json_type(value)}; give the page as a string")
    if not value.strip():
        raise InputError(where, f"empty '{name}'")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = ord(value[err.start])
        raise InputError(
            where,
            f"'{name}' holds a lone surrogate \\u{bad:04x} at character {err.start}; fix the JSON escape",
        ) from None
    if "\x00" in value:
        raise InputError(
            where, f"'{name}' holds NUL characters at {value.index(chr(0))}: binary data, not text"
        )
    return value


def _optional_str(record: dict[str, object], name: str) -> str | None:
    value = record.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _skip_rest_of_line(stream: BinaryIO) -> int:
    skipped = 0
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped
