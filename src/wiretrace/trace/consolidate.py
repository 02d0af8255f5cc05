"""Consolidate: a story's headline and its extractive summary, every sentence pointing into a member.

A sentence belongs in the summary when many members carry it (the same sentence or a close variant
of it): what every outlet repeats is the story's core, what one outlet alone says is its angle. The
score of a sentence is how strongly each other member carries it (the mean over the other members of
its best cosine with any of their sentences, content words weighted by idf over the story's
sentences), raised in proportion for coming early in its own text (news puts its core first; an
opening that no other member carries, such as a spun rewrite's, gains nothing). A story of one page
gets its lead. The summary takes the best ``sentences`` of them, skipping any too close to one
already taken, prefers the canonical document's wording of a sentence when it carries one, and keeps
them in the order the texts tell them. The headline is the members' title that the others' titles and sentences carry best.

Lexical on purpose: it needs no model, costs a sparse product per story, and is the same on any
engine; ``bench/consolidate_eval.py`` measures it on AllSides roundups and chose the defaults.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from wiretrace.config import at_least, check_types
from wiretrace.errors import ConfigError
from wiretrace.model import Cleaned, Document, SummaryLine
from wiretrace.text.tokens import sentences, word_tokens
from wiretrace.text.topic import content_of, content_words


@dataclass(frozen=True, slots=True)
class SummaryConfig:
    # sentences, lead and redundancy: the best of a grid on 800 AllSides NeuS train lines, by mean
    # ROUGE-1/2/L against the editors' roundups (bench/consolidate_eval.py prints the grid). News puts
    # its core first: the lead prior matters as much as what the other members carry.
    sentences: int = 2  # summary length in sentences
    lead: float = 1.0  # weight of coming early: support x (1 + lead / (1 + index of the sentence in its text))
    redundancy: float = 0.3  # a sentence this close (cosine) to one already chosen is not chosen
    carried: float = 0.5  # cosine at which another member counts as carrying a sentence
    same: float = 0.8  # cosine at which the canonical document's sentence replaces a chosen variant
    min_words: int = 5  # shorter sentences (bylines, "Read more") are never summary sentences
    max_documents: int = 40  # members compared (the best-ranked): keeps the product small

    def __post_init__(self) -> None:
        check_types("summary", self)
        at_least("summary", self, 0, "min_words", what="a whole number of words >= 0")
        if self.sentences < 1:
            raise ConfigError("summary", "sentences", self.sentences, "at least 1")
        for name in ("redundancy", "carried", "same"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConfigError("summary", name, v, "a cosine in (0, 1]")
        if self.lead < 0:
            raise ConfigError("summary", "lead", self.lead, "0 or more")
        if self.max_documents < 1:
            raise ConfigError("summary", "max_documents", self.max_documents, "at least 1")


@dataclass(frozen=True, slots=True)
class Consolidated:
    headline: str
    headline_source: str | None
    summary: tuple[SummaryLine, ...]


@dataclass(frozen=True, slots=True)
class _Unit:
    doc: str
    span: tuple[int, int]
    index: int  # position among its document's sentences
    of: int  # how many sentences its document has
    bag: Counter[str]


MAX_SENTENCES = 400  # sentences of one member read for the summary (its first ones): bounds the matrices


def _rows(doc: Document, cl: Cleaned, min_words: int) -> Iterator[tuple[tuple[int, int], list[str]]]:
    """The summary's candidate sentences of ``doc`` in text order (span, word tokens), split as they are read."""
    for bs, be in cl.body:
        for s, e in sentences(doc.text, bs, be):
            toks = word_tokens(doc.text, s, e)  # once per sentence: counted, then bagged
            if len(toks) >= min_words:
                yield (s, e), toks


def _units(doc: Document, cl: Cleaned, min_words: int) -> list[_Unit]:
    rows = list(islice(_rows(doc, cl, min_words), MAX_SENTENCES))
    return [_Unit(doc.id, sp, i, len(rows), content_of(toks)) for i, (sp, toks) in enumerate(rows)]


def _idf(bags: Sequence[Counter[str]]) -> dict[str, float]:
    """Each word's idf over ``bags`` (smoothed: ln((1 + n) / (1 + df)) + 1), words in the order first met."""
    df: Counter[str] = Counter()
    for b in bags:
        df.update(b.keys())
    n = len(bags)
    return {w: math.log((1 + n) / (1 + k)) + 1.0 for w, k in df.items()}


