"""The ingest stage's entry point: paths in, a stream of Documents and Skipped entries out.

Folders are walked recursively in sorted order, hidden entries left out; a file is read by its
suffix. Nothing here raises for a bad input: every problem becomes a ``Skipped`` that says what to
do, and the stream goes on with the next input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from wiretrace.config import check_types
from wiretrace.errors import ConfigError, InputError
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.html import read_html_bytes
from wiretrace.ingest.ids import assign_page_ids
from wiretrace.ingest.jsonl import read_jsonl
from wiretrace.ingest.text import read_text_bytes
from wiretrace.ingest.walk import FORMATS, SUPPORTED, Found, list_files
from wiretrace.ingest.warc import read_warc
from wiretrace.model import Document, Format, Skipped

__all__ = ["FORMATS", "SUPPORTED", "IngestConfig", "duplicate_reason", "list_inputs", "read_found", "read_inputs", "read_page"]

_FIXES: dict[str, str] = {
    Format.WARC: "the same URL was captured twice; keep one capture",
}
_DEFAULT_FIX = "rename the file or give the JSONL line another id"


@dataclass(frozen=True)
class IngestConfig:
    """How inputs are read."""

    # One .txt/.html file, or one JSONL line or WARC record, larger than this is skipped: such a
    # "page" is a dump or a data file, and it would dominate every later stage's time and memory.
    max_doc_bytes: int = 10_000_000

    def __post_init__(self) -> None:
        value = self.max_doc_bytes
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError("ingest", "max_doc_bytes", value, "a positive number of bytes")
        check_types("ingest", self)


def read_inputs(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    config: IngestConfig = IngestConfig(),
    seen_ids: Mapping[str, str] | None = None,
) -> Iterator[Document | Skipped]:
    """Read files and folders into Documents, with a Skipped entry (path + reason) per input problem.

    ``seen_ids`` maps ids read before (say, from the store) to their path: a document whose id is
    there under another file, or was already read in this stream, is skipped as a duplicate; a file
    stored before keeps its id. ``Document.path`` is the file's path as given (normalised); for JSONL
    and WARC it is the file's path too, and the line (``:N``) or record (``#N``) only shows in Skipped
    entries. A page's id is its file stem where that is unique (see ``page_ids``), else its path
    relative to the folder given, without the suffix.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]  # one path given bare: a str is a Sequence, of characters
    return read_found(list_files(paths), config, seen_ids)


def read_found(
    found: Sequence[Found], config: IngestConfig = IngestConfig(), seen_ids: Mapping[str, str] | None = None,
) -> Iterator[Document | Skipped]:
    """``read_inputs`` over the inputs ``walk.list_files`` listed."""
    ids = _Ids(seen_ids or {})
    page_ids = assign_page_ids(found, ids.known_by_file())
    for item in found:
        path, fmt = item.path, item.fmt
        if item.problem is not None:
            yield Skipped(path, item.problem)
            continue
        if fmt in (Format.JSONL, Format.WARC):
            reader = read_jsonl if fmt == Format.JSONL else read_warc
            yield from reader(path, config.max_doc_bytes, claim=ids.claimer(fmt))
            continue
        doc_id = page_ids[item.key]
        duplicate = ids.duplicate(doc_id, path, path, fmt)
        if duplicate is not None:
            yield duplicate
            continue
        try:
            document = read_page(path, doc_id, fmt, config.max_doc_bytes)
        except InputError as err:
            yield Skipped(err.path, err.problem)
            continue
        yield ids.claim(document, path, fmt)


class _Ids:
    """Ids handed out so far in this stream, and the caller's known ones, to catch duplicates."""

    def __init__(self, known: Mapping[str, str]) -> None:
        self.known = known
        self.read: dict[str, str] = {}  # id -> where it was read (path, path:LINE or path#N)
        self._real: dict[str, str] = {}

    def real(self, path: str) -> str:
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = os.path.realpath(path)
        return found

    def known_by_file(self) -> dict[str, str]:
        """Resolved path -> id of the known documents (a JSONL or WARC file maps to one of its ids)."""
        return {self.real(p): i for i, p in self.known.items()}

    def duplicate(self, doc_id: str, path: str, where: str, fmt: str) -> Skipped | None:
        earlier = self.read.get(doc_id)
        if earlier is None:
            known = self.known.get(doc_id)
            earlier = known if known is not None and self.real(known) != self.real(path) else None
        if earlier is None:
            return None
        return Skipped(where, duplicate_reason(doc_id, earlier, fmt))

    def claim(self, document: Document, where: str, fmt: str) -> Document | Skipped:
        duplicate = self.duplicate(document.id, document.path, where, fmt)
        if duplicate is not None:
            return duplicate
        self.read[document.id] = where
        return document

    def claimer(self, fmt: str) -> Callable[[Document, str], Document | Skipped]:
        return lambda document, where: self.claim(document, where, fmt)


def duplicate_reason(doc_id: str, earlier: str, fmt: str) -> str:
    """Why a document whose id was read before (at ``earlier``) is skipped; the Spark engine says the same."""
    return f"duplicate id '{doc_id}' (already read from {earlier}); {_FIXES.get(fmt, _DEFAULT_FIX)}"


def list_inputs(paths: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[str, str, str | None, str | None]]:
    """``(path, format, problem, page id)`` of every input in reading order: the walk and the ids
    ``read_inputs`` uses, for engines that read the files apart (Spark). The id is None but for pages."""
    found = list_files(paths)
    ids = assign_page_ids(found, {})
    for f in found:
        yield f.path, f.fmt, f.problem, ids.get(f.key) if f.problem is None else None


def read_page(path: str, doc_id: str, fmt: str, limit: int) -> Document:
    """One .txt or .html file as a Document; InputError when it cannot be read."""
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            problem = size_problem("file", size, limit)
            if problem:
                raise InputError(path, problem)
            data = stream.read(limit + 1)  # a file growing while read is still held to the limit
    except OSError as err:
        raise InputError(path, f"cannot read the file: {err.strerror}; check that it is readable") from None
    problem = size_problem("file", len(data), limit)
    if problem:
        raise InputError(path, problem)
    if fmt == Format.TEXT:
        return read_text_bytes(data, doc_id=doc_id, path=path)
    return read_html_bytes(data, doc_id=doc_id, path=path)
