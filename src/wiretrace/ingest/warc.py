"""WARC files (plain or record-gzipped): every HTML ``response`` record becomes a Document.

Other record types (warcinfo, request, metadata...), non-HTML payloads and redirects carry no page
and are passed over silently. Records are numbered from 1 in file order; ``#N`` in a Skipped path
is that number. A file that breaks part-way yields what was read before the break.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO
from urllib.parse import SplitResult, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from wiretrace.errors import InputError
from wiretrace.ingest.dates import parse_date
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.html import read_html_bytes
from wiretrace.model import Document, Format, Skipped

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_ID_CHARS = 80
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_CHUNK = 1 << 20


def read_warc(
    path: str, max_doc_bytes: int, claim: Callable[[Document, str], Document | Skipped] = lambda d, _: d
) -> Iterator[Document | Skipped]:
    """Documents and Skipped entries of one WARC file, in record order. ``Document.path`` is ``path``.

    ``claim(document, "path#N")`` vets each document before it is yielded (duplicate ids).
    """
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below, opened apart to report OSError
    except OSError as err:
        yield Skipped(path, f"cannot open the file: {err.strerror}; check that it exists and is readable")
        return
    with stream:
        yield from _read_records(stream, path, max_doc_bytes, claim)


def _read_records(
    stream: BinaryIO, path: str, limit: int, claim: Callable[[Document, str], Document | Skipped]
) -> Iterator[Document | Skipped]:
    archive = ArchiveIterator(stream)
    records = iter(archive)
    uris: dict[str, str] = {}  # id -> URI, so that two URIs with one slug get distinct ids
    number = 0
    end = 0  # where the last complete record ends in the file
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except Exception as err:  # noqa: BLE001 - warcio raises many types on broken input; all mean "stop here"
            yield Skipped(path, _corrupt(number, _describe(err)))
            return
        if not str(getattr(record, "format", "")).startswith("warc"):
            # warcio also reads the older ARC format, and takes any line of five words for an ARC header
            yield Skipped(path, _corrupt(number, f"record {number + 1} has no WARC/1.x header"))
            return
        number += 1
        where = f"{path}#{number}"
        item: Document | Skipped | None
        try:
            item = _record_document(record, path=path, where=where, limit=limit, uris=uris)
        except InputError as err:
            item = Skipped(err.path, err.problem)
        try:
            damage = _damage(record)
            end = archive.get_record_offset() + archive.get_record_length()
        except Exception as err:  # noqa: BLE001 - same as above
            damage = _describe(err)
        if damage:
            # warcio reads a cut-off record as if it ended there; without this check a download cut
            # short would pass for a complete archive, its last page silently truncated.
            yield Skipped(path, _corrupt(number - 1, f"record {number} {damage}"))
            return
        if isinstance(item, Document):
            yield claim(item, where)
        elif item is not None:
            yield item
    trailing = _trailing_bytes(stream, end)
    if trailing:
        yield Skipped(
            path, _corrupt(number, f"{trailing} bytes after it do not form a record (file cut short?)")
        )


def _damage(record: object) -> str | None:
    """Why a record is incomplete (its Content-Length not met), or None; reads the record to its end."""
    raw = record.raw_stream  # type: ignore[attr-defined]
    if getattr(raw, "limit", None) is None:
        return "has no valid Content-Length"
    while raw.read(_CHUNK):
        pass
    missing = int(raw.limit)
    return f"is cut short ({missing} bytes missing)" if missing > 0 else None


def _trailing_bytes(stream: BinaryIO, end: int) -> int:
    """How many bytes other than blank lines follow the last complete record."""
    size = os.fstat(stream.fileno()).st_size
    if size <= end:
        return 0
    stream.seek(end)
    tail = stream.read(_CHUNK)
    return size - end if tail.strip() or size - end > len(tail) else 0


def _record_document(
    record: object, *, path: str, where: str, limit: int, uris: dict[str, str]
) -> Document | None:
    if getattr(record, "rec_type", None) != "response":
        return None
    http = getattr(record, "http_headers", None)
    if http is None:  # a response to a non-HTTP request (dns:, whois:)
        return None
    content_type = http.get_header("Content-Type") or ""
    if content_type.split(";", 1)[0].strip().lower() not in HTML_TYPES:
        return None
    status = http.get_statuscode() or ""
    if status.startswith(("1", "3")):  # redirects and interim answers hold no page
        return None
    if not status.startswith("2"):
        raise InputError(where, f"HTTP status {status}: the capture holds an error page, not the article")
    headers = record.rec_headers  # type: ignore[attr-defined]
    uri = (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not uri:
        raise InputError(where, "response record without a WARC-Target-URI; the WARC writer broke the record")
    payload = _payload(record, where, limit)
    document = read_html_bytes(
        payload, doc_id=record_id(uri, uris), path=where, url=uri, content_type=content_type
    )
    warc_date = parse_date(headers.get_header("WARC-Date") or "")
    return dataclasses.replace(
        document, path=path, format=Format.WARC, url=uri, published=document.published or warc_date
    )


def _payload(record: object, where: str, limit: int) -> bytes:
    """The HTTP body, de-chunked and decompressed; InputError when it is over ``limit`` or unreadable."""
    try:
        content = record.content_stream()  # type: ignore[attr-defined]
        payload: bytes = content.read(limit + 1)
        size = len(payload)
        if size > limit:
            size += sum(iter(lambda: len(content.read(_CHUNK)), 0))
    except Exception as err:  # noqa: BLE001 - chunked/gzip/brotli decoders each raise their own types
        detail = " ".join(str(err).split()) or type(err).__name__
        raise InputError(where, f"unreadable HTTP payload ({detail}); the record is damaged") from None
    if size > limit:
        raise InputError(where, size_problem("the page", size, limit) or "the page is too large")
    return payload


def record_id(uri: str, taken: dict[str, str] | None = None) -> str:
    """A readable id for a captured URL: host, path and query, non-alphanumerics as '-', at most 80 chars.

    The same URI always gives the same id. When ``taken`` (id -> URI seen so far) holds the id for
    another URI, or the slug had to be cut, a short hash of the URI keeps ids apart.
    """
    parts = urlsplit(uri)
    port = _port(parts)
    host = (parts.hostname or "") + (f"-{port}" if port else "")
    raw = host + parts.path + (f"-{parts.query}" if parts.query else "")
    slug = _NOT_ALNUM.sub("-", raw).strip("-") or "page"
    if len(slug) > MAX_ID_CHARS or (taken is not None and taken.get(slug, uri) != uri):
        digest = hashlib.sha1(uri.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[: MAX_ID_CHARS - 9].rstrip('-')}-{digest}"
    if taken is not None:
        taken.setdefault(slug, uri)
    return slug


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # a malformed port: leave it out of the id
        return None


def _corrupt(number: int, detail: str) -> str:
    if number == 0:
        return f"not a readable WARC file ({detail}); give a .warc or record-gzipped .warc.gz file"
    return f"corrupt WARC after record {number}: {detail}; the records before it were read"


def _describe(err: BaseException) -> str:
    if isinstance(err, ArchiveLoadFailed):
        detail = " ".join(str(err).split())
    elif isinstance(err, AttributeError | TypeError | IndexError):
        detail = "a record header is malformed"  # warcio's parser trips over its own None
    else:
        detail = " ".join(str(err).split()) or type(err).__name__
    return detail if len(detail) <= 200 else detail[:200] + "..."