def _matrix(bags: Sequence[Counter[str]]) -> np.ndarray:
    """Rows of idf-weighted, L2-normalised content-word counts (idf over these rows)."""
    idf = _idf(bags)
    vocab = {w: i for i, w in enumerate(idf)}
    x = np.zeros((len(bags), max(len(vocab), 1)), dtype=np.float32)
    rows = [i for i, b in enumerate(bags) for _ in range(len(b))]
    cols = [vocab[w] for b in bags for w in b]
    x[rows, cols] = [c * idf[w] for b in bags for w, c in b.items()]  # one scatter, not one store a cell
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def consolidate(
    ranked: Sequence[str],
    docs: Mapping[str, Document],
    cleaned: Mapping[str, Cleaned],
    canonical: str | None,
    fallback_title: str = "",
    config: SummaryConfig | None = None,
) -> Consolidated:
    """Headline and summary of the story whose members are ``ranked`` (best-ranked first)."""
    c = config or SummaryConfig()
    members = list(ranked[: c.max_documents])
    if len(members) == 1 and (lone := _lone(docs[members[0]], cleaned[members[0]], fallback_title, c)) is not None:
        return lone
    return _whole(members, docs, cleaned, canonical, fallback_title, c)


def _whole(
    members: list[str], docs: Mapping[str, Document], cleaned: Mapping[str, Cleaned], canonical: str | None,
    fallback_title: str, c: SummaryConfig,
) -> Consolidated:
    """``consolidate`` computed in full: every member's sentences, their idf rows and cosines."""
    units = [u for m in members for u in _units(docs[m], cleaned[m], c.min_words)]
    titles = [(m, t.strip()) for m in members if (t := docs[m].title) and t.strip()]
    x = _matrix([u.bag for u in units] + [content_words(t) for _, t in titles])
    xs, xt = x[: len(units)], x[len(units) :]
    order = {m: i for i, m in enumerate(members)}
    doc_rows: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        doc_rows.setdefault(u.doc, []).append(i)
    others = [d for d in members if d in doc_rows]
    sim = xs @ xs.T if len(units) else np.zeros((0, 0), dtype=np.float32)
    # best[i, k]: how closely member others[k] carries sentence i (its best sentence cosine)
    best = np.zeros((len(units), len(others)), dtype=np.float32)
    for k, d in enumerate(others):
        best[:, k] = sim[:, doc_rows[d]].max(axis=1)
    col = {d: k for k, d in enumerate(others)}
    best[np.arange(len(units)), [col[u.doc] for u in units]] = 0.0
    n_other = max(len(others) - 1, 1)
    support = best.sum(axis=1) / n_other if len(units) else np.zeros(0)
    # Early *and* carried: a lead nobody else carries (a spun rewrite's own opening) gains nothing.
    alone = len(others) == 1
    score = [(1.0 if alone else float(support[i])) * (1 + c.lead / (1 + u.index)) for i, u in enumerate(units)]

    def key(i: int) -> tuple[float, int, int, int]:
        u = units[i]
        return (-round(score[i], 6), u.doc != canonical, order[u.doc], u.index)

    chosen: list[int] = []
    for i in sorted(range(len(units)), key=key):
        if len(chosen) >= c.sentences:
            break
        if any(sim[i, j] >= c.redundancy for j in chosen):
            continue
        if canonical in doc_rows and units[i].doc != canonical:
            j = max(doc_rows[canonical], key=lambda r: (sim[i, r], -r))
            if sim[i, j] >= c.same and all(sim[j, q] < c.redundancy for q in chosen):
                i = j
        chosen.append(i)
    chosen.sort(key=lambda i: (units[i].index / units[i].of, order[units[i].doc]))
    lines = []
    for i in chosen:
        u = units[i]
        carriers = [others[k] for k in range(len(others)) if best[i, k] >= c.carried]
        lines.append(SummaryLine(u.doc, u.span, (u.doc, *carriers), round(score[i], 4)))
    headline, source = _headline(titles, xt, xs, doc_rows, canonical, order, fallback_title)
    return Consolidated(headline, source, tuple(lines))


