"""Adding documents to a store from the HTTP service.

Request bodies become Documents in ``ingest.requests``. Writing goes through the local engine (``engine.finish``: the stages of ``run``, the same worker
processes) over what is pending,
one writer at a time (SQLite has one). Concurrent requests are committed as a group: whoever holds
the write lock processes every request queued so far in one pass, so twenty clients posting at once
cost one pipeline pass, not twenty.

Stories are updated by the engine's own ``build_stories``: the new documents are placed in the
stored stories, and only the stories whose membership changed or that hold a new or re-cleaned
document are traced again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from wiretrace.embed.minilm import Embedder
from wiretrace.engine import store as st
from wiretrace.engine.local import add_documents, executor_for, finish
from wiretrace.engine.pipeline import RunConfig, Stats, text_hash
from wiretrace.ingest.requests import Rejected
from wiretrace.model import Document

log = logging.getLogger("wiretrace.app.service")


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
