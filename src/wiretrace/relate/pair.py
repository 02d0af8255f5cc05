"""Relate: name the relation between two documents from their alignment, and who took from whom.

The decision reads the alignment statistics (how much of each side is covered, and by what kind of
passage); thresholds live in ``RelateConfig``. The pair is oriented so that the relation reads
``a RELATION b``: for ``contains``, a is the page that holds b's body; for ``derivative``, a is
the shortened or rewritten version of b.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from wiretrace.align import Alignment
from wiretrace.config import at_least, check_types, cosine, share
from wiretrace.errors import ConfigError
from wiretrace.model import NO_CUES, Cues, Direction, Document, Pair, Passage, PassageKind, Relation, Scores
from wiretrace.relate.template import NUMBER_WORDS, slot_mask
from wiretrace.sketch import shingle_hashes
from wiretrace.text.tokens import word_tokens, words_in_ranges

# "HARBORVILLE (Meridian Wire) — ", "MOSCOW (AP) -": the dateline an agency's own copy opens with.
AGENCY_DATELINE = re.compile(r"^[A-Z][A-Za-z .,'/&-]{1,60}\s*\((?P<agency>[A-Z][\w .&'-]{0,40})\)\s*[—–-]")
# "..., The Associated Press reports", "according to Reuters": credit given to someone else.
_OUTLET = (
    r"(?:(?i:the )?(?i:associated press|reuters|afp|agence france-presse|bloomberg)|"
    r"(?:[Tt]he )?[A-Z][\w&'-]+(?: [A-Z][\w&'-]+){0,3} (?:Wire|News|Press|Agency|Times|Post|Herald|Gazette|Journal))"
)
ATTRIBUTION = re.compile(
    rf"\b(?P<agency>{_OUTLET}),? (?i:reports?|reported|first reported|said in a report)\b|"
    rf"\b(?i:according to) (?:(?i:a report (?:by|from)|reporting by) )?(?P<agency2>{_OUTLET})"
)


def _may_attribute(text: str) -> bool:
    """False only where ``ATTRIBUTION`` cannot match: every match holds "report" or "according to" in
    some case. Tested on ASCII text through its lower case (where an ASCII letter matches a literal's
    letter case-insensitively exactly when their lower cases are equal); other text is searched."""
    if not text.isascii():
        return True
    low = text.lower()
    return "report" in low or "according to" in low


@dataclass(frozen=True, slots=True)
class RelateConfig:
    # Shares and cosines chosen for macro F1 over 600 labelled document pairs by ``bench/calibrate.py``,
    # which prints the search and its cross-validation, keeping the sample corpus and the seed pages
    # right; the day rule (same_story_days, far_same_story_cos) is not calibrated: no dated pairs.
    near_duplicate: float = 0.92  # verbatim coverage of both sides
    contains_inner: float = 0.9  # the contained body, covered verbatim
    contains_outer: float = 0.86  # the container, covered at most this much
    paraphrase: float = 0.58  # coverage of both sides by any passage kind
    paraphrase_verbatim: float = 0.74  # ...with less of it word for word than this (else near_duplicate)
    # ...and near_duplicate only where the passages cover this much of both sides: a copy has at most
    # a line added or dropped; one side holding a third of its own is a share of it reused (derivative).
    near_duplicate_cover: float = 0.85
    derivative: float = 0.08  # coverage of the better-covered side
    same_story_cos: float = 0.48  # mean-vector cosine for independent coverage of one event
    same_story_names: float = 0.22  # or share of names in common (Jaccard)
    same_story_topic: float = 0.12  # idf-weighted content-word cosine needed for same_story
    same_story_days: int = 7  # reports further apart than this need the stronger evidence below
    far_same_story_cos: float = 0.8
    min_derivative_passages: int = 1
    # A derivative's shared text must carry facts: a passage this long, or one holding a name or a
    # figure (a short stock phrase, "non-callable for seven years, the issue is rated", is not reuse).
    fact_words: int = 12
    derivative_verbatim: float = 0.04  # some text taken word for word: else similar sentences are same_story
    # A passage whose anchors most other documents share too (stock phrases, a house's standard
    # sentences, background paragraphs) is weak evidence of reuse: held by this many distinct bodies,
    # or common_share of the corpus, whichever is more (passim's --max-df, TextPAIR's banality).
    common_df: int = 10
    common_share: float = 0.0005
    templates: bool = True  # test reuse pairs for one form filled with other facts (``template``)

    def __post_init__(self) -> None:
        check_types("relate", self)
        cosine("relate", self, "same_story_cos", "far_same_story_cos")
        share("relate", self, "same_story_names", "same_story_topic", "derivative_verbatim", "common_share")
        at_least("relate", self, 0, "same_story_days", "min_derivative_passages", "fact_words")
        at_least("relate", self, 1, "common_df")
        for name in ("near_duplicate", "contains_inner", "contains_outer", "paraphrase", "paraphrase_verbatim", "near_duplicate_cover", "derivative"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError("relate", name, v, "a share in (0, 1]")
        if self.contains_inner <= self.contains_outer:
            # Else two texts covered alike on both sides could be read as one holding the other.
            raise ConfigError(
                "relate", "contains_inner", self.contains_inner, f"more than contains_outer ({self.contains_outer})"
            )


@dataclass(frozen=True, slots=True)
class Common:
    """Anchors (sampled word 5-gram hashes, ``Sketch.anchors``) common to many documents of the
    corpus: anchor -> distinct bodies holding it, for anchors held by at least ``cut`` of them.
    Copies of one body count once: a story republished verbatim a thousand times is not a stock phrase."""

    anchors: Mapping[int, int]
    cut: int
    shingle: int = 5
    modulus: int = 4

    @classmethod
    def count(
        cls, holders: Iterable[tuple[int, Iterable[str]]], n_docs: int, config: RelateConfig, shingle: int = 5,
        modulus: int = 4,
    ) -> Common:
        """From ``(anchor, body hashes of its holders)``, over a corpus of ``n_docs`` documents."""
        cut = common_cut(n_docs, config)
        out = {}
        for anchor, bodies in holders:
            n = len(set(bodies))
            if n >= cut:
                out[anchor] = n
        return cls(out, cut, shingle, modulus)


def common_cut(n_docs: int, config: RelateConfig) -> int:
    """Distinct bodies from which an anchor is common in a corpus of ``n_docs`` documents."""
    return max(config.common_df, int(config.common_share * n_docs + 0.5))


@dataclass(frozen=True, slots=True)
class Specific:
    """The alignment's coverage less the passages common to many documents of the corpus."""

    a_covered: float
    b_covered: float
    a_verbatim: float
    b_verbatim: float
    common: int  # passages found common
    df: int  # the most distinct bodies holding one of them


