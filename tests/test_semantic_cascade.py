"""The semantic cascade: the static first pass settles what it can, with the transformer's decisions.

Real inputs: BBC News articles from ../shared (skipped with a message when absent), paired as the
embedding candidate path pairs them (nearest by static body vector)."""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import numpy as np
import pytest
from tests.requirements import need_path

from wiretrace.align import (
    AlignConfig,
    paraphrase_model,
    semantic_bounds,
    sentence_profile,
    sentence_settled,
)
from wiretrace.clean import clean
from wiretrace.embed.minilm import Embedder
from wiretrace.embed.static import StaticEmbedder
from wiretrace.engine.pipeline import RunConfig, compare
from wiretrace.errors import ModelError
from wiretrace.model import Document
from wiretrace.relate.pair import RelateConfig
from wiretrace.stages import Prepared, alignment, cosine_decides, prepare, relate_pair
from wiretrace.text.topic import cosine


class _Reads(MutableMapping[int, np.ndarray]):
    """An embedding cache that records which sentence keys were read (what the aligner needed)."""

    def __init__(self, inner: dict[int, np.ndarray]) -> None:
        self.inner, self.read, self.written = inner, set(), 0

    def __getitem__(self, k: int) -> np.ndarray:
        self.read.add(k)
        return self.inner[k]

    def __setitem__(self, k: int, v: np.ndarray) -> None:
        self.written += 1
        self.inner[k] = v

    def __delitem__(self, k: int) -> None:
        del self.inner[k]

    def __contains__(self, k: object) -> bool:
        return k in self.inner

    def __iter__(self) -> Iterator[int]:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)


def _bbc_texts(data_dir: Path, categories: tuple[str, ...], n: int) -> tuple[list[str], np.ndarray]:
    """The first ``n`` BBC articles of ``categories`` (from ../shared) and their static vectors."""
    path = data_dir / "bbc-news" / "bbc_docs.jsonl"
    need_path(path, "the cascade test reads real BBC articles from ../shared")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows if r["category"] in categories][:n]
    return texts, StaticEmbedder().embed(texts)


@pytest.fixture(scope="module")
def bbc_pairs(data_dir: Path) -> list[tuple[str, str]]:
    texts, vecs = _bbc_texts(data_dir, ("business", "politics"), 400)
    pairs: list[tuple[int, int]] = []
    for i in range(0, 400, 25):  # sixteen documents, each with its nearest other document
        sims = vecs @ vecs[i]
        sims[i] = -2.0
        j = int(np.argmax(sims))
        if (min(i, j), max(i, j)) not in pairs and texts[i] != texts[j]:
            pairs.append((min(i, j), max(i, j)))
    return [(texts[i], texts[j]) for i, j in pairs]


def test_cascade_gives_the_transformers_relations_and_passages(bbc_pairs: list[tuple[str, str]]) -> None:
    rc = RelateConfig()
    full = RunConfig(align=AlignConfig(cascade=False))
    cascade = RunConfig(align=AlignConfig(cascade=True))
    vectors: dict[int, np.ndarray] = {}
    needed_full, needed_cascade = 0, 0
    for text_a, text_b in bbc_pairs:
        # The full path first fills the cache: the cascade then reads the very same vectors, and what
        # it reads is what it needed.
        reads_full = _Reads(vectors)
        want = compare(text_a, text_b, full, Embedder(cache=reads_full))
        reads = _Reads(vectors)
        got = compare(text_a, text_b, cascade, Embedder(cache=reads))
        assert reads.written == 0
        assert got.relation == want.relation
        assert got.passages == want.passages
        assert (got.scores.a_covered, got.scores.b_covered) == (want.scores.a_covered, want.scores.b_covered)
        if got.scores.semantic != want.scores.semantic:  # settled by the static vectors: the same side
            w = want.scores.semantic
            assert w is not None
            # compare()'s texts are undated: same_story_cos decides (far_same_story_cos does not).
            if got.scores.semantic is None:
                # Not measured: below the threshold, or names in common decide (``cosine_decides``).
                a, b = _prepared("a", text_a, full), _prepared("b", text_b, full)
                topic = cosine(a.sketch.topic, b.sketch.topic, None)
                assert w < rc.same_story_cos or not cosine_decides(a, b, topic, False, rc)
            else:
                assert (got.scores.semantic >= rc.same_story_cos) == (w >= rc.same_story_cos)
        needed_full += len(reads_full.read)
        needed_cascade += len(reads.read)
    assert needed_cascade < needed_full, (needed_cascade, needed_full)


