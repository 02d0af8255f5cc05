"""Documents sent to the HTTP service: JSON bodies and uploaded files, read under the same rules as
``wiretrace run``'s inputs (``record_document`` for a JSON object as for a JSONL line, ``read_inputs``
for uploaded files), so an id, a date or an HTML page means the same through the service as in a file.
Each document a request holds is either read or rejected with a reason naming its place in the request.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wiretrace.errors import InputError
from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.jsonl import record_document
from wiretrace.ingest.reader import FORMATS
from wiretrace.model import Document, Format, Skipped

MAX_DOCS_PER_REQUEST = 1000
API_PATH = "api"  # Document.path of documents posted as JSON
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Rejected:
    """One document of a request that was not stored, and why."""

    index: int  # its position in the request: list index, or file number for uploads
    id: str | None
    error: str

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "id": self.id, "error": self.error}


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def documents_from_json(payload: object, config: IngestConfig) -> tuple[list[tuple[int, Document]], list[Rejected]]:
    """The documents of a JSON body: one object, or a list of them, each like a JSONL input line."""
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > MAX_DOCS_PER_REQUEST:
        raise InputError("request", f"{len(items)} documents in one request; send at most {MAX_DOCS_PER_REQUEST} per request")
    docs: list[tuple[int, Document]] = []
    rejected: list[Rejected] = []
    for i, item in enumerate(items):
        where = f"documents[{i}]" if isinstance(payload, list) else "document"
        if not isinstance(item, dict):
            rejected.append(Rejected(i, None, f"{where}: a JSON {_json_type(item)}; send an object with \"id\" and \"text\" or \"html\""))
            continue
        raw_id = item.get("id")
        ident = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
        line = json.dumps(item, ensure_ascii=False)
        problem = size_problem("document", len(line.encode("utf-8", "surrogatepass")), config.max_doc_bytes)
        if problem:
            rejected.append(Rejected(i, ident, f"{where}: {problem}"))
            continue
        try:
            doc = record_document(line, path=API_PATH, where=where)
        except InputError as e:
            rejected.append(Rejected(i, ident, f"{e.path}: {e.problem}"))
            continue
        docs.append((i, dataclasses.replace(doc, path=API_PATH, format=Format.JSON if doc.format == Format.JSONL else doc.format)))
    return _first_of_each_id(docs, rejected)


def documents_from_files(
    files: Sequence[tuple[str, bytes]], config: IngestConfig
) -> tuple[list[tuple[int, Document]], list[Rejected]]:
    """The documents of uploaded files (.txt, .html/.htm, .jsonl, .warc/.warc.gz), read as ``run`` reads them."""
    if len(files) > MAX_DOCS_PER_REQUEST:
        raise InputError("request", f"{len(files)} files in one request; send at most {MAX_DOCS_PER_REQUEST} per request")
    docs: list[tuple[int, Document]] = []
    rejected: list[Rejected] = []
    with tempfile.TemporaryDirectory(prefix="wiretrace-upload-") as tmp:
        names: dict[str, int] = {}
        for i, (name, data) in enumerate(files):
            safe = _SAFE_NAME.sub("_", os.path.basename(name.replace("\\", "/"))).lstrip(".")
            fmt = _format(safe)
            if not safe or fmt is None:
                rejected.append(Rejected(i, None, f"upload {name!r}: unsupported file name; send .txt, .html/.htm, .jsonl or .warc/.warc.gz files"))
                continue
            if safe in names:
                rejected.append(Rejected(i, None, f"upload {name!r}: a second file named {safe!r} in this request; rename one"))
                continue
            names[safe] = i
            Path(tmp, safe).write_bytes(data)
        for item in read_inputs([os.path.join(tmp, n) for n in sorted(names)], config):
            if isinstance(item, Skipped):
                where = item.path.replace(tmp + os.sep, "upload:")
                file = where.removeprefix("upload:").split(":")[0].split("#")[0]
                rejected.append(Rejected(names.get(file, -1), None, f"{where}: {item.reason}"))
                continue
            file = os.path.basename(item.path)
            docs.append((names.get(file, -1), dataclasses.replace(item, path=f"upload:{file}")))
    return _first_of_each_id(docs, rejected)


def _format(name: str) -> str | None:
    low = name.lower()
    return next((f for suffix, f in FORMATS.items() if low.endswith(suffix)), None)


def _first_of_each_id(
    docs: list[tuple[int, Document]], rejected: list[Rejected]
) -> tuple[list[tuple[int, Document]], list[Rejected]]:
    seen: set[str] = set()
    kept = []
    for i, d in docs:
        if d.id in seen:
            rejected.append(Rejected(i, d.id, f"duplicate id {d.id!r} in this request; give each document its own id"))
            continue
        seen.add(d.id)
        kept.append((i, d))
    return kept, sorted(rejected, key=lambda r: r.index)
