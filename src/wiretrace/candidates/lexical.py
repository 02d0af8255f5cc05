"""Candidates: which pairs of documents are worth aligning. Never all pairs.

Five paths, each recorded as the pair's reason:
* ``exact``: equal body hashes;
* ``lsh``: MinHash signatures agreeing on a whole band (near-duplicates);
* ``anchors``: enough shared 5-gram anchors (one text sits inside a longer page, or shares passages);
* ``names``: enough shared rare names, weighted by rarity (rewrites and independent coverage);
* ``embedding``: among a document's nearest by static body vector, above a cosine floor
  (paraphrases and rewrites that share few n-grams; ``neighbours.embedding_pairs``). It runs only
  where alignment is semantic (a lexical-only run could not relate such a pair anyway).

Each is an inverted index from a key to the documents holding it, so the cost grows with the number
of documents times the keys per document, not with the number of pairs. Keys held by too many
documents (stock phrases, common names) are dropped: they say nothing about a pair.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from wiretrace.candidates.neighbours import embedding_pairs
from wiretrace.config import at_least, check_types
from wiretrace.errors import ConfigError
from wiretrace.sketch import Sketch


@dataclass(frozen=True, slots=True)
class CandidateConfig:
    bands: int = 32  # LSH bands; rows per band = num_perm / bands
    min_anchors: int = 3  # shared anchors needed for the containment path
    max_key_docs: int = 50  # keys held by more documents than this are ignored
    min_name_weight: float = 12.0  # summed idf of shared names needed for the names path
    min_names: int = 4
    embedding: bool = True  # the static-vector neighbour path (semantic runs only)
    embedding_k: int = 5  # nearest documents proposed per document
    # Static-vector cosine a neighbour needs. Static vectors of news bodies are compressed high: on the
    # sample corpus unrelated stories reach 0.80, same-story reports 0.83-0.91, paraphrases 0.96.
    embedding_cos: float = 0.9
    embedding_exact_max: int = 50_000  # exact search up to this many documents, faiss HNSW above

    def __post_init__(self) -> None:
        check_types("candidates", self)
        at_least("candidates", self, 0, "min_name_weight", "min_names", "embedding_exact_max")
        if self.bands < 1:
            raise ConfigError("candidates", "bands", self.bands, "a positive divisor of num_perm")
        if self.min_anchors < 1:
            raise ConfigError("candidates", "min_anchors", self.min_anchors, "an integer >= 1")
        if self.max_key_docs < 2:
            raise ConfigError("candidates", "max_key_docs", self.max_key_docs, "an integer >= 2")
        if self.embedding_k < 1:
            raise ConfigError("candidates", "embedding_k", self.embedding_k, "an integer >= 1")
        if not -1.0 <= self.embedding_cos <= 1.0:
            raise ConfigError("candidates", "embedding_cos", self.embedding_cos, "a cosine in [-1, 1]")


@dataclass(slots=True)
class CandidateIndex:
    """Inverted indexes over sketches; ``insert`` new documents, ``query`` pairs for them."""

    config: CandidateConfig = field(default_factory=CandidateConfig)
    by_hash: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_band: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_anchor: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sketches: dict[str, Sketch] = field(default_factory=dict)
    bands_of: dict[str, list[int]] = field(default_factory=dict)  # each document's band keys, computed once

    def insert(self, sk: Sketch, bands: list[int] | None = None) -> None:
        if sk.doc_id in self.sketches:
            return
        self.sketches[sk.doc_id] = sk
        if sk.n_words:
            self.by_hash[sk.body_hash].append(sk.doc_id)
        keys = self.bands_of[sk.doc_id] = band_keys(sk, self.config.bands) if bands is None else bands
        for key in keys:
            self.by_band[key].append(sk.doc_id)
        for a in sk.anchors.tolist():
            self.by_anchor[a].append(sk.doc_id)
        for n in sk.names:
            self.by_name[n].append(sk.doc_id)

    def insert_many(self, sketches: Iterable[Sketch]) -> None:
        """``insert`` each, with the band keys of all computed in one numpy pass."""
        sks = [sk for sk in sketches if sk.doc_id not in self.sketches]
        if not sks:
            return
        keys = band_matrix(np.stack([sk.minhash for sk in sks]), self.config.bands).tolist()
        for sk, k in zip(sks, keys, strict=True):
            self.insert(sk, k if sk.n_words else [])

    def query(self, doc_id: str) -> dict[str, set[str]]:
        """Other documents worth comparing with ``doc_id``, each with the paths that proposed it."""
        sk = self.sketches[doc_id]
        cfg = self.config
        found: dict[str, set[str]] = defaultdict(set)
        if sk.n_words:
            for other in self.by_hash[sk.body_hash]:
                found[other].add("exact")
            for key in self.bands_of[doc_id]:
                docs = self.by_band[key]
                if len(docs) <= cfg.max_key_docs * 4:
                    for other in docs:
                        found[other].add("lsh")
        # The document is indexed, so each of its anchors and names is a key: looked up without a default
        # (a C call per key, not a Python one; a defaultdict's lookup of a key it holds adds nothing).
        for other in anchored_alike(sk.anchors.tolist(), self.by_anchor.__getitem__, cfg):
            found[other].add("anchors")
        for other in named_alike(sk.names, self.by_name.__getitem__, max(len(self.sketches), 2), cfg):
            found[other].add("names")
        found.pop(doc_id, None)
        return found


def band_keys(sk: Sketch, bands: int) -> list[int]:
    """A sketch's LSH band keys (none for an empty body): the keys both engines bucket documents on."""
    return band_matrix(sk.minhash[None, :], bands)[0].tolist() if sk.n_words else []


