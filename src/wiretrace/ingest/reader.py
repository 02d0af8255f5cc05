"""The ingest stage's entry point: paths in, a stream of Documents and Skipped entries out.

Folders are walked recursively in sorted order, hidden entries left out; a file is read by its
suffix. Nothing here raises for a bad input: every problem becomes a ``Skipped`` that says what to
do, and the stream goes on with the next input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wiretrace.errors import ConfigError, InputError
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.html import read_html_bytes
from wiretrace.ingest.jsonl import read_jsonl
from wiretrace.ingest.text import read_text_bytes
from wiretrace.ingest.warc import read_warc
from wiretrace.model import Document, Skipped

# suffix -> format; ".warc.gz" is told apart from other ".gz" files by its full name
FORMATS = {
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".warc": "warc",
    ".warc.gz": "warc",
}
SUPPORTED = ".txt, .html/.htm, .jsonl or .warc/.warc.gz"
_FIXES = {
    "warc": "the same URL was captured twice; keep one capture",
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


def read_inputs(
    paths: Sequence[str | os.PathLike[str]],
    config: IngestConfig = IngestConfig(),
    seen_ids: Mapping[str, str] | None = None,
) -> Iterator[Document | Skipped]:
    """Read files and folders into Documents, with a Skipped entry (path + reason) per input problem.

    ``seen_ids`` maps ids read before (say, from the store) to their path: a document whose id is
    there under another path, or was already read in this stream, is skipped as a duplicate.
    ``Document.path`` is the file's path as given (normalised); for JSONL and WARC it is the file's
    path too, and the line (``:N``) or record (``#N``) only shows in Skipped entries.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]  # one path given bare: a str is a Sequence, of characters
    ids = _Ids(seen_ids or {})
    for path, fmt, problem in _files(paths):
        if problem is not None:
            yield Skipped(path, problem)
            continue
        if fmt in ("jsonl", "warc"):
            reader = read_jsonl if fmt == "jsonl" else read_warc
            yield from reader(path, config.max_doc_bytes, claim=ids.claimer(fmt))
            continue
        doc_id = _stem(path)
        duplicate = ids.duplicate(doc_id, path, path, fmt)
        if duplicate is not None:
            yield duplicate
            continue
        try:
            document = _read_page(path, doc_id, fmt, config.max_doc_bytes)
        except InputError as err:
            yield Skipped(err.path, err.problem)
            continue
        yield ids.claim(document, path, fmt)


class _Ids:
    """Ids handed out so far in this stream, and the caller's known ones, to catch duplicates."""

    def __init__(self, known: Mapping[str, str]) -> None:
        self.known = known
        self.read: dict[str, str] = {}  # id -> where it was read (path, path:LINE or path#N)

    def duplicate(self, doc_id: str, path: str, where: str, fmt: str) -> Skipped | None:
        earlier = self.read.get(doc_id)
        if earlier is None:
            known = self.known.get(doc_id)
            earlier = known if known is not None and known != path else None
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


def list_inputs(paths: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[str, str, str | None]]:
    """``(path, format, problem)`` of every input file in reading order: the walk ``read_inputs`` does,
    for engines that read the files apart (Spark)."""
    return _files(paths)


def _read_page(path: str, doc_id: str, fmt: str, limit: int) -> Document:
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
    if fmt == "text":
        return read_text_bytes(data, doc_id=doc_id, path=path)
    return read_html_bytes(data, doc_id=doc_id, path=path)


def _files(paths: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[str, str, str | None]]:
    """``(path, format, problem)`` for every input file, each file once, in a fixed order."""
    visited: set[str] = set()
    for given in paths:
        if not os.fspath(given):
            yield "", "", "empty path; give a file or a folder"
            continue
        path = os.path.normpath(os.fspath(given))
        if os.path.isdir(path):
            for found in _walk(path):
                key = os.path.realpath(found)
                if key not in visited:
                    visited.add(key)
                    yield found, _format(found) or "", None
            continue
        key = os.path.realpath(path)
        if key in visited:
            continue
        visited.add(key)
        if not os.path.exists(path):
            yield path, "", "no such file or folder; check the path"
        elif not os.path.isfile(path):
            yield (
                path,
                "",
                "not a regular file or folder (a device, socket or pipe?); give a file or a folder",
            )
        else:
            fmt = _format(path)
            yield path, fmt or "", None if fmt else f"unsupported file type {_suffix(path)}; give {SUPPORTED}"


def _walk(folder: str) -> list[str]:
    """Recognised files under ``folder``, hidden files and folders left out, sorted by path parts."""
    found: list[tuple[tuple[str, ...], str]] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = os.path.join(root, name)
            if not name.startswith(".") and _format(name) and os.path.isfile(path):
                found.append((Path(path).parts, path))
    return [path for _, path in sorted(found)]


def _format(path: str) -> str | None:
    name = os.path.basename(path).lower()
    if name.endswith(".warc.gz"):
        return "warc"
    return FORMATS.get(os.path.splitext(name)[1])


def _suffix(path: str) -> str:
    name = os.path.basename(path)
    if "." not in name.lstrip("."):
        return "(no suffix)"
    suffixes = "".join(Path(name).suffixes[-2:]) if name.lower().endswith(".gz") else Path(name).suffix
    return f"'{suffixes}'"


def _stem(path: str) -> str:
    name = os.path.basename(path)
    if name.lower().endswith(".warc.gz"):
        return name[: -len(".warc.gz")]
    return os.path.splitext(name)[0]
