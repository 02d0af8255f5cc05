"""Sketch: compact per-document fingerprints for finding candidate pairs without comparing all pairs.

* a MinHash signature over word 5-gram shingles of the body (near-duplicates, via LSH bands);
* anchors: the 5-gram hashes of the compared text (body + any second article) that fall in a
  fixed residue class, so two texts sharing a passage share anchors wherever it stands (containment);
* names: the rare capitalised words the text is about (independent coverage and rewrites, which
  share few n-grams but the same people and places);
* topic: content-word counts, for the cheap "same subject?" test that gates the embeddings.

A word's 64-bit hash (xxh64) is computed once per process (a dict lookup after that, in C), word
windows are combined into shingle hashes with numpy wrap-around multiplication, and the signature is
rensa's MinHash kernel (Rust, ``RMinHash``, seeded) over those shingle hashes: one call per document,
or one per batch over a flat buffer (``signatures``). It computed the 128 permutations about ten
times faster than the numpy broadcast it replaced (``bench/throughput.py``); its output for a
document does not depend on the batch it is in.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xxhash
from rensa import RMinHash

from wiretrace.config import at_least, check_types
from wiretrace.errors import ConfigError
from wiretrace.model import Cleaned, Document
from wiretrace.text.names import doc_names
from wiretrace.text.tokens import tokens_in_ranges
from wiretrace.text.topic import content_of


class _WordHashes(dict[str, int]):
    """Word -> xxh64, filled on first sight: lookups of known words stay in C (``map(__getitem__)``)."""

    def __missing__(self, word: str) -> int:
        h = self[word] = xxhash.xxh64_intdigest(word.encode("utf-8"))
        return h


_WORD_HASH = _WordHashes()
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class SketchConfig:
    num_perm: int = 128
    shingle: int = 5  # words per shingle
    seed: int = 1
    anchor_modulus: int = 4  # keep shingles whose hash % modulus == 0 as anchors
    topic_words: int = 300  # content words kept for the topic vector

    def __post_init__(self) -> None:
        check_types("sketch", self)
        at_least("sketch", self, 1, "topic_words", what="a whole number of words >= 1")
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


def word_hashes(tokens: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(_WORD_HASH.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def shingle_hashes(tokens: Sequence[str], k: int) -> np.ndarray:
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


def shingle_hash_batch(token_lists: Sequence[Sequence[str]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """``shingle_hashes`` of many documents at once: one flat uint64 array and the offsets of each
    document's run in it (``flat[off[i]:off[i + 1]]`` equals ``shingle_hashes(token_lists[i], k)``).

    All word hashes come from one pass over every token, and the windows from one rolling pass over
    the concatenation; windows that straddle two documents are dropped, and the rare document shorter
    than ``k`` words gets its single window apart. No numpy call per document."""
    n = len(token_lists)
    lens = np.fromiter(map(len, token_lists), dtype=np.int64, count=n)
    total = int(lens.sum())
    h = np.fromiter(map(_WORD_HASH.__getitem__, itertools.chain.from_iterable(token_lists)), dtype=np.uint64, count=total)
    nwin = max(total - k + 1, 0)
    with np.errstate(over="ignore"):
        acc = h[:nwin].copy()
        for j in range(1, k):
            acc *= _SHINGLE_MULT
            acc += h[j : j + nwin]
        acc ^= acc >> np.uint64(29)
    long_ = lens >= k
    ends = np.cumsum(lens)
    # A window is a document's own where it starts at least k words before that document's end: drop
    # the k - 1 that start later (they run into the next document), and every window of a short one.
    inside = np.ones(nwin, dtype=bool)
    for j in range(1, k):
        late = ends[long_] - j
        inside[late[late < nwin]] = False
    for i in np.flatnonzero(~long_ & (lens > 0)).tolist():
        inside[int(ends[i] - lens[i]) : int(ends[i])] = False
    counts = np.where(long_, lens - k + 1, np.minimum(lens, 1))
    offsets = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(counts, out=offsets[1:])
    flat = np.empty(int(offsets[-1]), dtype=np.uint64)
    if np.all(long_ | (lens == 0)):
        flat[:] = acc[inside]
    else:
        flat[np.repeat(long_, counts)] = acc[inside]
        for i in np.flatnonzero(~long_ & (lens > 0)).tolist():
            flat[int(offsets[i])] = shingle_hashes(token_lists[i], k)[0]
    return flat, offsets


def minhash(shingles: np.ndarray, config: SketchConfig) -> np.ndarray:
    """uint32[num_perm] MinHash signature of a set of shingle hashes (all-ones where it is empty)."""
    return signatures([shingles], config)[0]


def signatures(shingle_sets: list[np.ndarray], config: SketchConfig) -> np.ndarray:
    """uint32[len(shingle_sets), num_perm]: the signatures of many documents in one rensa call; row i
    is exactly ``minhash(shingle_sets[i])``."""
    offsets = np.zeros(len(shingle_sets) + 1, dtype=np.uint64)
    if shingle_sets:
        np.cumsum([len(x) for x in shingle_sets], out=offsets[1:])
    flat = np.concatenate(shingle_sets) if shingle_sets else np.zeros(0, dtype=np.uint64)
    return signatures_flat(flat, offsets, config)


def signatures_flat(flat: np.ndarray, offsets: np.ndarray, config: SketchConfig) -> np.ndarray:
    """``signatures`` of the runs ``flat[offsets[i]:offsets[i + 1]]`` (``shingle_hash_batch``'s output)."""
    n = len(offsets) - 1
    m = RMinHash.digest_matrix_from_flat_token_hashes(
        flat.astype(np.uint64, copy=False), offsets.astype(np.uint64, copy=False), config.num_perm, config.seed
    )
    rows = m.to_rows()
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.uint32, count=n * config.num_perm).reshape(
        n, config.num_perm
    )