_BAND_MULT = np.uint64(0x9E3779B97F4A7C15)


def band_matrix(sigs: np.ndarray, bands: int) -> np.ndarray:
    """uint64[n, bands]: one 64-bit key per band of each signature row (band i's rows folded by
    wrap-around multiplication from a start that depends on i, so equal rows in different bands
    make different keys). Vectorised over documents: the keys of a whole corpus in a few numpy calls."""
    n, num_perm = sigs.shape
    rows = num_perm // bands
    x = sigs[:, : bands * rows].reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = np.broadcast_to((np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _BAND_MULT, (n, bands)).copy()
        for j in range(rows):
            acc = acc * _BAND_MULT + x[:, :, j]
        acc ^= acc >> np.uint64(31)
    return acc


def anchored_alike(anchors: Iterable[int], holders: Callable[[int], Sequence[str]], cfg: CandidateConfig) -> list[str]:
    """The documents holding at least ``min_anchors`` of ``anchors`` (anchors held by more than
    ``max_key_docs`` documents say nothing)."""
    shared: dict[str, int] = defaultdict(int)
    for a in anchors:
        docs = holders(a)
        if len(docs) <= cfg.max_key_docs:
            for other in docs:
                shared[other] += 1
    return [o for o, k in shared.items() if k >= cfg.min_anchors]


def named_alike(names: Iterable[str], holders: Callable[[str], Sequence[str]], n_docs: int, cfg: CandidateConfig) -> list[str]:
    """The documents that share enough rare names with a document of ``names``: each name held by 2 to
    ``max_key_docs`` documents (``holders``) weighs ``name_weight``; a candidate needs the weight
    ``min_name_weight`` from at least ``min_names`` names. (The in-memory index and the store's kept
    tables both ask this.)"""
    weight: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for n in names:
        docs = holders(n)
        if 1 < len(docs) <= cfg.max_key_docs:
            w = name_weight(len(docs), n_docs)
            for other in docs:
                weight[other] += w
                count[other] += 1
    return [o for o, w in weight.items() if w >= cfg.min_name_weight and count[o] >= cfg.min_names]


def name_weight(df: int, n_docs: int) -> float:
    """Weight of a name held by ``df`` of ``n_docs`` documents: rarer names say more about a pair."""
    return math.log(n_docs / df) + 1.0


def candidate_pairs(
    index: CandidateIndex, doc_ids: Iterable[str], vectors: Mapping[str, np.ndarray] | None = None
) -> dict[tuple[str, str], set[str]]:
    """Candidate pairs touching ``doc_ids`` (new or changed documents), keyed ``(min id, max id)``.

    With ``vectors`` (static body vectors of every indexed document) and ``config.embedding`` on, the
    embedding path adds each document's nearest neighbours."""
    doc_ids = list(doc_ids)
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in doc_ids:
        for other, why in index.query(d).items():
            out[(d, other) if d < other else (other, d)] |= why
    cfg = index.config
    if vectors is not None and cfg.embedding:
        for key in embedding_pairs(vectors, doc_ids, cfg.embedding_k, cfg.embedding_cos, cfg.embedding_exact_max):
            out[key].add("embedding")
    return out
