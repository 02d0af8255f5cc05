"""Static vectors from the MiniLM ONNX model, and the embedding candidate path built on them."""

from __future__ import annotations

import csv
import dataclasses
import random

import numpy as np
import pytest
from tests.conftest import CORPUS, DATA, need

from wiretrace.candidates.lexical import CandidateConfig, CandidateIndex, candidate_pairs
from wiretrace.candidates.neighbours import body_text, embedding_pairs, nearest
from wiretrace.clean import CleanConfig, clean
from wiretrace.embed.static import StaticEmbedder, sif_weights
from wiretrace.model import Document
from wiretrace.sketch import sketch_batch

RATES = "The central bank raised interest rates on Tuesday to cool rising prices."
RATES_REWORDED = "On Tuesday the monetary authority increased borrowing costs to curb inflation."
FOOTBALL = "The home side won the cup final after a late goal in extra time."


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    return StaticEmbedder()  # the table is built once (about half a minute of CPU) and cached on disk


def test_vectors_are_deterministic_unit_vectors(static: StaticEmbedder) -> None:
    texts = [RATES, RATES_REWORDED, FOOTBALL, ""]
    v1 = static.embed(texts)
    v2 = StaticEmbedder().embed(list(reversed(texts)))[::-1]
    assert np.array_equal(v1, v2)
    assert np.allclose(np.linalg.norm(v1[:3], axis=1), 1.0, atol=1e-5)
    assert not v1[3].any()  # no token, no vector


