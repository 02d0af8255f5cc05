"""Sketch accuracy: MinHash estimates the true Jaccard of shingle sets; LSH finds close pairs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.candidates.lexical import CandidateConfig, CandidateIndex, candidate_pairs
from wiretrace.sketch import Sketch, SketchConfig, minhash, shingle_hashes

VOCAB = [f"w{i}" for i in range(400)]


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(st.sampled_from(VOCAB), min_size=60, max_size=200),
    cut=st.floats(min_value=0.0, max_value=0.9),
)
def test_minhash_estimates_jaccard(base: list[str], cut: float) -> None:
    cfg = SketchConfig(num_perm=256)
    other = base[: max(5, int(len(base) * (1 - cut)))] + ["zz"] * 5
    sa, sb = shingle_hashes(tuple(base), 5), shingle_hashes(tuple(other), 5)
    true = len(set(sa.tolist()) & set(sb.tolist())) / len(set(sa.tolist()) | set(sb.tolist()))
    est = float(np.mean(minhash(sa, cfg) == minhash(sb, cfg)))
    # 256 permutations: standard error <= 1/(2*sqrt(256)) = 0.031; allow 4 sigma.
    assert abs(est - true) < 0.125


def test_shingles_depend_on_order_and_words() -> None:
    a = shingle_hashes(("a", "b", "c", "d", "e"), 5)
    b = shingle_hashes(("b", "a", "c", "d", "e"), 5)
    assert len(a) == 1 and a[0] != b[0]
    assert len(shingle_hashes(("x", "y"), 5)) == 1  # short texts still get one shingle
    assert len(shingle_hashes((), 5)) == 0


def _sk(i: str, toks: list[str], cfg: SketchConfig) -> Sketch:
    sh = shingle_hashes(tuple(toks), 5)
    return Sketch(i, str(hash(tuple(toks))), len(toks), minhash(sh, cfg), np.unique(sh[sh % np.uint64(4) == 0]), frozenset(), {})


def test_lsh_finds_near_duplicates_and_containment_not_strangers() -> None:
    rng = np.random.default_rng(7)
    cfg = SketchConfig()
    docs = {f"d{i}": [VOCAB[j] for j in rng.integers(0, 400, 300)] for i in range(50)}
    docs["near"] = docs["d1"][:290] + ["edit"] * 3 + docs["d1"][293:]
    docs["inside"] = [VOCAB[j] for j in rng.integers(0, 400, 200)] + docs["d2"][:120] + [VOCAB[j] for j in rng.integers(0, 400, 200)]
    index = CandidateIndex(CandidateConfig())
    for i, t in docs.items():
        index.insert(_sk(i, t, cfg))
    pairs = candidate_pairs(index, ["near", "inside", "d3"])
    assert "lsh" in pairs[("d1", "near")]
    assert "anchors" in pairs[("d2", "inside")]
    assert not any("d3" in k for k in pairs)  # random texts share nothing worth aligning


def test_batched_shingles_and_signatures_equal_the_per_document_ones() -> None:
    """The batch path (one pass over all documents) gives each document what it gets alone, whatever
    its neighbours in the batch: short, empty and repeated texts included."""
    from wiretrace.sketch import SketchConfig, minhash, shingle_hash_batch, shingle_hashes, signatures_flat
    from wiretrace.text.tokens import words

    texts = ["", "one", "two words", "a b c d", "a b c d e", "the same five words here " * 3,
             "The council voted on Tuesday to close the old swing bridge to cars.", "x y z w v u"]
    lists = [words(t).tokens for t in texts]
    config = SketchConfig()
    for order in (lists, lists[::-1], lists[2:] + lists[:2]):
        flat, off = shingle_hash_batch(order, config.shingle)
        sigs = signatures_flat(flat, off, config)
        for i, toks in enumerate(order):
            assert np.array_equal(flat[int(off[i]) : int(off[i + 1])], shingle_hashes(toks, config.shingle))
            assert np.array_equal(sigs[i], minhash(shingle_hashes(toks, config.shingle), config))
    assert (minhash(shingle_hashes((), 5), config) == np.iinfo(np.uint32).max).all()
