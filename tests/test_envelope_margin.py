"""The static envelope at the calibration's maxima (``AlignConfig(envelope_margin=0)``, an option: the
default keeps the fitted 0.05, as the tight one lost a true paraphrase on Reuters + BBC): where it settles a
sentence pair or a split neighbour that the fitted envelope (0.05 above those maxima) left to MiniLM,
MiniLM itself says no match.

Real inputs from ../shared (skipped with a message when absent): MRPC sentence pairs (a corpus the
envelope was not fitted on: news sentences written apart, half of them paraphrases), and the sentences of
BBC articles against those of their nearest article by static vector (as the embedding path pairs them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.requirements import need_path

from wiretrace.align import AlignConfig, cascade_bounds, semantic_bounds, sentence_profile
from wiretrace.align.features import paraphrase_decision
from wiretrace.align.semantic import sentence_settled
from wiretrace.embed.minilm import Embedder
from wiretrace.errors import ConfigError
from wiretrace.text.tokens import sentences

_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def test_the_margin_shifts_the_fitted_envelope() -> None:
    fitted = semantic_bounds()
    assert fitted.envelope_margin == 0.05
    assert cascade_bounds(AlignConfig()) == fitted
    tight = cascade_bounds(AlignConfig(envelope_margin=0.0))
    assert tight is not None and tight.envelope_margin == 0.0
    for (e, u), (e2, u2) in zip(fitted.envelope, tight.envelope, strict=True):
        assert e == e2
        assert u2 == (1.0 if u >= 1.0 else round(u - 0.05, 4))
    with pytest.raises(ConfigError, match="envelope_margin"):
        AlignConfig(envelope_margin=-0.01)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def test_mrpc_pairs_the_tight_envelope_settles_are_no_match(embedder: Embedder) -> None:
    """Of 600 MRPC pairs, those settled as no match by the tight envelope only: MiniLM's cosine and the
    paraphrase model refuse each too (the verdict the shortcut stands in for)."""
    path = need_path(_DATA.resolve() / "mrpc" / "msr_paraphrase_train.txt", "the envelope tests read MRPC from ../shared")
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8-sig").splitlines()[1:601]]
    a, b = [r[3] for r in rows], [r[4] for r in rows]
    static = np.einsum("ij,ij->i", embedder.static.embed(a), embedder.static.embed(b))
    minilm = np.einsum("ij,ij->i", embedder.embed(a), embedder.embed(b)).astype(np.float32)
    config = AlignConfig(envelope_margin=0.0)
    tight, fitted = cascade_bounds(config), semantic_bounds()
    assert tight is not None
    fired = 0
    for k in range(len(rows)):
        pa, pb = sentence_profile(a[k]), sentence_profile(b[k])
        if sentence_settled(pa, pb, float(static[k]), config, tight) and not sentence_settled(pa, pb, float(static[k]), config, fitted):
            fired += 1
            assert paraphrase_decision(pa, pb, float(minilm[k]), config) is None, (a[k], b[k], float(minilm[k]))
    assert fired >= 5, fired


def test_bbc_sentence_pairs_and_split_neighbours_the_tight_envelope_settles(embedder: Embedder) -> None:
    """BBC articles against their nearest article: every sentence pair the tight envelope settles and
    the fitted one did not is refused by MiniLM and the model; every pair whose tight bound is under
    split_cos (a split neighbour never read) has a MiniLM cosine under it."""
    path = need_path(_DATA.resolve() / "bbc-news" / "bbc_docs.jsonl", "the envelope tests read BBC articles from ../shared")
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()][:240]
    docs = embedder.static.embed(texts)
    config = AlignConfig(envelope_margin=0.0)
    tight, fitted = cascade_bounds(config), semantic_bounds()
    assert tight is not None
    fired = split_fired = 0
    for i in range(0, 240, 10):
        near = docs @ docs[i]
        near[i] = -2.0
        j = int(np.argmax(near))
        sa = [texts[i][s:e] for s, e in sentences(texts[i]) if len(texts[i][s:e].split()) >= 4]
        sb = [texts[j][s:e] for s, e in sentences(texts[j]) if len(texts[j][s:e].split()) >= 4]
        static = embedder.static.embed(sa) @ embedder.static.embed(sb).T
        minilm = (embedder.embed(sa) @ embedder.embed(sb).T).astype(np.float32)
        pa, pb = [sentence_profile(s) for s in sa], [sentence_profile(s) for s in sb]
        for x in range(len(sa)):
            for y in range(len(sb)):
                st = float(static[x, y])
                if st < tight.sentence_below:
                    continue
                if tight.sentence_bound(st) < config.split_cos <= fitted.sentence_bound(st):
                    split_fired += 1
                    assert minilm[x, y] < config.split_cos, (sa[x], sb[y], float(minilm[x, y]))
                if sentence_settled(pa[x], pb[y], st, config, tight) and not sentence_settled(pa[x], pb[y], st, config, fitted):
                    fired += 1
                    assert paraphrase_decision(pa[x], pb[y], float(minilm[x, y]), config) is None, (sa[x], sb[y])
    assert fired >= 5, fired
    assert split_fired >= 20, split_fired
    print(f"tight envelope settled {fired} sentence pairs and {split_fired} split neighbours the fitted one left open")
