"""The trained block classifier: its model, its learned weights, and its verdict on each block.

Two stacked logistic regressions (``Model``: ``Linear`` stage 1 over a block and its neighbours,
stage 2 adding the stage-1 verdicts of the neighbourhood and of the page's core; optionally blended
with boosted ``Trees``) give every block p(body) (``verdicts``). Blocks of ``rules.HARD_KINDS`` keep
the rules' kind; for the rest the classifier's verdict stands, and a noise block keeps the kind the
rules named. Every verdict carries its reason: the rule, or p(body) and the features that pushed it
(``wiretrace explain``). The weights are the data files of ``clean/data`` (``weights``), loaded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from wiretrace.clean import weights
from wiretrace.clean.blocks import Block
from wiretrace.clean.features import BlockInfo, PageFeatures, stage2_features
from wiretrace.clean.rules import CORPUS_BOILERPLATE, HARD_KINDS
from wiretrace.errors import DataFileError
from wiretrace.model import BODY, NoiseKind


# --- the model -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Linear:
    """A small network over standardised features: ``z = (x - mean) / scale``; with hidden units
    ``sigmoid(tanh(z @ w1 + b1) @ w + b)``, without them a logistic regression ``sigmoid(z @ w + b)``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: float
    w1: np.ndarray | None = None  # (features, hidden)
    b1: np.ndarray | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Linear:
        names = tuple(str(n) for n in d["names"])
        w1 = np.asarray(d["w1"], dtype=float) if d.get("w1") is not None else None
        b1 = np.asarray(d["b1"], dtype=float) if d.get("b1") is not None else None
        return cls(
            names,
            np.asarray(d["mean"], dtype=float),
            np.asarray(d["scale"], dtype=float),
            np.asarray(d["w"], dtype=float),
            float(d["b"]),
            w1,
            b1,
        )

    def to_dict(self) -> dict[str, object]:
        def r(a: np.ndarray) -> object:
            return np.round(a.astype(float), 5).tolist()

        out: dict[str, object] = {"names": list(self.names), "mean": r(self.mean), "scale": r(self.scale), "w": r(self.w), "b": round(self.b, 6)}
        if self.w1 is not None and self.b1 is not None:
            out["w1"], out["b1"] = r(self.w1), r(self.b1)
        return out

    def _z(self, x: np.ndarray) -> np.ndarray:
        return np.asarray((x - self.mean) / self.scale)

    def logits(self, x: np.ndarray) -> np.ndarray:
        z = self._z(x)
        if self.w1 is not None and self.b1 is not None:
            z = np.tanh(z @ self.w1 + self.b1)
        return np.asarray(z @ self.w + self.b)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30))))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Each feature's push on each row's logit (gradient times input): what decided, for ``explain``."""
        z = self._z(x)
        if self.w1 is None or self.b1 is None:
            return np.asarray(z * self.w)
        h = np.tanh(z @ self.w1 + self.b1)
        grad = ((1 - h * h) * self.w) @ self.w1.T
        return np.asarray(z * grad)


@dataclass(frozen=True, slots=True)
class Trees:
    """Gradient-boosted regression trees over the raw features, as flat node arrays (numpy only at
    run time; bench/clean_train.py fits them with scikit-learn): ``logit = init + rate * sum of the
    leaf values each tree routes the row to``, a row going left where ``x[feature] <= threshold``.
    Trees see interactions a logistic regression cannot (a short line after the body's run, a
    quantity line inside it)."""

    names: tuple[str, ...]
    init: float
    rate: float
    roots: np.ndarray  # node index of each tree's root
    feature: np.ndarray  # per node; -1 at a leaf
    threshold: np.ndarray
    left: np.ndarray  # per node; a leaf points to itself
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Trees:
        def ints(k: str) -> np.ndarray:
            return np.asarray(d[k], dtype=np.int64)

        return cls(
            tuple(str(n) for n in d["names"]), float(d["init"]), float(d["rate"]), ints("roots"), ints("feature"),
            np.asarray(d["threshold"], dtype=float), ints("left"), ints("right"), np.asarray(d["value"], dtype=float),
            int(d["depth"]),
        )  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {
            "names": list(self.names), "init": round(self.init, 6), "rate": self.rate, "depth": self.depth,
            "roots": self.roots.tolist(), "feature": self.feature.tolist(), "left": self.left.tolist(),
            "right": self.right.tolist(), "threshold": np.round(self.threshold, 6).tolist(),
            "value": np.round(self.value, 6).tolist(),
        }  # fmt: skip

    def logits(self, x: np.ndarray) -> np.ndarray:
        rows = np.arange(len(x))
        node = np.broadcast_to(self.roots, (len(x), len(self.roots))).copy()  # (rows, trees)
        for _ in range(self.depth):
            f = self.feature[node]
            v = x[rows[:, None], np.maximum(f, 0)]
            nxt = np.where(v <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(f < 0, node, nxt)
        return np.asarray(self.init + self.rate * self.value[node].sum(axis=1))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30))))


@dataclass(frozen=True, slots=True)
class Model:
    """Two stacked logistic regressions: stage 1 reads a block and its neighbours, stage 2 adds the
    stage-1 verdicts of the neighbourhood and of the page's core. Stage 2 can be blended with boosted
    trees (``bench/clean_train.py --trees N``); the shipped weights have none: trees fitted the
    training pages and lost on held-out ones (bench/README.md, cleaning)."""

    stage1: Linear
    stage2: Linear
    threshold: float  # p(body) a block needs to be body
    rule_threshold: float  # ... when a wording rule named it noise (a byline, a teaser list...)
    trees: Trees | None = None  # boosted trees over the stage-2 features (plain text) ...
    blend: float = 0.0  # ... and their share of p(body)

    def stage2_p(self, x2: np.ndarray) -> np.ndarray:
        """p(body) from the stage-2 features: the logistic regression, blended with the trees."""
        p2 = self.stage2.predict(x2)
        if self.trees is None:
            return p2
        return np.asarray((1.0 - self.blend) * p2 + self.blend * self.trees.predict(x2))

@cache
def load_model(mode: str) -> Model:
    """The weights for ``mode`` ("html" or "text") in ``clean/data``, trained by ``bench/clean_train.py``."""
    path = weights.data_dir() / weights.model_file(mode)
    m, meta = weights.read_model(path, mode)
    if meta.get("lexicon_sha256") != weights.lexicon_digest(load_lexicon()):
        raise DataFileError(str(path), f"was trained with another lexicon than {weights.LEXICON_FILE}", weights.RETRAIN)
    stage1, stage2 = Linear.from_dict(m["stage1"]), Linear.from_dict(m["stage2"])
    threshold = float(m["threshold"])
    trees = Trees.from_dict(m["stage2_trees"]) if m.get("stage2_trees") else None
    if trees is not None and trees.names != stage2.names:
        raise DataFileError(str(path), f"its trees read other features than stage 2 ({mode})", weights.RETRAIN)
    return Model(stage1, stage2, threshold, float(m.get("rule_threshold", threshold)), trees, float(m.get("blend", 0.0)))


@cache
def load_lexicon() -> dict[str, float]:
    """Words and how much they lean to noise (< 0) or body (> 0), learned with the classifier."""
    lexicon, _ = weights.read_lexicon(weights.data_dir() / weights.LEXICON_FILE)
    return lexicon


@dataclass(slots=True)
class Analysis:
    """A document cut into blocks, with the rule pass's kinds and the classifier's features."""

    blocks: list[Block]
    mode: str  # "html" when the page came with markup hints, else "text"
    features: PageFeatures  # stage-1 features, one row per block (features.STAGE1)
    infos: list[BlockInfo]  # what the features were computed from


MIN_BODY_WORDS = 3  # a block this long that no wording rule named stays when nothing else is body


def verdicts(an: Analysis) -> np.ndarray:
    """Body or noise for every block the rules left open or named weakly, by the trained classifier.

    Blocks of ``HARD_KINDS`` (and lines a rule is sure of) stay as the rules say; every other block is body when the classifier's
    probability reaches the mode's threshold (``rule_threshold`` when a rule named it noise), else
    noise of the kind the rules named (``boilerplate`` when they named none). Returns p(body) per block.
    """
    model = load_model(an.mode)
    infos = an.infos
    for b in an.blocks:
        b.rule = b.kind
    x1 = an.features.x1
    p1 = model.stage1.predict(x1)
    x2 = np.hstack([x1, stage2_features(infos, an.features, p1, an.mode)])
    p2 = model.stage2_p(x2)
    contrib = model.stage2.contributions(x2)  # the logistic regression's, in words (the trees have none)
    open_rows = [i for i, b in enumerate(an.blocks) if not (b.kind in HARD_KINDS or b.sure)]
    thresholds = np.array([model.rule_threshold if an.blocks[i].kind else model.threshold for i in open_rows])
    is_body = p2[open_rows] >= thresholds
    whys = dict(zip(open_rows, _whys(model.stage2.names, x2[open_rows], contrib[open_rows], is_body), strict=True))
    for i, b in enumerate(an.blocks):
        if b.kind in HARD_KINDS or b.sure:
            b.kind = NoiseKind.BOILERPLATE if b.kind == CORPUS_BOILERPLATE else b.kind
            continue
        body = p2[i] >= (model.rule_threshold if b.kind else model.threshold)
        why = whys[i]
        if body:
            b.kind, b.reason = BODY, f"classifier p(body)={p2[i]:.2f}: {why}"
        else:
            rule = f"{b.reason}; " if b.kind else ""
            b.kind = b.kind or NoiseKind.BOILERPLATE
            b.reason = f"{rule}classifier p(body)={p2[i]:.2f}: {why}"
    if not any(b.kind == BODY for b in an.blocks):
        # A document is not all page furniture. With no body left, the blocks no wording rule named
        # stay: a one-paragraph text has no neighbours to vouch for it, and a short wire notice
        # ("Qtly div 10 cts vs 10 cts / Pay April 1 / Record March 15") is made of lines that each
        # recur in the corpus, but not together.
        for i, b in enumerate(an.blocks):
            if b.rule in ("", CORPUS_BOILERPLATE) and b.n_words >= MIN_BODY_WORDS:
                why = "recurs in the corpus" if b.rule else f"classifier p(body)={p2[i]:.2f}"
                b.kind, b.reason = BODY, f"{why}, but no other block of the document is body"
    return p2


def _whys(names: tuple[str, ...], rows: np.ndarray, contrib: np.ndarray, body: np.ndarray) -> list[str]:
    """``_why`` of every row at once: the three strongest pushes of each row found in one call (a
    row's partition and sort are those ``_why`` makes of it alone: the same order, ties included)."""
    if not len(rows):
        return []
    if contrib.shape[1] <= 3:
        return [_why(names, rows[k], contrib[k], bool(body[k])) for k in range(len(rows))]
    key = np.where(body[:, None], -contrib, contrib)
    part = np.argpartition(key, 3, axis=1)[:, :3]
    at = np.arange(len(key))[:, None]
    order = part[at, np.argsort(key[at, part], axis=1)]
    words = _words_of(names)
    out = []
    for row, c, b, o in zip(rows.tolist(), contrib.tolist(), body.tolist(), order.tolist(), strict=True):
        out.append(", ".join([_say(words[j], row[j]) for j in o if (c[j] > 0) == b]))
    return out


_Words = tuple[bool, float, str, str]  # (reads "is it non-zero", else "is it over the threshold"; threshold; high; low)


@cache
def _words_of(names: tuple[str, ...]) -> tuple[_Words, ...]:
    """``_describe``'s words for each feature of ``names``, looked up once: ``_say(words[j], v)`` is
    ``_describe(names[j], v)``."""
    out = []
    for name in names:
        if name.startswith("k_"):
            out.append((True, 0.0, f"rules say {name[2:]}", f"rules say nothing of {name[2:]}"))
        elif name.startswith("c_"):
            out.append((True, 0.0, f"{name[2:]} wording", f"no {name[2:]} wording"))
        else:
            high, low = _PHRASES.get(name, (f"high {name}", f"low {name}"))
            out.append((False, _HIGH.get(name, 0.5), high, low))
    return tuple(out)


def _say(words: _Words, value: float) -> str:
    nonzero, threshold, high, low = words
    return high if (value if nonzero else value > threshold) else low


def _why(names: tuple[str, ...], row: np.ndarray, contrib: np.ndarray, body: bool) -> str:
    """The features that pushed hardest toward the verdict, in words."""
    order = np.argpartition(-contrib if body else contrib, 3)[:3] if len(contrib) > 3 else np.arange(len(contrib))
    order = order[np.argsort(-contrib[order] if body else contrib[order])]
    return ", ".join(_describe(names[j], row[j]) for j in order if (contrib[j] > 0) == body)


_PHRASES = {
    "hinted": ("inside the markup's main content", "outside the markup's main content"),
    "hint_w3": ("among main-content blocks", "far from main-content blocks"),
    "hint_w10": ("in a main-content region", "outside the main-content region"),
    "in_hint_range": ("between main-content blocks", "before or after the main content"),
    "hint_prev": ("after a main-content block", "not after a main-content block"),
    "hint_next": ("before a main-content block", "not before a main-content block"),
    "lw": ("long", "short"),
    "lc": ("long", "short"),
    "stop": ("many function words (prose)", "few function words (not prose)"),
    "stop_n": ("many function words (prose)", "few function words (not prose)"),
    "term": ("ends like a sentence", "no sentence end"),
    "run_short": ("in a run of short lines (menu, list)", "not in a run of short lines"),
    "run_prose": ("in a run of prose paragraphs", "not in a run of prose"),
    "coh": ("on the page's topic", "off the page's topic"),
    "coh2": ("on the page's topic", "off the page's topic"),
    "p1_w2": ("neighbours look like body", "neighbours look like noise"),
    "p1_w5": ("neighbourhood looks like body", "neighbourhood looks like noise"),
    "p1_prev": ("previous block looks like body", "previous block looks like noise"),
    "p1_next": ("next block looks like body", "next block looks like noise"),
    "in_region": ("inside the page's main run of body", "outside the page's main run of body"),
    "region_dist": ("far from the page's main run of body", "near the page's main run of body"),
    "dup": ("repeated on the page", "not repeated on the page"),
    "p1": ("looks like body on its own", "looks like noise on its own"),
    "lex_mean": ("words of article prose", "words of page furniture"),
    "lex_w3": ("among words of article prose", "among words of page furniture"),
    "lex_max": ("some words of article prose", "no words of article prose"),
    "lex_min": ("no words of page furniture", "some words of page furniture"),
}


def _describe(name: str, value: float) -> str:
    if name.startswith("k_"):
        return f"rules say {name[2:]}" if value else f"rules say nothing of {name[2:]}"
    if name.startswith("c_"):
        return f"{name[2:]} wording" if value else f"no {name[2:]} wording"
    high, low = _PHRASES.get(name, (f"high {name}", f"low {name}"))
    return high if value > _HIGH.get(name, 0.5) else low


# Where a feature's value turns from "low" to "high" in the words of _PHRASES (log-scaled counts).
_HIGH = {"lw": 2.2, "lc": 4.1, "stop_n": 1.6, "run_short": 1.4, "run_prose": 1.1, "region_dist": 1.1}
_HIGH |= {"hint_dist": 1.1, "title_dist": 1.1, "lex_mean": 0.0, "lex_max": 0.0, "lex_min": 0.0, "lex_w3": 0.0}