def specific(text_a: str, text_b: str, al: Alignment, common: Common) -> Specific:
    """Coverage of each side by passages that are not common: a passage is common when at least half
    its anchors (on side a) are."""
    n_common, top = 0, 0
    cov = [0, 0, 0, 0]  # words: a covered, b covered, a verbatim, b verbatim
    for p in al.passages:
        toks = word_tokens(text_a, p.a[0], p.a[1])
        h = shingle_hashes(toks, common.shingle) if len(toks) >= common.shingle else np.zeros(0, dtype=np.uint64)
        anchors = [int(x) for x in h[h % np.uint64(common.modulus) == 0]]
        dfs = [common.anchors[x] for x in anchors if x in common.anchors]
        if anchors and 2 * len(dfs) >= len(anchors):
            n_common += 1
            top = max(top, max(dfs))
            continue
        nb = len(word_tokens(text_b, p.b[0], p.b[1]))
        cov[0] += len(toks)
        cov[1] += nb
        if p.kind != PassageKind.PARAPHRASE:
            cov[2] += len(toks)
            cov[3] += nb
    wa, wb = max(al.a_words, 1), max(al.b_words, 1)
    return Specific(
        min(al.a_covered, cov[0] / wa), min(al.b_covered, cov[1] / wb), min(al.a_verbatim, cov[2] / wa),
        min(al.b_verbatim, cov[3] / wb), n_common, top,
    )


def cues(doc: Document, body_start: int | None) -> Cues:
    """Provenance cues in a document's own words: an agency dateline, or credit to another outlet."""
    dateline = attribution = None
    if body_start is not None:
        m = AGENCY_DATELINE.match(doc.text[body_start : body_start + 120])
        if m:
            dateline = m.group("agency")
    m2 = ATTRIBUTION.search(doc.text) if _may_attribute(doc.text) else None
    if m2:
        attribution = (m2.group("agency") or m2.group("agency2") or "").strip()
    return Cues(dateline, attribution)


def _flip(p: Passage) -> Passage:
    return Passage(p.b, p.a, p.kind, p.score)