def test_bounds_file_loads_and_fits_the_defaults() -> None:
    b = semantic_bounds()
    assert b.fitted
    assert b.usable(AlignConfig())
    assert not b.usable(AlignConfig(paraphrase_cos=0.3, split_cos=0.3))  # a floor lower than fitted for
    assert b.lead_below < b.lead_above and b.doc_below < b.doc_above and b.far_below < b.far_above
    assert b.doc_threshold == RelateConfig().same_story_cos and b.far_threshold == RelateConfig().far_same_story_cos
    tops = [u for _, u in b.envelope]
    assert tops == sorted(tops)
    assert b.doc(min(b.doc_below, b.far_below) - 0.01) == (True, None)
    assert b.doc((b.doc_below + b.doc_above) / 2) == (False, None)
    settled, cos = b.doc(b.doc_above + 0.001, far=False)  # undated or close in time: same_story_cos decides
    assert settled and cos is not None and cos >= b.doc_threshold
    # Dates unknown: both thresholds must be settled, and the reported cosine stays on each one's side.
    assert b.doc((max(b.far_below, b.doc_above) + b.far_above) / 2) == (False, None)
    settled, cos = b.doc(b.far_above + 0.001)
    assert settled and cos is not None and cos >= b.far_threshold
    settled, cos = b.doc(b.far_above + 0.001, far=True)  # dated apart: only far_same_story_cos decides
    assert settled and cos is not None and cos >= b.far_threshold
    assert b.doc(b.far_below - 0.001, far=True) == (True, None)


def test_the_paraphrase_model_grows_with_the_cosine() -> None:
    """``sentence_settled`` asks the model at the largest cosine the static one allows: valid only
    while the probability grows with the cosine on [0, 1] for every lexical agreement."""
    w = paraphrase_model().weight
    slope = min(w("cos") + 2 * w("cos2") * c + w("cos_x_jaccard") * j for c in (0.0, 1.0) for j in (0.0, 1.0))
    assert slope > 0.0


def test_sentence_pairs_settled_only_when_far_apart(bbc_pairs: list[tuple[str, str]]) -> None:
    b, config = semantic_bounds(), AlignConfig()
    static = StaticEmbedder()
    first = bbc_pairs[0][0].split("\n\n")[1].split(". ")[0] + "."
    other = bbc_pairs[-1][1].split("\n\n")[-1].split(". ")[0] + "."
    edited = first.replace(" the ", " a ", 1)
    x = static.embed([first, other, edited])
    pa, pc, pe = (sentence_profile(t) for t in (first, other, edited))
    assert sentence_settled(pa, pc, float(x[0] @ x[1]), config, b)
    assert not sentence_settled(pa, pe, float(x[0] @ x[2]), config, b)


def test_embedder_threads_and_device() -> None:
    with pytest.raises(ModelError, match="threads"):
        Embedder(threads=0)
    with pytest.raises(ModelError, match="device"):
        Embedder(device="tpu")
    text = ["The central bank raised interest rates by a quarter of a point on Thursday."]
    one = Embedder(threads=1, device="cpu", precision="float32")
    v1 = one.embed(text)
    assert one.providers == ["CPUExecutionProvider"]
    v2 = Embedder(precision="float32").embed(text)
    assert np.allclose(v1, v2, atol=1e-4)
    auto = Embedder(device="cpu")  # bfloat16 through OpenVINO where native: within bfloat16's rounding
    assert np.allclose(v1, auto.embed(text), atol=3e-3)
    assert auto.providers == (["OpenVINO CPU bf16"] if auto.precision == "bf16" else ["CPUExecutionProvider"])


def _prepared(name: str, text: str, config: RunConfig) -> Prepared:
    doc = Document(name, text, f"<{name}>", "text")
    cl = clean(doc, config.clean)
    _, sk, cu = prepare(doc, cl, config)
    return Prepared(doc, cl, sk, cu)


@pytest.fixture(scope="module")
def bbc_named_pairs(data_dir: Path) -> list[tuple[Prepared, Prepared]]:
    """BBC reports paired with their nearest by static body vector (as the embedding candidate path
    pairs them; copies left out), where the names the two share already make the pair same_story
    (``stages.cosine_decides`` is False): the pairs the rule serves."""
    texts, vecs = _bbc_texts(data_dir, ("politics", "business"), 600)
    config, rc = RunConfig(), RelateConfig()
    out: list[tuple[Prepared, Prepared]] = []
    seen: set[tuple[int, int]] = set()
    for i in range(0, len(texts), 9):
        sims = vecs @ vecs[i]
        sims[i] = -2.0
        for j in np.argsort(-sims)[:5].tolist():
            if sims[j] >= 0.97 or (min(i, j), max(i, j)) in seen:
                continue
            seen.add((min(i, j), max(i, j)))
            a, b = _prepared(f"d{i}", texts[i], config), _prepared(f"d{j}", texts[j], config)
            topic = cosine(a.sketch.topic, b.sketch.topic, None)
            if topic >= config.align.topic_cos and not cosine_decides(a, b, topic, False, rc):
                out.append((a, b))
                break
        if len(out) == 12:
            break
    return out


