"""The sentence paraphrase decision: what it reads of a sentence, its features, and its model.

A small logistic model over the MiniLM cosine and cheap lexical agreement (word n-gram overlap both
ways, content words left unmatched on each side, numbers shared and differing, names, negation on one
side only, the first and last words), fitted on the MRPC train split by ``bench/calibrate.py``. The
model is data: ``wiretrace/align/data/paraphrase.json`` holds its bias and weights under a meta block
(format version, feature names in order, training data and the hash of its split, the cross-validated
scores, and ``short_p``, the threshold ``compare`` uses on short texts) and, under ``short``, the
short-text model's bias and weights (``PARAPHRASE_FEATURES`` then ``SHORT_FEATURES``), written by
``bench/calibrate.py --part align --write`` and read here with ``importlib.resources``. A missing
file, another format version, or feature names other than ``PARAPHRASE_FEATURES`` (what
``paraphrase_features`` computes) is a DataFileError, never a fallback.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import numpy as np

from wiretrace.align.config import AlignConfig
from wiretrace.errors import DataFileError
from wiretrace.text.names import STOP
from wiretrace.text.tokens import words

_NUMBER = re.compile(r"\d")
_NEGATION = frozenset(("not", "no", "never", "nor", "neither", "without", "none", "nothing", "cannot", "nobody"))
# The model's inputs, in the order ``paraphrase_features`` returns them; the data file must name
# the same features in the same order.
PARAPHRASE_FEATURES = (
    "cos", "cos2", "cos_x_jaccard", "jaccard", "content_jaccard",
    "p1", "p2", "p3", "p4", "m1", "m2", "m3", "m4",
    "unmatched_max", "unmatched_min", "unmatched_log", "number_mismatch", "name_mismatch", "length_ratio",
    "char3_jaccard", "stem_jaccard", "sequence_ratio",
    # numbers (figures, dates) agreeing and differing, as separate signals
    "numbers_shared", "numbers_differ", "numbers_disjoint", "numbers_unmatched_log", "numbers_one_side",
    "negation_mismatch", "first_token_same", "last_token_same", "length_gap_log",
    "unmatched_more_log", "unmatched_fewer_log", "names_shared_log",
)
# The short-text model (``compare`` on one to three sentences a side) reads three inputs more, after
# ``PARAPHRASE_FEATURES``: the MiniLM cosine between what each side writes that the other does not (its
# ``residue``: the content words whose 5-letter stem the other side lacks), and of each residue with the
# other whole text (the lower and the higher of the two). Words one side adds that say the other side's
# content in other words keep these high; a clause of new content (the commonest reason two close
# sentences are not paraphrases) lowers them. They cost two more vectors a pair: affordable on the two
# texts of ``compare``, not on every candidate sentence pair the aligner weighs in documents.
SHORT_FEATURES = ("residue_cos", "residue_cross_min", "residue_cross_max")
PARAPHRASE_FILE = "paraphrase.json"  # in wiretrace/align/data/
PARAPHRASE_FORMAT = 3  # the layout of that file this code reads (2: meta.scores.short_p added; 3: the short-text model)
_FIX = "reinstall wiretrace, or rerun `bench/calibrate.py --part align --write` to write the file"


@dataclass(frozen=True, slots=True)
class ParaphraseModel:
    """``p = 1 / (1 + exp(-(bias + weights . features)))``, weights in ``PARAPHRASE_FEATURES`` order."""

    bias: float
    weights: tuple[float, ...]
    meta: dict  # the file's meta block, as written (training data, split hash, scores)
    short_p: float  # the short-text model's probability that decides two short texts in ``compare`` (meta.scores.short_p)
    short_bias: float = 0.0  # the short-text model: bias, and weights in PARAPHRASE_FEATURES + SHORT_FEATURES order
    short_weights: tuple[float, ...] = ()

    def weight(self, feature: str) -> float:
        return self.weights[PARAPHRASE_FEATURES.index(feature)]


MODEL_ENV = "WIRETRACE_PARAPHRASE_MODEL"


def paraphrase_data_file() -> Path | Traversable:
    """Where the model lies: inside the installed package, or the file ``$WIRETRACE_PARAPHRASE_MODEL``
    names (a model refitted elsewhere, e.g. on four folds by ``bench/mrpc_eval.py``, which scores
    ``compare()`` on the fifth); it is checked as the shipped one is."""
    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    return resources.files("wiretrace.align").joinpath("data", PARAPHRASE_FILE)


def load_paraphrase_model(path: Path | Traversable) -> ParaphraseModel:
    """The model in ``path``, checked against this code: DataFileError naming the file and the fix when
    it is missing or unreadable, of another format version, or for other features."""

    def bad(expected: str) -> DataFileError:
        return DataFileError(str(path), f"the paraphrase model file must be {expected}", _FIX)

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise bad("the file to exist (it is missing)") from e
    except (OSError, ValueError) as e:
        raise bad(f"a readable JSON file ({e})") from e
    meta = doc.get("meta") if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        raise bad("a JSON object with a 'meta' block")
    if meta.get("format") != PARAPHRASE_FORMAT:
        raise bad(f"format version {PARAPHRASE_FORMAT}, found {meta.get('format')!r}")
    if meta.get("features") != list(PARAPHRASE_FEATURES):
        raise bad(f"the features this code computes, in order {list(PARAPHRASE_FEATURES)}, found {meta.get('features')!r}")
    scores = meta.get("scores")
    short_p = scores.get("short_p") if isinstance(scores, dict) else None
    if not isinstance(short_p, (int, float)) or isinstance(short_p, bool) or not 0.0 < short_p < 1.0:
        raise bad(f"a 'meta.scores.short_p' probability in (0, 1) (the short-text threshold), found {short_p!r}")
    weights = doc.get("weights")
    if not isinstance(weights, dict) or list(weights) != list(PARAPHRASE_FEATURES):
        raise bad("'weights' with one weight per feature, in the order of meta.features")
    short = doc.get("short")
    short_names = list(PARAPHRASE_FEATURES + SHORT_FEATURES)
    if not isinstance(short, dict) or not isinstance(short.get("weights"), dict) or list(short["weights"]) != short_names:
        raise bad(f"a 'short' block (the short-text model) with 'bias' and 'weights' for {short_names}, in order")
    try:
        return ParaphraseModel(
            bias=float(doc["bias"]), weights=tuple(float(weights[f]) for f in PARAPHRASE_FEATURES), meta=meta,
            short_p=float(short_p), short_bias=float(short["bias"]),
            short_weights=tuple(float(short["weights"][f]) for f in short_names),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise bad(f"a number for 'bias' and for every weight ({e!r})") from e


@cache
def paraphrase_model() -> ParaphraseModel:
    """The model shipped with the package, or the one ``$WIRETRACE_PARAPHRASE_MODEL`` names (read
    once: ``paraphrase_model.cache_clear()`` after changing the variable)."""
    return load_paraphrase_model(paraphrase_data_file())


@dataclass(frozen=True, slots=True)
class SentenceProfile:
    """What the paraphrase decision reads of one sentence besides its vector."""

    tokens: tuple[str, ...]
    grams: tuple[frozenset[tuple[str, ...]], ...]  # word 1- to 4-grams
    content: frozenset[str]  # words other than stop words
    numbers: frozenset[str]
    names: frozenset[str]  # capitalised words after the first
    n_words: int
    chars: frozenset[str]  # character 3-grams of the normalised words
    stems: frozenset[str]  # words cut to 5 letters ("closure" and "closed" differ, "protesters" and "protests" not)
    negated: bool  # writes a negation ("not", "never", "n't", ...)


def sentence_profile(text: str, start: int = 0, end: int | None = None) -> SentenceProfile:
    w = words(text, start, end)
    toks = w.tokens
    grams = tuple(frozenset(zip(*(toks[i:] for i in range(n)), strict=False)) for n in range(1, 5))
    flat = " ".join(toks)
    return SentenceProfile(
        tokens=toks,
        grams=grams,
        content=frozenset(t for t in toks if t not in STOP),
        numbers=frozenset(t for t in toks if _NUMBER.search(t)),
        names=frozenset(t for i, (t, s) in enumerate(zip(toks, w.starts, strict=True)) if i and text[s].isupper()),
        n_words=len(toks),
        chars=frozenset(flat[i : i + 3] for i in range(len(flat) - 2)),
        stems=frozenset(t[:5] for t in toks),
        negated=any(t in _NEGATION or t.endswith("n't") for t in toks),
    )


def _share(x: frozenset, y: frozenset) -> float:
    return len(x & y) / len(x) if x else 0.0


def _mismatch(x: frozenset, y: frozenset) -> float:
    """``len(x ^ y) / len(x | y)``, from one intersection."""
    i = len(x & y)
    u = len(x) + len(y) - i
    return (u - i) / u if u else 0.0


def _names_missing(pa: SentenceProfile, pb: SentenceProfile) -> float:
    """Share of the names either side gives that the other never writes (capitalised or not)."""
    both = pa.names | pb.names
    return (len(pa.names - pb.content) + len(pb.names - pa.content)) / len(both) if both else 0.0


def paraphrase_features(pa: SentenceProfile, pb: SentenceProfile, cos: float, sequence: float | None = None) -> tuple[float, ...]:
    """The model's inputs for one sentence pair, in ``PARAPHRASE_FEATURES`` order (``sequence``: the
    value to use for ``sequence_ratio`` instead of running the matcher)."""
    ua, ub = pa.grams[0], pb.grams[0]
    jac = len(ua & ub) / max(len(ua | ub), 1)
    fwd = [_share(pa.grams[n], pb.grams[n]) for n in range(4)]
    bwd = [_share(pb.grams[n], pa.grams[n]) for n in range(4)]
    left_a, left_b = 1.0 - _share(pa.content, pb.content), 1.0 - _share(pb.content, pa.content)
    return (
        cos, cos * cos, cos * jac, jac, 1.0 - _mismatch(pa.content, pb.content),
        *((f + b) / 2 for f, b in zip(fwd, bwd, strict=True)), *(min(f, b) for f, b in zip(fwd, bwd, strict=True)),
        max(left_a, left_b), min(left_a, left_b), math.log1p(len(pa.content ^ pb.content)),
        _mismatch(pa.numbers, pb.numbers), _names_missing(pa, pb),
        min(pa.n_words, pb.n_words) / max(pa.n_words, pb.n_words, 1),
        1.0 - _mismatch(pa.chars, pb.chars), 1.0 - _mismatch(pa.stems, pb.stems),
        SequenceMatcher(None, pa.tokens, pb.tokens, autojunk=False).ratio() if sequence is None else sequence,
        *_agreement(pa, pb),
    )


def _agreement(pa: SentenceProfile, pb: SentenceProfile) -> tuple[float, ...]:
    """The features after ``sequence_ratio``: numbers agreeing and differing, negation, the ends, the
    length gap, content words left unmatched on each side, names shared."""
    na, nb = pa.numbers, pb.numbers
    shared, unmatched = len(na & nb), len(na ^ nb)
    left_a, left_b = len(pa.content - pb.content), len(pb.content - pa.content)
    return (
        float(shared > 0), float(unmatched > 0), float(bool(na) and bool(nb) and not shared), math.log1p(unmatched),
        float(bool(na) != bool(nb)),
        float(pa.negated != pb.negated), float(pa.tokens[:1] == pb.tokens[:1]), float(pa.tokens[-1:] == pb.tokens[-1:]),
        math.log1p(abs(pa.n_words - pb.n_words)),
        math.log1p(max(left_a, left_b)), math.log1p(min(left_a, left_b)), math.log1p(len(pa.names & pb.names)),
    )


def sequence_bound(pa: SentenceProfile, pb: SentenceProfile) -> float:
    """An upper bound on the matcher's ratio ``2 M / (len a + len b)``: the matched tokens ``M`` are at
    most the tokens of either side whose word the other side has."""
    n = len(pa.tokens) + len(pb.tokens)
    if not n:
        return 0.0
    ua, ub = pa.grams[0], pb.grams[0]
    in_b = sum(1 for t in pa.tokens if (t,) in ub)
    in_a = sum(1 for t in pb.tokens if (t,) in ua)
    return 2.0 * min(in_a, in_b) / n


def paraphrase_probability(pa: SentenceProfile, pb: SentenceProfile, cos: float, sequence: float | None = None) -> float:
    """The model's probability that two sentences say the same thing (``sequence``: see
    ``paraphrase_features``)."""
    model = paraphrase_model()
    z = model.bias + sum(w * x for w, x in zip(model.weights, paraphrase_features(pa, pb, cos, sequence), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def paraphrase_decision(pa: SentenceProfile, pb: SentenceProfile, cos: float, config: AlignConfig) -> float | None:
    """The semantic pass's verdict on one sentence pair: its match score, or None for no match.

    A pair needs the cosine floor ``paraphrase_cos``; then the model's probability must reach
    ``paraphrase_p`` (the score is that probability), or, with the model off, the cosine decides."""
    if cos < config.paraphrase_cos:
        return None
    if config.paraphrase_p <= 0.0:
        return cos
    p = paraphrase_probability(pa, pb, cos)
    return p if p >= config.paraphrase_p else None


def residue(text: str, start: int, end: int, other: SentenceProfile) -> str:
    """What ``text[start:end]`` writes that ``other`` does not: its content words (stop words left out)
    whose 5-letter stem ``other`` lacks, in order, joined by spaces ("" when there are none)."""
    w = words(text, start, end)
    return " ".join(text[s : s + len(t)] for t, s in zip(w.tokens, w.starts, strict=True) if t not in STOP and t[:5] not in other.stems)


def residue_features(
    vec_a: np.ndarray, vec_b: np.ndarray, res_a: np.ndarray | None, res_b: np.ndarray | None,
) -> tuple[float, float, float]:
    """``SHORT_FEATURES`` from unit vectors: the two texts', and their residues' (None for an empty
    residue). Two empty residues agree (1.0), an empty one against another does not (0.0); an empty
    residue adds nothing to its side (1.0 against the other text)."""
    both = float(res_a @ res_b) if res_a is not None and res_b is not None else float(res_a is None and res_b is None)
    cross_a = float(res_a @ vec_b) if res_a is not None else 1.0
    cross_b = float(res_b @ vec_a) if res_b is not None else 1.0
    return both, min(cross_a, cross_b), max(cross_a, cross_b)


def short_probability(pa: SentenceProfile, pb: SentenceProfile, cos: float, residues: tuple[float, float, float]) -> float:
    """The short-text model's probability that two short texts say the same thing (``residues``: the
    ``SHORT_FEATURES`` of ``residue_features``)."""
    model = paraphrase_model()
    x = (*paraphrase_features(pa, pb, cos), *residues)
    z = model.short_bias + sum(w * v for w, v in zip(model.short_weights, x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