def relate(
    a: Document,
    b: Document,
    al: Alignment,
    config: RelateConfig | None = None,
    *,
    same_body: bool = False,
    cues_a: Cues = NO_CUES,
    cues_b: Cues = NO_CUES,
    names_jaccard: float = 0.0,
    topic: float = 1.0,
    reasons: tuple[str, ...] = (),
    spec: Specific | None = None,
) -> Pair | None:
    """The pair's relation, or None when the two are unrelated.

    ``spec``: the coverage left once passages common to many documents are set aside; the weaker
    relation (``derivative``: a share of one text reused) reads it instead of the whole coverage."""
    c = config or RelateConfig()
    va, vb, ca, cb = al.a_verbatim, al.b_verbatim, al.a_covered, al.b_covered
    relation: Relation | None = None
    swap = False
    why: list[str] = []
    if same_body and va >= c.near_duplicate and vb >= c.near_duplicate:
        # Same body and nothing else compared (a second article on one page makes it "contains").
        relation = Relation.DUPLICATE
        why.append("identical body text")
    elif va >= c.near_duplicate and vb >= c.near_duplicate:
        relation = Relation.NEAR_DUPLICATE
        why.append(f"verbatim passages cover {va:.0%} / {vb:.0%}")
    elif vb >= c.contains_inner and va <= c.contains_outer:
        relation = Relation.CONTAINS
        why.append(f"{b.id}'s text is {vb:.0%} inside {a.id}, which has {1 - va:.0%} more")
    elif va >= c.contains_inner and vb <= c.contains_outer:
        relation, swap = Relation.CONTAINS, True
        why.append(f"{a.id}'s text is {va:.0%} inside {b.id}, which has {1 - vb:.0%} more")
    elif ca >= c.paraphrase and cb >= c.paraphrase and (max(va, vb) < c.paraphrase_verbatim or min(ca, cb) >= c.near_duplicate_cover):
        relation = Relation.PARAPHRASE if max(va, vb) < c.paraphrase_verbatim else Relation.NEAR_DUPLICATE
        why.append(f"aligned passages cover {ca:.0%} / {cb:.0%} ({max(va, vb):.0%} verbatim)")
    elif ca >= c.paraphrase and cb >= c.paraphrase:
        # Mostly word for word, but one side keeps too much of its own for a copy with small edits.
        relation = Relation.DERIVATIVE
        swap, side_why = _derivative_is_b(a, b, al, cues_a, cues_b)
        why.append(
            f"aligned passages cover {ca:.0%} / {cb:.0%} ({max(va, vb):.0%} verbatim): below {c.near_duplicate_cover:.0%} "
            f"of both, a share reused, not a near-duplicate; {side_why}"
        )
    elif (
        _derivative(ca, cb, va, vb, c, len(al.passages))
        and (spec is None or _derivative(spec.a_covered, spec.b_covered, spec.a_verbatim, spec.b_verbatim, c, len(al.passages)))
        and carries_facts(a.text, al.passages, c.fact_words)
    ):
        relation = Relation.DERIVATIVE
        swap, side_why = _derivative_is_b(a, b, al, cues_a, cues_b)
        why.append(f"aligned passages cover {ca:.0%} of {a.id} and {cb:.0%} of {b.id}; {side_why}")
    elif topic >= c.same_story_topic and _same_story(a, b, al, names_jaccard, c):
        if spec is not None and spec.common and _derivative(ca, cb, va, vb, c, len(al.passages)):
            why.append(_common_note(spec))
        relation = Relation.SAME_STORY
        sem = f"content cosine {al.semantic:.2f}" if al.semantic is not None else ""
        why.append(", ".join(x for x in (sem, f"topic cosine {topic:.2f}", f"names in common {names_jaccard:.0%}") if x))
    if relation is None:
        return None
    if spec is not None and spec.common and relation == Relation.DERIVATIVE:
        why.append(_common_note(spec))
    passages = al.passages
    scores = Scores(al.lexical, al.semantic, round(ca, 4), round(cb, 4))
    if swap:
        a, b = b, a
        cues_a, cues_b = cues_b, cues_a
        passages = tuple(_flip(p) for p in passages)
        scores = Scores(al.lexical, al.semantic, round(cb, 4), round(ca, 4))
    direction, dir_why = _direction(relation, a, b, cues_a, cues_b)
    return Pair(
        a=a.id, b=b.id, relation=relation, direction=direction, scores=scores,
        passages=tuple(sorted(passages, key=lambda p: (p.a, p.b))),
        reasons=tuple(reasons) + tuple(why) + tuple(dir_why),
    )