def sketch(doc: Document, cleaned: Cleaned, config: SketchConfig | None = None) -> Sketch:
    """One document's fingerprints. Pure: the same document and verdict give the same sketch."""
    return sketch_batch([doc], {doc.id: cleaned}, config)[0]


def sketch_batch(docs: list[Document], cleaned: dict[str, Cleaned], config: SketchConfig | None = None) -> list[Sketch]:
    """Sketch a batch; pure over its inputs, so it runs the same in a loop or a Spark partition (each
    document's sketch is the same whatever batch it is in)."""
    config = config or SketchConfig()
    # Only the words are read here (hashed, counted, joined): no offsets, and nothing kept for the
    # aligner, whose pairs come a stage later and in another order (``tokens.tokens_in_ranges``).
    bodies = [tokens_in_ranges(doc.text, cleaned[doc.id].body) for doc in docs]
    flat, off = shingle_hash_batch(bodies, config.shingle)
    sigs = signatures_flat(flat, off, config)
    modulus = np.uint64(config.anchor_modulus)
    out = []
    for i, (doc, body, sig) in enumerate(zip(docs, bodies, sigs, strict=True)):
        cl = cleaned[doc.id]
        if cl.content == cl.body:
            # The body's tokens, already made, are the content's: hashed and counted again, not
            # tokenised again (``content_of`` over them is ``ranges_words`` over the same ranges).
            sh_content = flat[int(off[i]) : int(off[i + 1])]
            words = content_of(body)
        else:
            content = tokens_in_ranges(doc.text, cl.content)
            sh_content = shingle_hashes(content, config.shingle)
            words = content_of(content)  # ``ranges_words``: the same counts in the same order
        anchors = np.unique(sh_content[sh_content % modulus == 0])
        body_hash = xxhash.xxh64_hexdigest(" ".join(body).encode("utf-8"))
        topic = dict(words.most_common(config.topic_words))
        out.append(Sketch(doc.id, body_hash, len(body), sig, anchors, doc_names(doc.text, cl.content), topic))
    return out
