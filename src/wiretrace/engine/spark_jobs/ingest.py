"""Ingest on Spark: inputs read on executors, with the local reader's ids, fields and skip rules.

* JSONL files are split by lines (``textFile``); each line goes through ``record_document``, the
  local JSONL reader's per-record function, and is numbered with ``zipWithIndex`` so that skip
  messages and duplicate ids name ``path:LINE`` as the local reader does.
* Parquet inputs (a ``*.parquet`` file, or a folder of them as Spark writes it) are read with
  ``spark.read``; each row is the JSONL record of the same fields (id, text or html, url, source,
  title, published).
* Other files (text, HTML, WARC) are read one task per file by the local readers.

Duplicate ids: the local reader keeps the first document read under an id and skips the later ones.
Here every item carries its place in the reading order (input index, line or record number) and the
smallest wins, for any partitioning. Parquet rows have no stable row number: among the rows of one
Parquet input the tie is broken by file name and a hash of the text, never by arrival.

Differences from the local reader, on malformed input only: Hadoop also ends a line at a lone ``\\r``
(which makes a JSON line invalid either way), an over-long line's size is given without its newline,
the offset of undecodable bytes is counted from the line's start, and a page file that is both
unreadable and a duplicate is skipped for the first reason found rather than as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import xxhash

from wiretrace.errors import InputError, NoInputError
from wiretrace.ingest import IngestConfig
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.jsonl import record_document
from wiretrace.ingest.reader import duplicate_reason, list_inputs, read_page
from wiretrace.ingest.warc import read_warc
from wiretrace.model import Document, Format, Skipped

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

Order = tuple[int, int, str]  # (input index, line or record number, tie-break): the reading order
PARQUET_FIELDS = ("id", "text", "html", "url", "source", "title", "published")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Item:
    """One thing read from the inputs, with its place in the reading order."""

    order: Order
    where: str  # path, path:LINE or path#N: what a later duplicate's message names
    fmt: str  # a Format, or "parquet"
    read: Document | Skipped


# --- executor side: plain functions over iterators ------------------------------------------------
def jsonl_items(rows: Iterable[tuple[bytes, int]], index: int, path: str, limit: int) -> Iterator[Item]:
    """JSONL lines ``(bytes, 0-based line number)`` of input ``index`` -> Items, as ``read_jsonl`` reads them."""
    for raw, n in rows:
        lineno = n + 1
        where = f"{path}:{lineno}"
        order = (index, lineno, "")
        content = raw.rstrip(b"\r\n")
        if lineno == 1 and content.startswith(_BOM):
            content = content[len(_BOM) :]
        problem = size_problem("line", len(content), limit)
        if problem:
            yield Item(order, where, Format.JSONL, Skipped(where, problem))
            continue
        try:
            line = content.decode("utf-8")
        except UnicodeDecodeError as err:
            reason = f"undecodable bytes at offset {err.start} of the line: not UTF-8; JSONL must be UTF-8, convert the file"
            yield Item(order, where, Format.JSONL, Skipped(where, reason))
            continue
        if not line.strip():
            continue
        try:
            doc = record_document(line, path=path, where=where)
        except InputError as err:
            yield Item(order, where, Format.JSONL, Skipped(err.path, err.problem))
            continue
        yield Item(order, where, Format.JSONL, doc)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def parquet_items(rows: Iterable[Any], index: int, path: str, fields: Sequence[str]) -> Iterator[Item]:
    """Parquet rows (with their file in ``_file``) -> Items: each row read as the JSONL record it spells."""
    for row in rows:
        record = {k: _plain(row[k]) for k in fields if row[k] is not None}
        file = str(row["_file"])
        where = f"{file}[id={record.get('id')}]"
        body = str(record.get("text") or record.get("html") or "")
        order = (index, 0, file + "\x00" + xxhash.xxh64_hexdigest(body.encode("utf-8", "surrogatepass")))
        try:
            doc = record_document(json.dumps(record), path=path, where=where)
        except InputError as err:
            yield Item(order, where, "parquet", Skipped(err.path, err.problem))
            continue
        yield Item(order, where, "parquet", doc)


def file_items(rows: Iterable[tuple[int, str, str, str]], limit: int) -> Iterator[Item]:
    """``(input index, path, format, page id)`` of text, HTML and WARC files -> Items, read by the local
    readers (a page under the id the local walk gives it)."""
    for index, path, fmt, page_id in rows:
        if fmt == Format.WARC:
            claimed: list[str] = []

            def claim(doc: Document, where: str, seen: list[str] = claimed) -> Document:
                seen.append(where)  # read_warc calls this just before it yields the document
                return doc

            for n, item in enumerate(read_warc(path, limit, claim=claim)):
                where = claimed[-1] if isinstance(item, Document) else item.path
                yield Item((index, n, ""), where, fmt, item)
        else:
            read: Document | Skipped
            try:
                read = read_page(path, page_id, fmt, limit)
            except InputError as err:
                read = Skipped(err.path, err.problem)
            yield Item((index, 0, ""), path, fmt, read)


def _is_doc(item: Item) -> bool:
    return isinstance(item.read, Document)


def _doc_meta(item: Item) -> tuple[str, tuple[Order, str, str]]:
    assert isinstance(item.read, Document)
    return item.read.id, (item.order, item.where, item.fmt)


def _keep(item: Item, winners: Any) -> bool:
    if not isinstance(item.read, Document):
        return False
    won = winners.value.get(item.read.id)
    return won is None or won == item.order


def _keyed(item: Item) -> tuple[str, Document]:
    assert isinstance(item.read, Document)
    return item.read.id, item.read


def _several(kv: tuple[str, Iterable[Any]]) -> bool:
    return len(list(kv[1])) > 1


# --- driver side ------------------------------------------------------------------------------------
def is_parquet(path: str) -> bool:
    """A ``*.parquet`` file or folder, or a local folder holding ``*.parquet`` files."""
    if path.rstrip("/").endswith(".parquet"):
        return True
    if "://" not in path and os.path.isdir(path):
        return any(n.endswith(".parquet") for n in os.listdir(path))
    return False


def _uri(path: str) -> str:
    return path if "://" in path else "file://" + os.path.abspath(path)


_COLLAPSED = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)")


def restore_uri(path: str) -> str:
    """``s3a://b/k`` back from ``s3a:/b/k``: a CLI argument read as a ``Path`` loses one slash."""
    m = _COLLAPSED.match(path)
    if m is None:
        return path
    rest = path[m.end() :]
    return f"{m.group(1)}:///{rest}" if m.group(1) == "file" else f"{m.group(1)}://{rest}"