def carries_facts(text: str, passages: Iterable[Passage], long: int) -> bool:
    """Some passage (side a's text) is ``long`` words or more, or holds a name or a figure written
    in digits: shared text that says something, not a stock phrase of a brief's mould."""
    for p in passages:
        w = words_in_ranges(text, (p.a,))
        if len(w) >= long or any(s and t not in NUMBER_WORDS for t, s in zip(w.tokens, slot_mask(text, w), strict=True)):
            return True
    return False


def _derivative(ca: float, cb: float, va: float, vb: float, c: RelateConfig, passages: int) -> bool:
    return max(ca, cb) >= c.derivative and max(va, vb) >= c.derivative_verbatim and passages >= c.min_derivative_passages


def _common_note(spec: Specific) -> str:
    return (
        f"{spec.common} passage{'s' if spec.common > 1 else ''} common to up to {spec.df} documents "
        "of the corpus (weak evidence, not counted)"
    )


def _derivative_is_b(
    a: Document, b: Document, al: Alignment, cues_a: Cues, cues_b: Cues
) -> tuple[bool, str]:
    """Which side is the shortened or rewritten one. Votes (positive: b) from credit given to
    another outlet, an agency dateline of one's own, length, dates, and (weakest) which side is
    more explained by the other."""
    votes: list[tuple[int, str]] = []
    if (cues_a.attribution is None) != (cues_b.attribution is None):
        votes.append((2, f"{b.id} credits another outlet") if cues_b.attribution is not None else (-2, f"{a.id} credits another outlet"))
    if (cues_a.dateline is None) != (cues_b.dateline is None):
        votes.append((2, f"{a.id} has the agency dateline") if cues_a.dateline is not None else (-2, f"{b.id} has the agency dateline"))
    if al.a_words != al.b_words:
        votes.append((1, f"{b.id} is shorter") if al.b_words < al.a_words else (-1, f"{a.id} is shorter"))
    if a.day and b.day and a.day != b.day:
        votes.append((1, f"{b.id} is later") if b.day > a.day else (-1, f"{a.id} is later"))
    if abs(al.a_covered - al.b_covered) > 0.05:
        votes.append((1, f"more of {b.id} is found in {a.id}") if al.b_covered > al.a_covered else (-1, f"more of {a.id} is found in {b.id}"))
    if not votes:
        return False, "no cue tells which side is the derivative"
    return sum(v for v, _ in votes) > 0, "derivative side by: " + ", ".join(w for _, w in votes)


def days_apart(a: Document, b: Document) -> int | None:
    if a.day is None or b.day is None:
        return None
    return abs((a.day - b.day).days)


def _same_story(a: Document, b: Document, al: Alignment, names_jaccard: float, c: RelateConfig) -> bool:
    """Independent coverage of one event: close in content, and the further apart in time, the closer."""
    gap = days_apart(a, b)
    if gap is not None and gap > c.same_story_days:
        return al.semantic is not None and al.semantic >= c.far_same_story_cos
    return (al.semantic is not None and al.semantic >= c.same_story_cos) or names_jaccard >= c.same_story_names


def _direction(
    relation: Relation, a: Document, b: Document, ca: Cues, cb: Cues
) -> tuple[Direction, tuple[str, ...]]:
    """Who took from whom ("a<-b": a took from b), with the evidence; "none" when it cannot be told."""
    if relation in (Relation.CONTAINS, Relation.DERIVATIVE):
        return Direction.A_FROM_B, (f"{relation}: a builds on b's text",)
    votes = 0
    why = []
    if ca.dateline is not None and cb.dateline is None:
        votes -= 1
        why.append(f"a opens with the {ca.dateline} dateline")
    if cb.dateline is not None and ca.dateline is None:
        votes += 1
        why.append(f"b opens with the {cb.dateline} dateline")
    if ca.attribution is not None and cb.attribution is None:
        votes += 1
        why.append(f"a credits {ca.attribution}")
    if cb.attribution is not None and ca.attribution is None:
        votes -= 1
        why.append(f"b credits {cb.attribution}")
    if a.day and b.day and a.day != b.day:
        votes += 1 if a.day > b.day else -1
        why.append(f"published {a.day} vs {b.day}")
    if relation == Relation.SAME_STORY or votes == 0:
        return Direction.NONE, tuple(why) or ("no dateline, credit or date tells the direction",)
    return (Direction.A_FROM_B if votes > 0 else Direction.B_FROM_A), tuple(why)
