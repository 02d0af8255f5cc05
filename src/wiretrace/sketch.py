"""Sketch: compact per-document fingerprints for finding candidate pairs without comparing all pairs.

* a MinHash signature over word 5-gram shingles of the body (near-duplicates, via LSH bands);
* anchors: the 5-gram hashes of the compared text (body + any second article) that fall in a
  fixed residue class, so two texts sharing a passage share anchors wherever it stands (containment);
* names: the rare capitalised words the text is about (independent coverage and rewrites, which
  share few n-grams but the same people and places);
* topic: content-word counts, for the cheap "same subject?" test that gates the embeddings.

Hashing is vectorised with numpy: a word's 64-bit hash is computed once per process, shingles are
combined with wrap-around multiplication, and the 128 permutations are one broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xxhash

from .errors import ConfigError
from .model import Cleaned, Document
from .names import doc_names
from .tokens import words_in_ranges
from .topic import ranges_words

_MERSENNE_SHIFT = np.uint64(32)
_WORD_HASH: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class SketchConfig:
    num_perm: int = 128
    shingle: int = 5  # words per shingle
    seed: int = 1
    anchor_modulus: int = 4  # keep shingles whose hash % modulus == 0 as anchors
    topic_words: int = 300  # content words kept for the topic vector

    def __post_init__(self) -> None:
        if self.num_perm < 16 or self.num_perm % 8:
            raise ConfigError("sketch", "num_perm", self.num_perm, "a multiple of 8, at least 16")
        if not 2 <= self.shingle <= 12:
            raise ConfigError("sketch", "shingle", self.shingle, "2 to 12 words")
        if self.anchor_modulus < 1:
            raise ConfigError("sketch", "anchor_modulus", self.anchor_modulus, "an integer >= 1")


@dataclass(frozen=True, slots=True)
class Sketch:
    doc_id: str
    body_hash: str  # of the normalised body words: equal bodies, equal hash
    n_words: int
    minhash: np.ndarray  # uint32[num_perm]
    anchors: np.ndarray  # uint64[k], sorted unique
    names: frozenset[str]
    topic: dict[str, int]  # the most frequent content words and their counts


def _perms(config: SketchConfig) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(config.seed)
    a = rng.integers(1, 2**63 - 1, size=config.num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63 - 1, size=config.num_perm, dtype=np.uint64)
    return a, b


_PERMS: dict[SketchConfig, tuple[np.ndarray, np.ndarray]] = {}


def word_hashes(tokens: tuple[str, ...]) -> np.ndarray:
    out = np.empty(len(tokens), dtype=np.uint64)
    cache = _WORD_HASH
    for i, t in enumerate(tokens):
        h = cache.get(t)
        if h is None:
            h = cache[t] = xxhash.xxh64_intdigest(t.encode("utf-8"))
        out[i] = h
    return out


def shingle_hashes(tokens: tuple[str, ...], k: int) -> np.ndarray:
    """64-bit hashes of every k-word window (one window for texts shorter than k)."""
    h = word_hashes(tokens)
    if len(h) == 0:
        return h
    if len(h) < k:
        k = len(h)
    n = len(h) - k + 1
    acc = np.zeros(n, dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for j in range(k):
            acc = acc * mult + h[j : j + n]
        acc ^= acc >> np.uint64(29)
    return acc


def minhash(shingles: np.ndarray, config: SketchConfig) -> np.ndarray:
    perms = _PERMS.get(config)
    if perms is None:
        perms = _PERMS[config] = _perms(config)
    a, b = perms
    if len(shingles) == 0:
        return np.full(config.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    with np.errstate(over="ignore"):
        mixed = (shingles[None, :] * a[:, None] + b[:, None]) >> _MERSENNE_SHIFT
    return mixed.min(axis=1).astype(np.uint32)


def sketch(doc: Document, cleaned: Cleaned, config: SketchConfig | None = None) -> Sketch:
    """One document's fingerprints. Pure: the same document and verdict give the same sketch."""
    config = config or SketchConfig()
    content_ranges = cleaned.content
    body = words_in_ranges(doc.text, cleaned.body)
    content = words_in_ranges(doc.text, content_ranges)
    sh_body = shingle_hashes(body.tokens, config.shingle)
    sh_content = shingle_hashes(content.tokens, config.shingle)
    anchors = np.unique(sh_content[sh_content % np.uint64(config.anchor_modulus) == 0])
    body_hash = xxhash.xxh64_hexdigest(" ".join(body.tokens).encode("utf-8"))
    topic = dict(ranges_words(doc.text, content_ranges).most_common(config.topic_words))
    return Sketch(
        doc.id, body_hash, len(body), minhash(sh_body, config), anchors, doc_names(doc.text, content_ranges), topic
    )


def sketch_batch(docs: list[Document], cleaned: dict[str, Cleaned], config: SketchConfig | None = None) -> list[Sketch]:
    """Sketch a batch; pure over its inputs, so it runs the same in a loop or a Spark partition."""
    return [sketch(d, cleaned[d.id], config) for d in docs]
