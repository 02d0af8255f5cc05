"""What the cleaner's classifier sees of a block in its page: the block itself (``cues``), the kinds
the wording rules named, its neighbours, the markup extractor's hints, the learned word lexicon, and
(stage 2) the stage-1 verdicts of the neighbourhood and of the page's core.

Features are plain floats in a fixed order (``STAGE1`` then ``stage2_names(mode)``); the weights that
read them are the data files of ``clean/data`` (``weights``), written by ``bench/clean_train.py``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from wiretrace.clean.cues import LOCAL, TERMINAL, local_features, page_language, stoplist
from wiretrace.model import NOISE_KINDS, NoiseKind
from wiretrace.text.names import STOP

# --- block features ------------------------------------------------------------------------------
# The kinds the wording rules name are the noise kinds of the data model (a feature each).
RULE_KINDS = NOISE_KINDS
# A block's ``k_`` columns for each kind the rules may name (one 1.0), and for none
_KIND_ROWS: dict[str, tuple[float, ...]] = {k: tuple(1.0 if k == kk else 0.0 for kk in RULE_KINDS) for k in RULE_KINDS}
_NO_KIND = (0.0,) * len(RULE_KINDS)

PAGE = (
    "dup", "pos", "after_title", "title_dist", "run_short", "run_prose",
    "lw_prev", "lw_next", "stop_prev", "stop_next", "term_prev", "term_next", "lw_w3", "stop_w3", "term_w3",
    "short_w3", "coh", "n_blocks", "doc_short", "doc_prose", "prose_before", "prose_after",
)  # fmt: skip
HINTS = (
    "hinted", "hint_prev", "hint_next", "hint_w3", "hint_w10", "in_hint_range", "hint_dist", "hint_share",
    "hinted_lw", "hinted_short", "unhinted_prose", "hint_before", "hint_after",
)  # fmt: skip
LEXICON = ("lex_mean", "lex_max", "lex_min", "lex_w3")
STAGE1 = LOCAL + tuple(f"k_{k}" for k in RULE_KINDS) + PAGE + HINTS + LEXICON
STAGE2 = ("p1", "p1_prev", "p1_next", "p1_w2", "p1_w5", "p1_max_before", "p1_max_after", "in_region",
          "region_dist", "body_share", "coh2")  # fmt: skip
# Plain text only (no markup hints to say where the article runs): where the block stands against the
# page's best body region, how it compares with the body's blocks, and the runs of like-shaped lines
# (an ingredient list, a spec table, a menu) it belongs to.
STAGE2_TEXT = (
    "before_region", "after_region", "region_words_dist", "region_share", "rel_len", "words_before",
    "kv", "kv_run", "qty", "qty_run", "capline", "capline_run",
)  # fmt: skip


def stage2_names(mode: str) -> tuple[str, ...]:
    """The stage-2 features of ``mode`` ("html" or "text"), after ``STAGE1``."""
    return STAGE2 + STAGE2_TEXT if mode == "text" else STAGE2


@dataclass(frozen=True, slots=True)
class BlockInfo:
    """What the features need of one block: its text, the rule pass's kind and the markup hint."""

    text: str
    n_words: int
    kind: str
    hinted: bool


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)  # as tokens.words
_FOLD = str.maketrans({"’": "'", "‘": "'"})


def tokens_of(text: str) -> list[str]:
    """The normalised word tokens of ``text`` (tokens.words without the offsets)."""
    if text.isascii():  # the fold is lower-casing, done once for the whole text
        return _WORD.findall(text.lower())
    return [t.translate(_FOLD).casefold() for t in _WORD.findall(text)]


def _content(toks: Sequence[str]) -> Counter[str]:
    return Counter([t for t in toks if len(t) > 2 and t not in STOP and not t.isdigit()])


