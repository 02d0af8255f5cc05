"""Candidates: which pairs of documents are worth aligning. Never all pairs.

Three paths, each recorded as the pair's reason:
* ``exact``: equal body hashes;
* ``lsh``: MinHash signatures agreeing on a whole band (near-duplicates);
* ``anchors``: enough shared 5-gram anchors (one text sits inside a longer page, or shares passages);
* ``names``: enough shared rare names, weighted by rarity (rewrites and independent coverage).

Each is an inverted index from a key to the documents holding it, so the cost grows with the number
of documents times the keys per document, not with the number of pairs. Keys held by too many
documents (stock phrases, common names) are dropped: they say nothing about a pair.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .sketch import Sketch


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    bands: int = 32  # LSH bands; rows per band = num_perm / bands
    min_anchors: int = 3  # shared anchors needed for the containment path
    max_key_docs: int = 50  # keys held by more documents than this are ignored
    min_name_weight: float = 12.0  # summed idf of shared names needed for the names path
    min_names: int = 4

    def __post_init__(self) -> None:
        if self.bands < 1:
            raise ConfigError("candidates", "bands", self.bands, "a positive divisor of num_perm")
        if self.min_anchors < 1:
            raise ConfigError("candidates", "min_anchors", self.min_anchors, "an integer >= 1")
        if self.max_key_docs < 2:
            raise ConfigError("candidates", "max_key_docs", self.max_key_docs, "an integer >= 2")


@dataclass(slots=True)
class CandidateIndex:
    """Inverted indexes over sketches; ``insert`` new documents, ``query`` pairs for them."""

    config: CandidateConfig = field(default_factory=CandidateConfig)
    by_hash: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_band: dict[bytes, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_anchor: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sketches: dict[str, Sketch] = field(default_factory=dict)

    def insert(self, sk: Sketch) -> None:
        if sk.doc_id in self.sketches:
            return
        self.sketches[sk.doc_id] = sk
        if sk.n_words:
            self.by_hash[sk.body_hash].append(sk.doc_id)
        for key in band_keys(sk, self.config.bands):
            self.by_band[key].append(sk.doc_id)
        for a in sk.anchors.tolist():
            self.by_anchor[a].append(sk.doc_id)
        for n in sk.names:
            self.by_name[n].append(sk.doc_id)

    def query(self, doc_id: str) -> dict[str, set[str]]:
        """Other documents worth comparing with ``doc_id``, each with the paths that proposed it."""
        sk = self.sketches[doc_id]
        cfg = self.config
        found: dict[str, set[str]] = defaultdict(set)
        if sk.n_words:
            for other in self.by_hash[sk.body_hash]:
                found[other].add("exact")
            for key in band_keys(sk, cfg.bands):
                docs = self.by_band[key]
                if len(docs) <= cfg.max_key_docs * 4:
                    for other in docs:
                        found[other].add("lsh")
        shared: dict[str, int] = defaultdict(int)
        for a in sk.anchors.tolist():
            docs = self.by_anchor.get(a, [])
            if len(docs) <= cfg.max_key_docs:
                for other in docs:
                    shared[other] += 1
        for other, k in shared.items():
            if k >= cfg.min_anchors:
                found[other].add("anchors")
        n_docs = max(len(self.sketches), 2)
        weight: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        for n in sk.names:
            docs = self.by_name.get(n, [])
            if 1 < len(docs) <= cfg.max_key_docs:
                w = name_weight(len(docs), n_docs)
                for other in docs:
                    weight[other] += w
                    count[other] += 1
        for other, w in weight.items():
            if w >= cfg.min_name_weight and count[other] >= cfg.min_names:
                found[other].add("names")
        found.pop(doc_id, None)
        return found


def band_keys(sk: Sketch, bands: int) -> list[bytes]:
    """A sketch's LSH band keys (none for an empty body): the keys both engines bucket documents on."""
    return list(_bands(sk.minhash, bands)) if sk.n_words else []


def name_weight(df: int, n_docs: int) -> float:
    """Weight of a name held by ``df`` of ``n_docs`` documents: rarer names say more about a pair."""
    return math.log(n_docs / df) + 1.0


def _bands(sig: np.ndarray, bands: int) -> Iterable[bytes]:
    rows = len(sig) // bands
    raw = sig.tobytes()
    width = rows * sig.itemsize
    for i in range(bands):
        yield i.to_bytes(2, "little") + raw[i * width : (i + 1) * width]


def candidate_pairs(index: CandidateIndex, doc_ids: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """Candidate pairs touching ``doc_ids`` (new or changed documents), keyed ``(min id, max id)``."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in doc_ids:
        for other, why in index.query(d).items():
            out[(d, other) if d < other else (other, d)] |= why
    return out