def read_documents(
    spark: SparkSession, paths: Sequence[str | os.PathLike[str]], config: IngestConfig, partitions: int
) -> tuple[RDD[tuple[str, Document]], list[Skipped], int]:
    """Documents keyed by id (persisted; duplicates resolved as the local reader does), what was
    skipped, and how many documents were read."""
    sc = spark.sparkContext
    limit = config.max_doc_bytes
    given = [restore_uri(os.fspath(p)) for p in paths]
    parquet = [p for p in given if is_parquet(p)]
    remote = [p for p in given if "://" in p and p not in parquet]
    local = [p for p in given if "://" not in p and p not in parquet]
    problems: list[Item] = []
    files: list[tuple[int, str, str, str]] = []
    sources: list[RDD[Item]] = []
    index = 0

    n_jsonl = sum(1 for p in given if p.endswith(".jsonl")) or 1

    def add_jsonl(path: str) -> None:
        # One big file is split into `partitions` parts; many files keep their own splits.
        lines = sc.textFile(_uri(path), minPartitions=max(1, partitions // n_jsonl), use_unicode=False).zipWithIndex()
        sources.append(lines.mapPartitions(partial(jsonl_items, index=index, path=path, limit=limit)))

    for path, fmt, problem, page_id in list_inputs(local):
        if problem is not None:
            problems.append(Item((index, 0, ""), path, fmt, Skipped(path, problem)))
        elif fmt == Format.JSONL:
            add_jsonl(path)
        else:
            files.append((index, path, fmt, page_id or ""))
        index += 1
    for path in remote:
        if path.endswith(".jsonl"):
            add_jsonl(path)
        else:
            reason = "not readable by the Spark engine from a remote file system; give .jsonl files or Parquet"
            problems.append(Item((index, 0, ""), path, "", Skipped(path, reason)))
        index += 1
    for path in parquet:
        df = spark.read.parquet(_uri(path))
        fields = [f for f in PARQUET_FIELDS if f in df.columns]
        if "id" not in fields or not {"text", "html"} & set(fields):
            reason = f"Parquet columns {sorted(df.columns)} lack 'id' and 'text' or 'html'; name them so"
            problems.append(Item((index, 0, ""), path, "parquet", Skipped(path, reason)))
        else:
            from pyspark.sql.functions import input_file_name

            rows = df.select(*fields, input_file_name().alias("_file")).rdd
            sources.append(rows.mapPartitions(partial(parquet_items, index=index, path=path, fields=fields)))
        index += 1
    if files:
        listed = sc.parallelize(files, max(1, min(len(files), partitions * 2)))
        sources.append(listed.mapPartitions(partial(file_items, limit=limit)))
    if not sources:
        raise NoInputError(given, [it.read for it in problems])  # type: ignore[misc]
    items = sc.union(sources).persist()
    # Ids read more than once (rare): the first in reading order wins, the others are skipped.
    several = items.filter(_is_doc).map(_doc_meta).groupByKey(partitions).filter(_several).mapValues(sorted).collect()
    winners = {doc_id: entries[0][0] for doc_id, entries in several}
    for doc_id, entries in several:
        _, first_where, _ = entries[0]
        for order, where, fmt in entries[1:]:
            problems.append(Item(order, where, fmt, Skipped(where, duplicate_reason(doc_id, first_where, fmt))))
    problems += items.filter(lambda it: not _is_doc(it)).collect()
    chosen = sc.broadcast(winners)
    from pyspark import StorageLevel

    docs = items.filter(partial(_keep, winners=chosen)).map(_keyed).persist(StorageLevel.MEMORY_AND_DISK)
    count = docs.count()
    items.unpersist()
    skipped = _skipped(problems)
    if count == 0:
        raise NoInputError(given, skipped)
    return docs, skipped, count


def _skipped(problems: list[Item]) -> list[Skipped]:
    # The store keeps one reason per path (the last one read) and lists them by path.
    by_path = {it.read.path: it.read for it in sorted(problems, key=lambda it: it.order)}
    return [by_path[p] for p in sorted(by_path)]  # type: ignore[misc]
