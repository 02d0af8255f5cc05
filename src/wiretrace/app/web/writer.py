"""Adding documents to a store from the HTTP service.

Request bodies become Documents under the JSONL reader's rules (``record_document`` for a JSON
object, ``read_inputs`` for uploaded files), so an id, a date or an HTML page means the same through
the service as in a file. Writing goes through the local engine (``engine.finish``: the stages of ``run``, the same worker
processes) over what is pending,
one writer at a time (SQLite has one). Concurrent requests are committed as a group: whoever holds
the write lock processes every request queued so far in one pass, so twenty clients posting at once
cost one pipeline pass, not twenty.

Stories are updated by the engine's own ``build_stories``: the new documents are placed in the
stored stories, and only the stories whose membership changed or that hold a new or re-cleaned
document are traced again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wiretrace.embed.minilm import Embedder
from wiretrace.engine import store as st
from wiretrace.engine.local import add_documents, executor_for, finish
from wiretrace.engine.pipeline import RunConfig, Stats, text_hash
from wiretrace.errors import InputError
from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.ingest.decode import size_problem
from wiretrace.ingest.jsonl import record_document
from wiretrace.ingest.reader import FORMATS
from wiretrace.model import Document, Format, Skipped

log = logging.getLogger("wiretrace.app.service")
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


@dataclass(slots=True)
class Outcome:
    """What became of one request's documents."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stories: dict[str, str] = field(default_factory=dict)  # document id -> story id
    failed: str | None = None  # the pipeline failed: the message

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.added, "unchanged": self.unchanged, "stories": self.stories,
            "errors": [r.to_json() for r in self.rejected],
        }


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


@dataclass(slots=True)
class _Job:
    docs: list[tuple[int, Document]]
    outcome: Outcome = field(default_factory=Outcome)
    done: bool = False


class Writer:
    """The one writer of a store: adds documents and brings every stage and the stories up to date."""

    def __init__(self, folder: str | Path, config: RunConfig | None = None) -> None:
        self.config = config or RunConfig()
        self.store = st.Store(folder)
        self.embedder = Embedder(cache=self.store.embedding_cache())
        self.executor = executor_for(self.store, self.config, self.embedder)  # workers start on the first big pass
        self._write = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []
        self.generation = 0  # bumped after every pass that changed the store
        self.passes = 0

    def close(self) -> None:
        with self._write:
            self.executor.close()
            self.store.close()

    def recover(self) -> int:
        """Finish documents a killed process left half-way (the store is resumable); how many there were."""
        with self._write:
            pending = [i for s in (st.INGESTED, st.CLEANED, st.SKETCHED) for i in self.store.ids_at_stage(s)]
            if pending or (self.store.all_ids() and not self.store.stories()):
                self._update()
                self.generation += 1
            return len(pending)

    def submit(self, docs: list[tuple[int, Document]]) -> Outcome:
        """Store ``docs`` (request index, document) and update the stories; blocks until done."""
        job = _Job(docs)
        with self._queue_lock:
            self._queue.append(job)
        with self._write:
            if not job.done:
                with self._queue_lock:
                    jobs, self._queue = self._queue, []
                self._process(jobs)
        return job.outcome

    def _process(self, jobs: list[_Job]) -> None:
        try:
            known = self.store.known_ids()
            batch: list[tuple[Document, str]] = []
            taken: dict[str, str] = {}
            for job in jobs:
                for i, d in job.docs:
                    h = text_hash(d.text)
                    prior = known[d.id][1] if d.id in known else taken.get(d.id)
                    if prior is None:
                        batch.append((d, h))
                        taken[d.id] = h
                        job.outcome.added.append(d.id)
                    elif prior == h:
                        job.outcome.unchanged.append(d.id)
                    else:
                        job.outcome.rejected.append(Rejected(
                            i, d.id, f"id {d.id!r} is already in the store with another text; give the document a new id",
                        ))
            if batch:
                add_documents(self.store, batch, self.config)
                self._update()
                self.generation += 1
            self.passes += 1
            wanted = {d for job in jobs for d in (*job.outcome.added, *job.outcome.unchanged)}
            story_of = self.store.stories_of(wanted)  # the placed documents' stories, not every story read
            for job in jobs:
                job.outcome.stories = {d: story_of[d] for d in (*job.outcome.added, *job.outcome.unchanged) if d in story_of}
                job.outcome.rejected.sort(key=lambda r: r.index)
        except Exception as e:  # every waiting request must hear of it; the documents stay pending
            log.exception("wiretrace service: the pipeline failed on %d request(s)", len(jobs))
            for job in jobs:
                job.outcome.failed = f"pipeline: {type(e).__name__}: {e}"
        finally:
            for job in jobs:
                job.done = True

    def _update(self) -> None:
        """The engine's stages over what is pending (places the new documents, re-traces what changed)."""
        finish(self.store, self.config, stats=Stats(), executor=self.executor)