def _lone(doc: Document, cl: Cleaned, fallback_title: str, c: SummaryConfig) -> Consolidated | None:
    """``consolidate`` of a story of one document, with the same result at less cost; None in the rare
    case it cannot tell, where the whole computation (``_whole``) decides.

    With one member no other member carries anything: every sentence scores its lead weight alone,
    so the sentences are taken in text order, skipping one too close (cosine) to one already taken;
    no sentence has carriers; the headline is the member's own title. Two sentences without a
    content word in common have a cosine of exactly 0 whatever the idf: while each next sentence
    shares none with those taken, the first ``c.sentences`` are the summary and the rest of the text
    is never split. Else the cosines that decide are computed from the idf over all the sentences
    (and the title), sparse and in double precision, without the whole computation's matrices: a
    cosine within ``_NEAR`` (and more for a long text) of the threshold, where float32 rounding could tip the whole
    computation's decision, is left to it (None).
    """
    rows = islice(_rows(doc, cl, c.min_words), MAX_SENTENCES)
    read: list[tuple[tuple[int, int], Counter[str]]] = []
    taken: list[int] = []
    shared = False
    for span, toks in rows:
        if len(taken) >= c.sentences:
            break
        bag = content_of(toks)
        read.append((span, bag))
        if any(not bag.keys().isdisjoint(read[j][1]) for j in taken):
            shared = True
            break
        taken.append(len(read) - 1)
    title = (doc.title or "").strip()
    if shared:
        units = read + [(span, content_of(toks)) for span, toks in rows]
        idf = _idf([b for _, b in units] + ([content_words(title)] if title else []))
        vecs = [{w: cnt * idf[w] for w, cnt in b.items()} for _, b in units]
        norms = [math.sqrt(sum(v * v for v in x.values())) for x in vecs]
        near = _NEAR + len(idf) * _ULP32  # float32 sums over as many columns as words
        taken = []
        for i, x in enumerate(vecs):
            if len(taken) >= c.sentences:
                break
            close = False
            for j in taken:
                y = vecs[j]
                if norms[i] == 0 or norms[j] == 0 or x.keys().isdisjoint(y):
                    continue  # exactly 0 in the whole computation too
                cos = sum(v * y[w] for w, v in x.items() if w in y) / (norms[i] * norms[j])
                if abs(cos - c.redundancy) <= near:
                    return None
                if cos >= c.redundancy:
                    close = True
                    break
            if not close:
                taken.append(i)
        read = units
    # the whole computation's score of a lone member's sentence: 1.0 x its lead weight
    lines = tuple(SummaryLine(doc.id, read[i][0], (doc.id,), round(1.0 * (1 + c.lead / (1 + i)), 4)) for i in taken)
    return Consolidated(title, doc.id, lines) if title else Consolidated(fallback_title, None, lines)


# A double-precision cosine this close to a threshold may fall either side of it in float32: the whole
# computation's cosine of two unit rows over V columns is off by at most about V x 2^-24 (each product
# and partial sum rounded once; the norms likewise), so the margin grows with the vocabulary.
_NEAR = 1e-3
_ULP32 = 2.0**-22  # 4 x float32's unit roundoff per column


def _headline(
    titles: list[tuple[str, str]], xt: np.ndarray, xs: np.ndarray, doc_rows: Mapping[str, list[int]],
    canonical: str | None, order: Mapping[str, int], fallback: str,
) -> tuple[str, str | None]:
    """The title the other members carry best (their titles and sentences); the canonical's on a tie."""
    if not titles:
        return fallback, None
    scores = []
    for k, (m, _) in enumerate(titles):
        carried = []
        for d, rows in doc_rows.items():
            if d == m:
                continue
            own_title = [j for j, (dm, _) in enumerate(titles) if dm == d]
            cand = [float(xt[k] @ xt[j]) for j in own_title] + ([float((xs[rows] @ xt[k]).max())] if rows else [])
            carried.append(max(cand))
        scores.append(sum(carried) / len(carried) if carried else 0.0)
    k = min(range(len(titles)), key=lambda k: (-round(scores[k], 6), titles[k][0] != canonical, order[titles[k][0]]))
    return titles[k][1], titles[k][0]