@dataclass(frozen=True, slots=True)
class Bags:
    """The content words of a document's blocks as flat arrays: block, word id and count of each
    (block, word), for the cosines of all blocks at once."""

    n: int  # blocks
    block: np.ndarray  # int64
    word: np.ndarray  # int64, ids into the document's own vocabulary
    count: np.ndarray  # float64 (whole numbers)

    @classmethod
    def of(cls, cws: Sequence[Counter[str]]) -> Bags:
        # word ids in order of first appearance over the blocks, as one dict filled word by word gives
        words = list(chain.from_iterable(cws))
        vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
        ids = list(map(vocab.__getitem__, words))
        counts = list(chain.from_iterable(cw.values() for cw in cws))
        sizes = list(map(len, cws))
        block = np.repeat(np.arange(len(cws), dtype=np.int64), sizes)
        return cls(len(cws), block, np.asarray(ids, dtype=np.int64), np.asarray(counts, dtype=np.float64))


def _cosines(bags: Bags, members: np.ndarray) -> np.ndarray:
    """Cosine of each block's content words with the sum over ``members`` (less the block itself).

    Every count, sum of counts and dot product here is a whole number far below 2**53, so each is
    exact in float64 whatever the order of its sum: the values are those of the word-by-word
    computation (the tests' reference) to the bit."""
    n = bags.n
    out = np.zeros(n)
    if not n or not len(bags.block):
        return out
    member = np.asarray(members, dtype=bool)
    in_ref = member[bags.block]
    ref = np.bincount(bags.word[in_ref], weights=bags.count[in_ref], minlength=int(bags.word.max()) + 1)
    ref_n2 = float(np.dot(ref, ref))
    if not ref_n2:
        return out
    a2 = np.bincount(bags.block, weights=bags.count * bags.count, minlength=n)
    dot = np.bincount(bags.block, weights=bags.count * ref[bags.word], minlength=n)
    rest2 = np.where(member, ref_n2 - 2 * dot + a2, ref_n2)
    dot = np.where(member, dot - a2, dot)
    ok = (a2 > 0) & (dot > 0) & (rest2 > 0)
    out[ok] = dot[ok] / np.sqrt(a2[ok] * rest2[ok])
    return out


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``values`` over ``[i - radius, i + radius]``, without i."""
    return _window_means(values[:, None], radius)[:, 0]


def _window_means(columns: np.ndarray, radius: int) -> np.ndarray:
    """The mean of each column of ``columns`` over rows ``[i - radius, i + radius]``, without row i (each
    column's running sum is added up in order, as a column alone: the same bits as one at a time)."""
    n = len(columns)
    c = np.concatenate([np.zeros((1, columns.shape[1])), np.cumsum(columns, axis=0)])
    lo, hi, positive, divisor = _window(n, radius)
    total = c[hi] - c[lo] - columns
    return np.where(positive, total / divisor, 0.0)


@lru_cache(maxsize=1024)
def _window(n: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_window_means``' bounds of each row's window for ``n`` rows, made once per (n, radius): the
    first row ``lo``, the row past the last ``hi``, where the count of the other rows in it is
    positive, and the divisor ``max(count, 1)`` (columns). Read-only: callers share them."""
    idx = np.arange(n)
    lo = np.maximum(0, idx - radius)
    hi = np.minimum(n, idx + radius + 1)
    count = ((hi - lo).astype(float) - 1)[:, None]
    out = (lo, hi, count > 0, np.maximum(count, 1))
    for a in out:
        a.flags.writeable = False
    return out


def _runs(flags: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of True values it belongs to (0 where False)."""
    n = len(flags)
    out = [0.0] * n
    f = flags.tolist()  # Python bools: the walk below reads each one once, without numpy scalars
    i = 0
    while i < n:
        if not f[i]:
            i += 1
            continue
        j = i
        while j < n and f[j]:
            j += 1
        out[i:j] = [float(j - i)] * (j - i)
        i = j
    return np.array(out, dtype=float)


@dataclass(frozen=True, slots=True)
class PageFeatures:
    """Stage-1 features of a document's blocks, with what stage 2 reuses."""

    x1: np.ndarray  # (blocks, len(STAGE1))
    content: tuple[Counter[str], ...]  # content words per block
    tokens: tuple[list[str], ...]  # word tokens per block
    bags: Bags | None = None  # the content words as arrays (None: made from ``content`` when needed)

    def content_bags(self) -> Bags:
        return self.bags if self.bags is not None else Bags.of(self.content)


def lexicon_words(toks: Sequence[str]) -> set[str]:
    """The tokens of a block that a lexicon may hold: words, not numbers."""
    return {t for t in set(toks) if len(t) > 1 and not t.isdigit()}


def lexicon_features(toks: Sequence[Sequence[str]], lexicon: Mapping[str, float]) -> np.ndarray:
    """``LEXICON`` features: how much each block's words lean to noise (< 0) or body (> 0), from the
    lexicon learned on the labelled training blocks (bench/clean_train.py)."""
    n = len(toks)
    if not lexicon:
        return np.zeros((n, len(LEXICON)))
    get = lexicon.get
    rows = []
    for ts in toks:
        # a block's distinct words (their order does not matter: every figure below is the same in any order)
        vals = [get(t, 0.0) for t in lexicon_words(ts)]
        if vals:
            # fsum: exactly rounded, so the same in any order (a set of strings iterates in the order of
            # the process's hash seed, and a plain sum in that order differed in the last bits run to run)
            rows.append((math.fsum(vals) / len(vals), max(vals), min(vals)))
        else:
            rows.append((0.0, 0.0, 0.0))
    out = np.zeros((n, len(LEXICON)))
    if rows:
        out[:, :3] = rows
    out[:, 3] = _window_mean(out[:, 0], 3)
    return out


def stage1_features(
    blocks: Sequence[BlockInfo],
    has_hints: bool,
    lexicon: Mapping[str, float] | None = None,
    tokens: Sequence[list[str]] | None = None,
) -> PageFeatures:
    """The ``STAGE1`` features of every block of one document (``tokens``: each block's
    ``tokens_of``, where the caller made them already)."""
    n = len(blocks)
    if n == 0:
        return PageFeatures(np.zeros((0, len(STAGE1))), (), ())
    toks = list(tokens) if tokens is not None else [tokens_of(b.text) for b in blocks]
    lang = page_language(chain.from_iterable(toks))
    stops = stoplist(lang)
    local = np.array([local_features(b.text, ts, stops) for b, ts in zip(blocks, toks, strict=True)])
    kinds = np.array([_KIND_ROWS.get(b.kind, _NO_KIND) for b in blocks])
    lw, stop, term = local[:, 0], local[:, 2], local[:, 4]
    n_words = np.array([b.n_words for b in blocks], dtype=float)
    short = n_words < 6
    prose = (n_words >= 10) & (term > 0)
    keys = [" ".join(b.text.casefold().split()) for b in blocks]
    key_count = Counter(keys)
    titles = [i for i, b in enumerate(blocks) if b.kind == NoiseKind.TITLE]
    t0 = titles[0] if titles else -1
    hinted = np.array([1.0 if b.hinted else 0.0 for b in blocks])
    # topic reference: the hinted text (markup) or the page's prose blocks (plain text)
    ref_mask = hinted > 0 if has_hints and hinted.any() else prose
    cws = tuple(_content(ts) for ts in toks)
    bags = Bags.of(cws)
    coh = _cosines(bags, ref_mask)
    idx = np.arange(n)
    w3 = _window_means(_columns([lw, stop, term, short.astype(float)]), 3)
    page = _columns(
        [
            [1.0 if key_count[k] > 1 else 0.0 for k in keys],
            idx / max(1, n - 1),
            (idx > t0).astype(float) if t0 >= 0 else np.full(n, 0.5),
            np.log1p(np.abs(idx - t0)) if t0 >= 0 else np.full(n, 3.0),
            np.log1p(_runs(short)),
            np.log1p(_runs(prose)),
            _shift_prev(lw),
            _shift_next(lw),
            _shift_prev(stop),
            _shift_next(stop),
            _shift_prev(term),
            _shift_next(term),
            w3[:, 0],
            w3[:, 1],
            w3[:, 2],
            w3[:, 3],
            coh,
            np.full(n, math.log1p(n)),
            np.full(n, short.mean()),
            np.full(n, prose.mean()),
            np.log1p(np.cumsum(prose) - prose),  # prose blocks before this one: where the article stands
            np.log1p(prose.sum() - np.cumsum(prose)),  # ... and after it (a bio or promo closes it)
        ]
    )
    if has_hints and hinted.any():
        hi = np.flatnonzero(hinted)
        # distance to the nearest hinted block, both directions, in one pass each way
        pos = np.searchsorted(hi, idx)
        left = np.where(pos > 0, idx - hi[np.maximum(pos - 1, 0)], n)
        right = np.where(pos < len(hi), hi[np.minimum(pos, len(hi) - 1)] - idx, n)
        dist = np.minimum(left, right)
        total_words = max(1.0, n_words.sum())
        hint_feats = _columns(
            [
                hinted,
                _shift_prev(hinted),
                _shift_next(hinted),
                _window_mean(hinted, 3),
                _window_mean(hinted, 10),
                ((idx >= hi[0]) & (idx <= hi[-1])).astype(float),
                np.log1p(dist),
                np.full(n, (n_words * hinted).sum() / total_words),
                hinted * lw,
                hinted * short,
                (1 - hinted) * prose,
                np.log1p(np.cumsum(hinted) - hinted),
                np.log1p(hinted.sum() - np.cumsum(hinted)),
            ]
        )
    else:
        hint_feats = np.zeros((n, len(HINTS)))
    lex = lexicon_features(toks, lexicon or {})
    return PageFeatures(np.hstack([local, kinds, page, hint_feats, lex]), cws, tuple(toks), bags)


def _columns(cols: Sequence[np.ndarray | Sequence[float]]) -> np.ndarray:
    """``np.column_stack(cols)`` of equal-length float columns (or lists of floats): the same values in the
    same C-ordered float64 matrix, from one array conversion instead of one per column."""
    return np.ascontiguousarray(np.array(cols, dtype=float).T)


def _shift_prev(a: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], a[:-1]])