def test_an_unneeded_document_cosine_is_not_measured(bbc_named_pairs: list[tuple[Prepared, Prepared]]) -> None:
    """Where names in common make the pair same_story, the cascade leaves open document cosines (and
    lead tests that cannot change a passage) unmeasured: the full path's relation and passages, fewer
    sentences read."""
    assert len(bbc_named_pairs) >= 6, "too few BBC pairs whose names decide: the data changed"
    full = RunConfig(align=AlignConfig(cascade=False))
    cascade = RunConfig()
    vectors: dict[int, np.ndarray] = {}
    needed_full, needed_plain, needed_rule = 0, 0, 0
    for a, b in bbc_named_pairs:
        reads_full = _Reads(vectors)
        want = relate_pair(a, b, None, full, Embedder(cache=reads_full))
        # The cascade without the rule (no topic given: the document cosine is measured where open) ...
        reads_plain = _Reads(vectors)
        plain = alignment(a, b, cascade, Embedder(cache=reads_plain))
        # The trace reads the passages alone: never the document cosine, the same passages.
        reads_trace = _Reads(vectors)
        trace = alignment(a, b, cascade, Embedder(cache=reads_trace), passages_only=True)
        assert trace.passages == plain.passages and reads_trace.read <= reads_plain.read
        # ... and with it, as relate_pair runs it.
        reads = _Reads(vectors)
        got = relate_pair(a, b, None, cascade, Embedder(cache=reads))
        assert reads.written == 0 and reads_plain.written == 0
        assert want is not None and got is not None
        assert got.relation == want.relation
        assert got.passages == want.passages
        assert (got.scores.a_covered, got.scores.b_covered) == (want.scores.a_covered, want.scores.b_covered)
        assert reads.read <= reads_plain.read
        needed_full += len(reads_full.read)
        needed_plain += len(reads_plain.read)
        needed_rule += len(reads.read)
    assert needed_rule < needed_plain < needed_full, (needed_rule, needed_plain, needed_full)


def test_cosine_decides_only_where_same_story_reads_it() -> None:
    config, rc = RunConfig(), RelateConfig()
    a = _prepared("a", "Tony Blair met Gordon Brown in London on Monday to talk about the budget plans.", config)
    b = _prepared("b", "Gordon Brown and Tony Blair talked in London about the budget on Monday night.", config)
    c = _prepared("c", "The match at Wembley ended in a draw after a late goal by the visiting side.", config)
    assert not cosine_decides(a, b, 0.9, False, rc)  # names in common already make it same_story
    assert cosine_decides(a, b, 0.9, True, rc)  # dated apart: only far_same_story_cos decides
    assert cosine_decides(a, c, 0.9, False, rc)  # no names in common: the cosine decides
    assert not cosine_decides(a, c, rc.same_story_topic / 2, False, rc)  # too far in topic for same_story


def test_an_open_document_cosine_reads_the_first_sentences_only(bbc_pairs: list[tuple[str, str]]) -> None:
    """Where the static vectors leave the document cosine open, the transformer reads the first
    ``AlignConfig.doc_sentences`` sentences of each side for it (and the sentence pairs no bound rules out), not
    every sentence: on real BBC neighbours, the same relations and passages as reading them all, the
    cosine on the same side of ``same_story_cos``, and fewer sentences read."""
    rc = RelateConfig()
    config = RunConfig()
    assert config.align.doc_sentences == config.align.lead  # the lead the lead test reads
    whole = RunConfig(align=AlignConfig(doc_sentences=10**6))
    vectors: dict[int, np.ndarray] = {}
    capped_pairs, read_all, read_capped = 0, 0, 0
    for text_a, text_b in bbc_pairs:
        reads_all = _Reads(vectors)
        want = compare(text_a, text_b, whole, Embedder(cache=reads_all))  # the whole texts, as before the cap
        reads = _Reads(vectors)
        got = compare(text_a, text_b, config, Embedder(cache=reads))
        assert got.relation == want.relation
        assert got.passages == want.passages
        if got.scores.semantic != want.scores.semantic:
            capped_pairs += 1
            assert got.scores.semantic is not None and want.scores.semantic is not None
            assert (got.scores.semantic >= rc.same_story_cos) == (want.scores.semantic >= rc.same_story_cos)
            assert abs(got.scores.semantic - want.scores.semantic) < 0.15
        assert reads.read <= reads_all.read
        read_all += len(reads_all.read)
        read_capped += len(reads.read)
    assert capped_pairs >= 1, "no BBC neighbour left its document cosine open past the cap: the data changed"
    assert read_capped < read_all, (read_capped, read_all)