def test_kept_vectors_are_bounded_and_change_nothing(static: StaticEmbedder) -> None:
    """A static embedder keeps the latest ``kept`` sentence vectors, not every one it met (a worker's
    memory does not grow with the corpus); a vector made again after it was dropped is the same, and a
    text repeated within one call gets the same row."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    sents = sorted({s.strip() for t in texts for s in t.split(". ") if len(s.split()) > 4})
    assert len(sents) > 60
    small = StaticEmbedder(kept=40)
    small._table = static.table  # the same table, without loading it twice
    got = np.vstack([small.embed(sents[i : i + 7] + sents[i : i + 1]) for i in range(0, len(sents), 7)])
    assert len(small.cache) <= 40
    fresh = np.vstack([static.embed(sents[i : i + 7] + sents[i : i + 1]) for i in range(0, len(sents), 7)])
    assert np.array_equal(got, fresh)
    again = small.embed(sents[:7])  # dropped long ago: made again, the same vectors
    assert np.array_equal(again, fresh[:7])


def test_reworded_sentence_is_closer_than_an_unrelated_one(static: StaticEmbedder) -> None:
    v = static.embed([RATES, RATES_REWORDED, FOOTBALL])
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.3


def test_frequent_tokens_weigh_less() -> None:
    w = sif_weights(30522)
    assert w[1996] < 0.05 < 0.9 < w[20000]  # "the" against a rare word
    assert np.all(np.diff(w[1996:]) >= 0)


def _sample(names: list[str]) -> tuple[list[Document], dict]:
    docs = [Document(n, (CORPUS / f"{n}.txt").read_text(encoding="utf-8"), n, "text") for n in names]
    return docs, {d.id: clean(d, CleanConfig()) for d in docs}


def test_embedding_path_is_recorded_and_order_free(static: StaticEmbedder) -> None:
    names = ["portstrike_origin_meridian", "portstrike_spin_dailyglimpse", "ferryorder_singleton_shippingjournal",
             "recall_report_brannockcourier", "flood_report_tollbridgeobserver"]
    docs, cl = _sample(names)
    vectors = dict(zip(names, static.embed([body_text(d, cl[d.id]) for d in docs]), strict=True))
    # The names and anchor paths find the synonym spin (shared names, a few shared 5-grams); with them
    # off, only the embedding path does.
    cfg = dataclasses.replace(CandidateConfig(), min_names=10_000, min_anchors=10_000, embedding_k=1)
    index = CandidateIndex(cfg)
    index.insert_many(sketch_batch(docs, cl))
    lexical = candidate_pairs(index, names)
    found = candidate_pairs(index, names, vectors)
    key = ("portstrike_origin_meridian", "portstrike_spin_dailyglimpse")
    assert key not in lexical
    assert found[key] == {"embedding"}
    assert all(w == {"embedding"} for w in found.values())  # k=1: each document's nearest only
    shuffled = dict(random.Random(3).sample(list(vectors.items()), len(vectors)))
    assert embedding_pairs(shuffled, reversed(names), 1, 0.9, 50_000) == embedding_pairs(vectors, names, 1, 0.9, 50_000)
    off = CandidateIndex(dataclasses.replace(cfg, embedding=False))
    off.insert_many(sketch_batch(docs, cl))
    assert candidate_pairs(off, names, vectors) == lexical


def test_hnsw_agrees_with_exact_search_on_separated_points() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 64))
    pts = np.repeat(centres, 3, axis=0) + rng.normal(scale=0.05, size=(120, 64))
    pts = (pts / np.linalg.norm(pts, axis=1, keepdims=True)).astype(np.float32)
    q = np.arange(120)
    exact = nearest(pts, q, 2, 0.5, exact_max_docs=1000)
    approx = nearest(pts, q, 2, 0.5, exact_max_docs=0)  # faiss HNSW
    assert [{j for j, _ in r} for r in exact] == [{j for j, _ in r} for r in approx]
    assert all({j // 3 for j, _ in r} == {i // 3} for i, r in enumerate(exact))


def test_exact_search_is_the_sorted_definition_with_ties_by_row() -> None:
    """The exact search gives, for each query, the ``k`` best other rows over the floor, ties by row
    index, as sorting every cosine would: on points with exact duplicates (tied cosines, as templated
    briefs' identical vectors are) and clusters larger than ``k`` (rows with many over the floor)."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(30, 32))
    pts = np.repeat(centres, rng.integers(1, 20, size=30), axis=0)
    pts[::4] += rng.normal(scale=0.08, size=pts[::4].shape)  # three of four rows exact duplicates of their centre
    pts = (pts / np.linalg.norm(pts, axis=1, keepdims=True)).astype(np.float32)
    q = np.arange(0, len(pts), 3)
    # The cosines of the product the search makes (one block of queries): BLAS may give a cosine other
    # last bits in another product on some CPUs, which would move ties, not the definition.
    sims = pts[q] @ pts.T
    for k, floor in ((5, 0.9), (3, 0.0), (1, -1.0), (40, 0.5)):
        want = []
        for r, i in enumerate(q.tolist()):
            row = sorted((-float(sims[r, j]), j) for j in range(len(pts)) if j != i and sims[r, j] >= floor)
            want.append([(j, -v) for v, j in row[:k]])
        assert nearest(pts, q, k, floor, exact_max_docs=10_000) == want


def test_heavy_rewrites_found_only_by_the_embedding_path(static: StaticEmbedder) -> None:
    """Clough & Stevenson: answers that rewrite their source heavily share few word 5-grams; the
    embedding path proposes some of those pairs that no lexical path does."""
    root = need(DATA / "clough-stevenson")
    rows = list(csv.DictReader((root / "file_information.csv").open(encoding="utf-8")))

    def read(name: str) -> str:
        raw = (root / name).read_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252")

    heavy = [r for r in rows if r["Category"] == "heavy"]
    tasks = sorted({r["Task"] for r in heavy})
    texts = {r["File"]: read(r["File"]) for r in heavy} | {f"orig_task{t}": read(f"orig_task{t}.txt") for t in tasks}
    docs = [Document(i, t, i, "text") for i, t in sorted(texts.items())]
    cl = {d.id: clean(d, CleanConfig()) for d in docs}
    index = CandidateIndex(CandidateConfig())
    index.insert_many(sketch_batch(docs, cl))
    vectors = dict(zip(sorted(texts), static.embed([body_text(d, cl[d.id]) for d in docs]), strict=True))
    found = candidate_pairs(index, sorted(texts), vectors)
    truth = {tuple(sorted((r["File"], f"orig_task{r['Task']}"))) for r in heavy}
    only_embedding = {k for k in truth if found.get(k) == {"embedding"}}
    assert only_embedding, "no heavy rewrite was found by the embedding path alone"
    assert len({k for k in truth if k in found}) > len({k for k in truth if found.get(k, set()) - {"embedding"}})