def _shift_next(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[1:], [0.0]])


def _window_max(values: np.ndarray, before: int, after: int) -> np.ndarray:
    """Max of ``values`` over the ``before`` blocks before i (or the ``after`` blocks after it)."""
    n = len(values)
    padded = np.concatenate([np.zeros(max(before, after)), values, np.zeros(max(before, after))])
    off = max(before, after)
    out = np.zeros(n)
    if before:
        for k in range(1, before + 1):
            out = np.maximum(out, padded[off - k : off - k + n])
    if after:
        for k in range(1, after + 1):
            out = np.maximum(out, padded[off + k : off + k + n])
    return out


def best_region(score: np.ndarray) -> tuple[int, int]:
    """``[lo, hi)`` of the contiguous run of blocks with the largest sum of ``score`` (max subarray)."""
    best, best_lo, best_hi = 0.0, 0, 0
    cur, cur_lo = 0.0, 0
    for i, s in enumerate(score.tolist()):
        if cur <= 0:
            cur, cur_lo = 0.0, i
        cur += s
        if cur > best:
            best, best_lo, best_hi = cur, cur_lo, i + 1
    return best_lo, best_hi


def stage2_features(blocks: Sequence[BlockInfo], page: PageFeatures, p1: np.ndarray, mode: str = "html") -> np.ndarray:
    """The ``stage2_names(mode)`` features: the stage-1 verdicts of the neighbourhood and of the page's core."""
    n = len(blocks)
    names = stage2_names(mode)
    if n == 0:
        return np.zeros((0, len(names)))
    idx = np.arange(n)
    lw = page.x1[:, 0]
    lo, hi = best_region((p1 - 0.5) * (1.0 + lw))
    in_region = ((idx >= lo) & (idx < hi)).astype(float)
    dist = np.where(idx < lo, lo - idx, np.where(idx >= hi, idx - hi + 1, 0))
    n_words = np.array([b.n_words for b in blocks], dtype=float)
    body_share = float((n_words * (p1 > 0.5)).sum() / max(1.0, n_words.sum()))
    base = _columns(
        [
            p1,
            _shift_prev(p1),
            _shift_next(p1),
            _window_mean(p1, 2),
            _window_mean(p1, 5),
            _window_max(p1, 5, 0),
            _window_max(p1, 0, 5),
            in_region,
            np.log1p(dist),
            np.full(n, body_share),
            _cosines(page.content_bags(), p1 > 0.5),
        ]
    )
    if mode != "text":
        return base
    return np.hstack([base, _text_context(blocks, p1, n_words, lo, hi)])


_KEY_VALUE = re.compile(r"^[^\W\d_][^:]{0,40}:\s*\S")
_QUANTITY = re.compile(r"^\W{0,3}(\d+([.,/]\d+)?|[½¼¾⅓⅔]|\d+\s*[-–]\s*\d+)\s*\S|\d\s*(%|€|\$|£|kg|g|ml|l|cm|mm|m|km|min|h|gb|mb)\b")


def _line_shapes(blocks: Sequence[BlockInfo]) -> np.ndarray:
    """Per block: a "Label: value" line, a quantity line ("200 g flour", "5 GB"), a short capitalised
    line (a heading, a menu item), each only for short blocks (<= 12 words)."""
    out = np.zeros((len(blocks), 3))
    for i, b in enumerate(blocks):
        if b.n_words > 12:
            continue
        t = b.text.strip()
        low = t.lower()
        out[i, 0] = 1.0 if _KEY_VALUE.match(t) else 0.0
        out[i, 1] = 1.0 if _QUANTITY.search(low) else 0.0
        out[i, 2] = 1.0 if t[:1].isupper() and not TERMINAL.search(t) and b.n_words <= 8 else 0.0
    return out


def _median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a short non-empty array without NaN: the middle value, or the
    mean of the two middle ones (``(a + b) / 2``, as numpy's mean of two adds them and divides)."""
    s = sorted(values.tolist())
    m = len(s) // 2
    return float(s[m]) if len(s) % 2 else (s[m - 1] + s[m]) / 2


def _text_context(blocks: Sequence[BlockInfo], p1: np.ndarray, n_words: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The ``STAGE2_TEXT`` columns of a page whose best body region is blocks ``[lo, hi)``."""
    n = len(blocks)
    idx = np.arange(n)
    total = max(1.0, float(n_words.sum()))
    cum = np.cumsum(n_words)
    before = cum - n_words  # words before each block
    if hi > lo:
        start_w, end_w = float(before[lo]), float(cum[hi - 1])
    else:
        start_w = end_w = 0.0
    words_dist = np.where(idx < lo, start_w - cum, np.where(idx >= hi, before - end_w, 0.0))
    cand = n_words[p1 > 0.5]
    med = _median(cand) if len(cand) else max(1.0, _median(n_words))
    shapes = _line_shapes(blocks)
    cols = {
        "before_region": (idx < lo).astype(float),
        "after_region": (idx >= hi).astype(float),
        "region_words_dist": np.log1p(np.maximum(0.0, words_dist)),
        "region_share": np.full(n, (end_w - start_w) / total),
        "rel_len": np.log((1.0 + n_words) / (1.0 + med)),
        "words_before": before / total,
        "kv": shapes[:, 0],
        "kv_run": np.log1p(_runs(shapes[:, 0] > 0)),
        "qty": shapes[:, 1],
        "qty_run": np.log1p(_runs(shapes[:, 1] > 0)),
        "capline": shapes[:, 2],
        "capline_run": np.log1p(_runs(shapes[:, 2] > 0)),
    }
    return _columns([cols[name] for name in STAGE2_TEXT])

