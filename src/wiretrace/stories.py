"""Stories: group related documents into stories (events), incrementally, in two levels.

**Level 1, reuse.** Documents one of which was made from the other's whole text (``duplicate``,
``near_duplicate``, ``contains``, ``paraphrase``) are one story whatever else holds, so single
linkage over them is safe. Level 1 is the connected components of these relations (a union-find
here; large-star/small-star rounds on Spark). ``derivative`` (a share of one text reused, from 8%)
is not among them: a shared quote or stock paragraph links reports of different events too (9 of 558
derivative pairs on ECB+ topics 1-35 join two events, and each such pair glued two whole stories
together), so it counts in level 2 as a link, like ``same_story``.

**Level 2, same event.** Outlets that wrote independently share no text, only the event: its names,
its vocabulary, its dates. Single linkage over pairwise ``same_story`` verdicts chains every story
of a topic into one (a corpus of football reports becomes one "story"), so level 2 is a centroid
clusterer over the level-1 components instead:

* each story keeps a profile: the sum of its members' unit vectors of idf-weighted content words
  (``Sketch.topic``), the same of idf-weighted names (``Sketch.names``), and its time span;
* a **story index** (inverted: a component's top content words and rarest names -> stories) gives
  the candidates of a new component, so it is scored against the stories it shares a key with,
  never against all of them (``StoryIndex.scored`` counts the stories scored). Keys held by more
  than ``max_postings`` stories are too common to name a story and are not looked up, and of the
  stories sharing keys only the ``max_candidates`` sharing the most are scored, so the work per
  component stays bounded however many look-alike stories the corpus holds;
* the score is the geometric mean of the cosines of the component's vectors with each candidate's
  centroid (content words, and names with weight ``names_weight``), plus ``link_bonus`` when the
  relate stage found a ``derivative`` or ``same_story`` pair between them (a pairwise verdict that
  read the texts: sentence embeddings when they ran);
* **strangers' protagonists**: a document's lead is the name it mentions most (at least twice).
  When each side has a lead (the lead of at least half its members) that none of the other side's
  members mentions at all, they are two events of one topic (two fights of one champion, against two
  challengers; two Oscar hosts), however much vocabulary they share: the score is 0. On ECB+ topics
  1-35 (two confusable events per topic) this rule moved the stream's B-cubed F1 from 0.862 to 0.903
  (``bench/story_eval.py``, the same ``join``);
* **what level 2 weighs**: words held by many documents weigh little (``banal_df``), counted over the
  summaries level 2 compares (``level2_idf``: body and headline words, names), so a word only
  headlines write is as common as they make it; and a component must share at least ``min_shared``
  specific words or names with a story it joins, unless a pair links them: briefs of one mould share
  a word or two of it, one event shares its people, places and what happened;
* **time-aware**: the score needed is ``join`` within ``window_days`` of the story's time, and
  grows by ``per_day`` for each day further away: documents far apart in time need more evidence.
  A story's time is its first ``span_days`` days, not its whole span: measured from its last member,
  a saga reported day after day (a takeover battle, a currency's weeks, a trial) would chain, each
  report within the window of the one before; measured from its first days, a report weeks on needs
  the evidence of one event (Reuters + BBC: no story of 50 or more documents, was 53 documents in one);
* **bigger stories need more**: beyond ``size_free`` documents, ``size_step`` more per doubling of
  the bigger side, so a big story's generic centroid does not gather every report of its topic;
* **bridging merges**: when a component qualifies for several stories it joins the best, and each
  other one whose centroid now scores ``merge`` or more against the grown story is merged into it.

**Order independence and stable ids.** Components are processed in a canonical order: by their
earliest member, members ordered by (published date, body hash, id), never by arrival, so the same
input in any order gives the same stories. A story's id is ``story_id`` of the member it started
from (its earliest member in a one-shot run); later members never change it, and when two stories
merge, the one that started from the earlier member keeps its id. The assignment document -> story
is kept in the store, so an incremental run loads the stories as they were (``StoryIndex.load``)
and extends them: existing ids do not change unless a new document merges two stories.

The functions are pure over their inputs (summaries, components, links, idf, settings): the Spark
engine computes the level-1 components distributed and runs ``assign`` on the driver over the same
inputs, so both engines give the same stories.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import mul

import numpy as np
import xxhash

from wiretrace.config import at_least, check_types, share
from wiretrace.errors import ConfigError
from wiretrace.model import Pair, Relation, iso_day
from wiretrace.sketch import Sketch
from wiretrace.text.topic import doc_frequency, idf_from_counts

REUSE = frozenset({Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.CONTAINS, Relation.PARAPHRASE})
LINKS = frozenset({Relation.DERIVATIVE, Relation.SAME_STORY})
_NO_DATE = "9999-12-31"  # undated documents sort after dated ones


_ID = re.compile(r"s-[0-9a-f]{12}")  # ``story_id``'s form: ordered as strings as the hex digits are as numbers

SPECIFIC = 0.25  # a key whose banality weight is at least this (held by at most 2 x the banal cut) is specific


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """Level-2 (same-event) clustering. Defaults chosen on ECB+ topics 1-35 (``bench/story_eval.py``)."""

    join: float = 0.2  # score a component needs to join a story (within the time window)
    merge: float = 0.5  # centroid score two stories need to merge when a component bridges them
    names_weight: float = 0.5  # share of the score from names (the rest: content words)
    link_bonus: float = 0.1  # added when a derivative or same_story pair links the component to the story
    window_days: int = 3  # no extra evidence needed within this many days of a story's span
    per_day: float = 0.02  # extra score needed per day beyond the window
    span_days: int = 3  # a story's span counts from its first day for at most this many days (0: its whole span)
    size_free: int = 16  # stories up to this size need no extra score for their size
    size_step: float = 0.05  # extra score needed per doubling of the bigger side beyond size_free
    index_terms: int = 10  # top content words per document in the story index
    index_names: int = 32  # rarest names per document in the story index
    max_postings: int = 400  # keys held by more stories than this are not looked up
    max_candidates: int = 64  # stories scored per component: those sharing the most index keys (and linked ones)
    strangers: bool = True  # two sides whose leads the other side never mentions score 0 (see the module)
    banal_df: int = 50  # words and names held by more documents than this (or banal_share of them) weigh little
    banal_share: float = 0.005
    banal_power: float = 2.0  # a banal key's weight falls as (cut / df) ** power
    min_shared: int = 2  # specific words and names (see ``SPECIFIC``) two sides must share to score at all

    def __post_init__(self) -> None:
        check_types("stories", self)
        share("stories", self, "banal_share")
        at_least("stories", self, 0, "banal_df", "banal_power")
        for name in ("join", "merge", "names_weight", "link_bonus", "per_day", "size_step"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError("stories", name, v, "a number in [0, 1]")
        for name in ("window_days", "span_days", "size_free", "index_terms", "index_names", "max_postings", "max_candidates", "min_shared"):
            if getattr(self, name) < 0:
                raise ConfigError("stories", name, getattr(self, name), "a whole number >= 0")


@dataclass(slots=True)
class UnionFind:
    parent: dict[str, str] = field(default_factory=dict)

    def add(self, x: str) -> None:
        self.parent.setdefault(x, x)

    def find(self, x: str) -> str:
        self.add(x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            # The smaller id becomes the root: roots do not depend on the order of unions.
            lo, hi = (rx, ry) if rx < ry else (ry, rx)
            self.parent[hi] = lo


def story_id(members: Iterable[str]) -> str:
    """The id of a story started from document ``min(members)`` (pass the one starting member)."""
    return "s-" + xxhash.xxh64_hexdigest(min(members).encode("utf-8"))[:12]


@dataclass(frozen=True, slots=True)
class DocSummary:
    """What level 2 reads of a document: when, which text, which names and content words."""

    id: str
    published: str | None  # ISO "YYYY-MM-DD", as stored
    body_hash: str
    names: frozenset[str]
    topic: Mapping[str, int]
    day: int | None = field(init=False, default=None, repr=False, compare=False)  # ``published`` as an ordinal, parsed once

    def __post_init__(self) -> None:
        d = iso_day(self.published)
        object.__setattr__(self, "day", None if d is None else d.toordinal())

    @property
    def key(self) -> tuple[str, str, str]:
        """The canonical order: published date, then content hash, then id (never arrival)."""
        return (self.published or _NO_DATE, self.body_hash, self.id)


def summarize(doc_id: str, published: str | None, sk: Sketch, title: Mapping[str, int] | None = None) -> DocSummary:
    """The sketch's names and content words, plus the content words of the headline the cleaner took
    out of the body (``title``): a headline names the event as well as the body does."""
    topic = dict(sk.topic)
    for k, v in (title or {}).items():
        topic[k] = topic.get(k, 0) + v
    return DocSummary(doc_id, published, sk.body_hash, sk.names, topic)


def compact(s: DocSummary) -> DocSummary:
    """``s`` with its words interned: summaries gathered from elsewhere (unpickled) share one copy of each word."""
    return DocSummary(
        s.id, s.published, s.body_hash, frozenset(map(sys.intern, s.names)), {sys.intern(k): v for k, v in s.topic.items()}
    )


def level2_idf(summaries: Iterable[DocSummary]) -> dict[str, float]:
    """An idf counted over what level 2 compares: each summary's content words (the body's and the
    headline's) and names. Level 2 reads from it how many documents hold a key (which keys are banal,
    which specific): a word only headlines write ("QTRLY", "PAYOUT" over briefs whose bodies say "Qtly
    div") is as common as the headlines make it, not as rare as the bodies would. The same for every
    engine, as it reads the summaries only."""
    df: Counter[str] = Counter()
    n = 0
    for s in summaries:
        df.update(level2_keys(s))
        n += 1
    return idf_from_counts(df, n)


def level2_keys(s: DocSummary) -> set[str]:
    """The words and names of a summary that ``level2_idf`` counts, each once."""
    return s.topic.keys() | s.names


def reuse_components(ids: Iterable[str], pairs: Iterable[Pair]) -> list[list[str]]:
    """Level 1: connected components over the reuse relations; every id in exactly one, sorted."""
    uf = UnionFind()
    for d in ids:
        uf.add(d)
    for p in pairs:
        if p.relation in REUSE:
            uf.union(p.a, p.b)
    comps: dict[str, list[str]] = defaultdict(list)
    for d in uf.parent:
        comps[uf.find(d)].append(d)
    return sorted(sorted(m) for m in comps.values())


def template_links(pairs: Iterable[Pair]) -> list[tuple[str, str]]:
    """The ``template`` pairs: one form, other facts; level 2 keeps their sides apart."""
    return sorted((p.a, p.b) for p in pairs if p.relation == Relation.TEMPLATE)


def same_story_links(pairs: Iterable[Pair]) -> list[tuple[str, str]]:
    """The pairs level 2 reads as links (``LINKS``: derivative, same_story)."""
    return sorted((p.a, p.b) for p in pairs if p.relation in LINKS)


def _unit(weights: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in weights.values()))
    return {k: v / norm for k, v in weights.items()} if norm else {}


@dataclass(slots=True)
class _Profile:
    """Summed unit vectors (content words, names) and the time span of a set of documents."""

    topic: dict[str, float] = field(default_factory=dict)
    names: dict[str, float] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None
    n: int = 0  # documents
    leads: dict[str, int] = field(default_factory=dict)  # name -> documents whose lead it is
    # Squared mass of the members' banal keys (content words, names), kept apart: each document's
    # banal words count as its own, so they lengthen a vector without ever matching another's.
    private: tuple[float, float] = (0.0, 0.0)
    _norms: tuple[float, float] | None = None
    _sorted_topic: tuple[list[str], list[float]] | None = None
    _sorted_names: tuple[list[str], list[float]] | None = None
    _main: tuple[str, ...] | None = None

    def add(self, other: _Profile) -> None:
        for src, dst in ((other.topic, self.topic), (other.names, self.names)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0.0) + v
        for k, c in other.leads.items():
            self.leads[k] = self.leads.get(k, 0) + c
        self.n += other.n
        self.private = (self.private[0] + other.private[0], self.private[1] + other.private[1])
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        if other.last is not None:
            self.last = other.last if self.last is None else max(self.last, other.last)
        self._norms = None
        self._sorted_topic = None
        self._sorted_names = None
        self._main = None

    def norms(self) -> tuple[float, float]:
        if self._norms is None:
            self._norms = (
                math.sqrt(sum(v * v for v in self.topic.values()) + self.private[0]),
                math.sqrt(sum(v * v for v in self.names.values()) + self.private[1]),
            )
        return self._norms

    def main_leads(self) -> tuple[str, ...]:
        """The leads of at least half the documents, kept until the profile changes."""
        if self._main is None:
            self._main = tuple(sorted(k for k, c in self.leads.items() if 2 * c >= self.n))
        return self._main

    def sorted_items(self) -> tuple[tuple[list[str], list[float]], tuple[list[str], list[float]]]:
        """(keys, values) of the content words and of the names, in key order (a fixed summation
        order: the same floats on every engine), kept until the profile changes."""
        return self.sorted_topic(), self.sorted_names()

    def sorted_topic(self) -> tuple[list[str], list[float]]:
        """``sorted_items``' content words (sorted apart from the names: ``upper`` reads the names alone)."""
        if self._sorted_topic is None:
            t = sorted(self.topic.items())
            self._sorted_topic = [k for k, _ in t], [v for _, v in t]
        return self._sorted_topic

    def sorted_names(self) -> tuple[list[str], list[float]]:
        """``sorted_items``' names."""
        if self._sorted_names is None:
            n = sorted(self.names.items())
            self._sorted_names = [k for k, _ in n], [v for _, v in n]
        return self._sorted_names


@dataclass(slots=True)
class _Story:
    id: str
    key: tuple[str, str, str]  # the key of the member it started from (merges keep the smaller)
    members: list[str]
    profile: _Profile
    keys: set[str]


def _top(idf: Mapping[str, float]) -> float:
    """The largest value of ``idf`` (1.0 if none): its ``top`` where it keeps one (an idf read lazily,
    ``engine.corpus_state.KeptIdf``), else the max of its values."""
    top = getattr(idf, "top", None)
    return float(top) if top is not None else max(idf.values(), default=1.0)


class StoryIndex:
    """Stories with their profiles and an inverted index from keys (top words, rare names) to stories."""

    def __init__(
        self, idf: Mapping[str, float], config: StoryConfig | None = None, counts: Mapping[str, float] | None = None
    ) -> None:
        self.config = config or StoryConfig()
        self.rebind(idf, counts)
        self.stories: dict[str, _Story] = {}
        self.story_of: dict[str, str] = {}
        self.postings: dict[str, set[str]] = defaultdict(set)
        # The postings again with the stories numbered (key -> numbers of the stories holding it), for
        # ``candidates`` to count the keys a component shares with each story as one ``bincount``. A
        # subclass whose postings are read from elsewhere (``stories_kept``) sets ``_numbered`` False.
        self._numbered = True
        self._held: dict[str, array[int]] = {}  # 64-bit numbers, read as one buffer
        self._num: dict[str, int] = {}  # story id -> its number
        self._sid: list[str] = []  # number -> story id
        # number -> its id as a number, in the ids' order (-1: an id not of ``story_id``'s form); grown by doubling
        self._rank = np.empty(1024, np.int64)
        self.scored = 0  # stories scored so far (the index's work: compare with len(stories) per add)
        self.merged: list[tuple[str, str]] = []  # (kept id, merged id), in order

    def rebind(self, idf: Mapping[str, float], counts: Mapping[str, float] | None = None) -> None:
        """Read ``idf`` (and ``counts``) from now on, keeping the stories, profiles and keys made so far:
        what a long-lived index does as its corpus grows (``stories_kept`` keeps this index in a store)."""
        self.idf = idf
        self.default_idf = _top(idf)  # a word never counted is as rare as the rarest
        # How many documents hold a key (banality, specificity) is read back from ``counts``, an idf
        # counted over the summaries level 2 compares (``level2_idf``); the weights come from ``idf``.
        self.counts = counts if counts is not None else idf
        self.default_count = _top(self.counts)
        # ``corpus_size(self.counts)``, from the largest value (a mapping read lazily knows it: ``_top``)
        self.n_docs = 2.0 * math.exp(self.default_count - 1.0) - 1.0 if self.counts else 0.0
        c = self.config
        self.banal_cut = max(float(c.banal_df), c.banal_share * self.n_docs)
        self._weights: dict[str, float] = {}
        self._keys: dict[str, tuple[DocSummary, frozenset[str]]] = {}  # keys_of, once per document
        self._owned: dict[str, tuple[DocSummary, _Profile]] = {}  # ``_own`` made elsewhere (``take``), until read

    # --- profiles -----------------------------------------------------------------------------
    def _w(self, k: str) -> float:
        return self.idf.get(k, self.default_idf)

    def _banal(self, k: str) -> float:
        """1 for a key held by at most ``banal_cut`` documents; less, as ``(cut / df) ** banal_power``,
        for one more documents hold (a stock word of the corpus: quarterly results' "shr" and "revs")."""
        w = self._weights.get(k)
        if w is None:
            df = doc_frequency(self.counts.get(k, self.default_count), self.n_docs)
            w = 1.0 if df <= self.banal_cut else (self.banal_cut / df) ** self.config.banal_power
            self._weights[k] = w
        return w

    def _specific(self, vec: dict[str, float]) -> tuple[dict[str, float], float]:
        """A unit vector with its banal keys shrunk; the squared mass they lost (kept apart)."""
        weights, banal = self._weights, self._banal
        out = {}
        for k, v in vec.items():
            b = weights.get(k)
            out[k] = v * (banal(k) if b is None else b)
        return out, max(0.0, 1.0 - sum(v * v for v in out.values())) if out else 0.0

    def profile(self, docs: Sequence[DocSummary]) -> _Profile:
        """The profile of ``docs``: each one's (``_own``) added in order. One document's is its own: adding
        it to an empty profile gives the same floats (``0.0 + v`` is ``v``), keys and order."""
        if len(docs) == 1:
            return self._own(docs[0])
        p = _Profile()
        for d in docs:
            p.add(self._own(d))
        return p

    def own_parts(self, docs: Iterable[DocSummary]) -> list[tuple[_Profile, frozenset[str]]]:
        """Each document's own profile and index keys: what placing it reads of it alone, the same
        whenever and wherever made with this index's idf, counts and settings (a worker makes them for
        ``build_index``'s ``own``; ``take`` gives them back)."""
        out = []
        for d in docs:
            p = self._own(d)
            out.append((p, self._keys[d.id][1]))
        return out

    def take(self, d: DocSummary, prof: _Profile, keys: frozenset[str]) -> None:
        """``d``'s ``own_parts``, made elsewhere: ``keys_of`` and the next profile of ``d`` read them."""
        self._keys[d.id] = (d, keys)
        self._owned[d.id] = (d, prof)

    def _own(self, d: DocSummary) -> _Profile:
        """``d``'s profile; its index keys made from the same weights, kept for ``keys_of`` if not yet made."""
        got = self._owned.pop(d.id, None)
        if got is not None and got[0] is d:
            return got[1]
        get, rarest, log = self.idf.get, self.default_idf, math.log  # ``_w``, inlined
        tw = {k: (1.0 + log(c)) * get(k, rarest) for k, c in sorted(d.topic.items()) if c > 0}
        nw = {k: get(k, rarest) for k in sorted(d.names)}
        hit = self._keys.get(d.id)
        if hit is None or hit[0] is not d:
            self._keys[d.id] = (d, self._keys_from(tw, nw))
        topic, pt = self._specific(_unit(tw))
        names, pn = self._specific(_unit(nw))
        day = d.day
        return _Profile(topic, names, day, day, 1, dict.fromkeys(self.lead(d), 1), (pt, pn))

    def lead(self, d: DocSummary) -> tuple[str, ...]:
        """The name ``d`` mentions most, if at least twice (ties: the rarer name, then the name)."""
        best = min(((-d.topic.get(k, 0), -self._w(k), k) for k in d.names), default=None)
        return (best[2],) if best is not None and -best[0] >= 2 else ()

    @staticmethod
    def strangers(a: _Profile, b: _Profile) -> bool:
        """Each side has a lead (of at least half its documents) that no document of the other mentions
        (the names vector holds every name a member mentions: idf weights are >= 1)."""

        def alien(x: _Profile, y: _Profile) -> bool:
            return any(k not in y.names for k in x.main_leads())

        return alien(a, b) and alien(b, a)

    def keys_of(self, d: DocSummary) -> Set[str]:
        """``d``'s index keys (its top content words and rarest names), made once per document and
        binding (``rebind`` forgets them): the same frozen set on each call, never to be changed."""
        hit = self._keys.get(d.id)
        if hit is not None and hit[0] is d:
            return hit[1]
        keys = self._keys_of(d)
        self._keys[d.id] = (d, keys)
        return keys

    def _keys_of(self, d: DocSummary) -> frozenset[str]:
        get, rarest, log = self.idf.get, self.default_idf, math.log  # ``_w``, inlined
        return self._keys_from({k: (1.0 + log(v)) * get(k, rarest) for k, v in d.topic.items() if v > 0},
                               {k: get(k, rarest) for k in d.names})

    def _keys_from(self, tw: Mapping[str, float], nw: Mapping[str, float]) -> frozenset[str]:
        """The index keys of a document whose content words and names weigh ``tw`` and ``nw``: its
        ``index_terms`` heaviest words and ``index_names`` rarest names (ties: the word). (``-w`` of a
        product is the product with one factor negated, to the bit: the order is the same.)"""
        c = self.config
        terms = sorted([(-w, k) for k, w in tw.items()])[: c.index_terms]
        names = sorted([(-w, k) for k, w in nw.items()])[: c.index_names]
        return frozenset([sys.intern("t:" + k) for _, k in terms] + [sys.intern("n:" + k) for _, k in names])

    def score(self, a: _Profile, b: _Profile) -> float:
        """Geometric mean of the centroids' cosines on content words and on names (weight
        ``names_weight``): one event shares both its vocabulary and its people and places, where a
        topic shares only one of them. Without names on a side, the content-word cosine alone."""
        (ta, na), (tb, nb) = a.norms(), b.norms()
        if not ta or not tb or self.config.strangers and self.strangers(a, b):
            return 0.0
        n = 0.0
        if na and nb:  # the names first: a few dozen each, and no shared name means 0 whatever the words
            small, big = (a, b) if len(a.names) <= len(b.names) else (b, a)
            keys, vals = small.sorted_names()
            n = sum(map(mul, vals, map(big.names.get, keys, repeat(0.0)))) / (na * nb)
            if n <= 0.0:
                return 0.0
        small, big = (a, b) if len(a.topic) <= len(b.topic) else (b, a)
        keys, vals = small.sorted_topic()
        t = sum(map(mul, vals, map(big.topic.get, keys, repeat(0.0)))) / (ta * tb)
        if not na or not nb:
            return round(t, 6)
        if t <= 0.0:
            return 0.0
        w = self.config.names_weight
        return round(t ** (1.0 - w) * n**w, 6)

    def shares_enough(self, a: _Profile, b: _Profile) -> bool:
        """Whether ``a`` and ``b`` share ``min_shared`` specific keys (content words or names held by
        at most twice the banal cut of documents: ``SPECIFIC``). One event shares several: its people,
        places, what happened. Briefs of one mould about different subjects share one or two words of
        the mould a headline uses (a "QTRLY" no body writes), and a centroid of many such briefs, where
        each brief's own subject is diluted, is all mould: one shared word must not gather them."""
        need = self.config.min_shared
        if need <= 0:
            return True
        banal = self._banal
        seen: set[str] = set()
        for x, y in ((a.names, b.names), (a.topic, b.topic)):
            small, big = (x, y) if len(x) <= len(y) else (y, x)
            for k in small:
                if k in big and k not in seen and banal(k) >= SPECIFIC:
                    seen.add(k)
                    if len(seen) >= need:
                        return True
        return False

    def upper(self, a: _Profile, b: _Profile) -> float:
        """A bound ``score(a, b)`` cannot exceed, from the names alone (a few dozen keys, where the
        content words are hundreds): the content-word cosine is at most 1, so the score is at most
        the names' share ``n ** names_weight`` (with a margin for rounding). Where it falls short
        of what a story needs, the content words need not be read."""
        (ta, na), (tb, nb) = a.norms(), b.norms()
        if not ta or not tb:
            return 0.0
        if self.config.strangers:  # ``strangers``, inlined (the hot loop of ``add``)
            la, lb = a.main_leads(), b.main_leads()
            if la and lb and any(k not in b.names for k in la) and any(k not in a.names for k in lb):
                return 0.0
        if not na or not nb:
            return 1.0 + 1e-6
        small, big = (a, b) if len(a.names) <= len(b.names) else (b, a)
        keys, vals = small.sorted_names()
        n = sum(map(mul, vals, map(big.names.get, keys, repeat(0.0)))) / (na * nb)
        if n <= 0.0:
            return 0.0
        return n**self.config.names_weight * (1.0 + 1e-6) + 1e-6

    def bonus(self, linked: int, size: int) -> float:
        """What ``linked`` pairwise links (derivative, same_story) into a story of ``size`` documents add:
        the whole ``link_bonus`` where they reach sqrt(size) of its members, less where fewer do (one
        link to one member of a big story is weak evidence against the story as a whole)."""
        if not linked or not size:
            return 0.0
        return self.config.link_bonus * min(1.0, linked / math.sqrt(size))

    def needed(self, a: _Profile, b: _Profile, base: float) -> float:
        """The score needed between profiles ``a`` and ``b``: more the bigger the bigger side, and the
        further apart their times (each side's first ``span_days`` days, see the module)."""
        c = self.config
        big = max(a.n, b.n)
        if c.size_step and big > c.size_free:
            base += c.size_step * math.log2(big / c.size_free)
        if a.first is None or b.first is None or a.last is None or b.last is None:
            return base
        a_last = min(a.last, a.first + c.span_days) if c.span_days else a.last
        b_last = min(b.last, b.first + c.span_days) if c.span_days else b.last
        gap = max(0, a.first - b_last, b.first - a_last)
        return base + self.config.per_day * max(0, gap - self.config.window_days)

    # --- changes ------------------------------------------------------------------------------
    def _new_id(self, first: str) -> str:
        sid, n = story_id([first]), 1
        while sid in self.stories:  # only when a re-read document started a story that lives on
            n += 1
            sid = story_id([f"{first}#{n}"])
        return sid

    def _index(self, s: _Story, keys: Set[str]) -> None:
        new = keys - s.keys
        for k in new:
            self.postings[k].add(s.id)
        if self._numbered and new:
            num = self._num.get(s.id)
            if num is None:
                num = self._num[s.id] = len(self._sid)
                self._sid.append(s.id)
                if num == len(self._rank):
                    self._rank = np.concatenate([self._rank, np.empty(num, np.int64)])
                self._rank[num] = int(s.id[2:], 16) if _ID.fullmatch(s.id) else -1
            held = self._held
            for k in new:
                got = held.get(k)
                if got is None:
                    held[k] = array("q", (num,))
                else:
                    got.append(num)
        s.keys |= keys

    def _extend(self, s: _Story, docs: Sequence[DocSummary], prof: _Profile) -> None:
        s.members.extend(d.id for d in docs)
        s.profile.add(prof)
        for d in docs:
            self.story_of[d.id] = s.id
        self._index(s, set().union(*(self.keys_of(d) for d in docs)) if docs else set())

    def _start(self, docs: Sequence[DocSummary], prof: _Profile, sid: str | None = None) -> _Story:
        first = min(docs, key=lambda d: d.key)
        s = _Story(sid or self._new_id(first.id), first.key, [], _Profile(), set())
        self.stories[s.id] = s
        self._extend(s, docs, prof)
        return s

    def _merge(self, keep: _Story, gone: _Story) -> _Story:
        if gone.key < keep.key:
            keep, gone = gone, keep
        for k in gone.keys:
            self.postings[k].discard(gone.id)
        num = self._num.pop(gone.id, None)
        if num is not None:
            for k in gone.keys:
                got = self._held.get(k)
                if got is not None and num in got:
                    got.remove(num)  # (each number once: ``_index`` adds a key a story does not hold yet)
        keep.members.extend(gone.members)
        keep.profile.add(gone.profile)
        for m in gone.members:
            self.story_of[m] = keep.id
        self._index(keep, gone.keys)
        keep.key = min(keep.key, gone.key)
        del self.stories[gone.id]
        self.merged.append((keep.id, gone.id))
        return keep

    def load(self, sid: str, docs: Sequence[DocSummary]) -> None:
        """A story as an earlier run left it (its id kept)."""
        if docs:
            self._start(sorted(docs, key=lambda d: d.key), self.profile(docs), sid)

    def candidates(self, docs: Sequence[DocSummary], linked: Iterable[str]) -> list[str]:
        """The stories linked to ``docs`` by a derivative or same_story pair, and of the stories sharing
        an index key with them the ``max_candidates`` sharing the most keys (ties: the smaller id).

        Only these are scored: in a corpus of many look-alike reports (Reuters' thousands of quarterly
        results share their top words) a component shares a key with thousands of stories, most of
        them through one or two common words.
        """
        keys = set().union(*(self.keys_of(d) for d in docs)) if docs else set()
        cap, most = self.config.max_candidates, self.config.max_postings
        out: set[str]
        if self._numbered:
            held = self._held
            lists = [h for k in keys if (h := held.get(k)) and len(h) <= most]
            out = self._most_shared(lists, cap) if lists else set()
        else:
            shared: Counter[str] = Counter()
            for k in sorted(keys):
                ids = self.postings.get(k)
                if ids and len(ids) <= most:
                    shared.update(ids)
            if len(shared) > cap:  # the cap sharing the most keys, ties by id: all above the cap-th count, then ids
                cut = sorted(shared.values(), reverse=True)[cap - 1] if cap else max(shared.values()) + 1
                out = {sid for sid, n in shared.items() if n > cut}
                out.update(sorted(sid for sid, n in shared.items() if n == cut)[: cap - len(out)])
            else:
                out = set(shared)
        out.update(self.story_of[x] for x in linked if x in self.story_of)
        return sorted(out)

    def _most_shared(self, lists: list[array[int]], cap: int) -> set[str]:
        """``candidates``' count over the numbered postings ``lists`` (of the keys a component shares): the
        ids of the ``cap`` stories holding the most of them, ties by id, as the ``Counter`` path picks them."""
        nums, shared = np.unique(np.frombuffer(b"".join(lists), np.int64), return_counts=True)
        sid = self._sid
        if len(nums) <= cap:
            return {sid[i] for i in nums.tolist()}
        if not cap:
            return set()
        cut = np.partition(shared, len(nums) - cap)[len(nums) - cap]  # the cap-th largest count
        out = {sid[i] for i in nums[shared > cut].tolist()}
        ties, room = nums[shared == cut], cap - len(out)
        if len(ties) <= room:
            out.update(sid[i] for i in ties.tolist())
            return out
        rank = self._rank[ties]
        if rank.min() >= 0:  # ids "s-" + 12 hex digits, each its own number: the ``room`` smallest numbers
            out.update(sid[i] for i in ties[np.argpartition(rank, room - 1)[:room]].tolist())
        else:
            out.update(sorted(sid[i] for i in ties.tolist())[:room])
        return out

    def _candidates(self, docs: Sequence[DocSummary], linked: set[str]) -> list[str]:
        """``candidates`` of the component ``add`` places (a subclass may have found them already)."""
        return self.candidates(docs, linked)

    def _fresh_profile(self, fresh: list[DocSummary]) -> _Profile:
        """The profile of the component's documents not placed yet (a subclass may have made it already)."""
        return self.profile(fresh)

    def add(self, docs: Sequence[DocSummary], linked: Iterable[str] = (), apart: Iterable[str] = ()) -> str:
        """Place one level-1 component (documents known to share text); returns its story's id.

        ``linked``: documents (already placed) that a derivative or same_story pair links to the component;
        ``apart``: documents a ``template`` pair ties to it (one form, other facts): their stories are
        other events, never joined or merged with it.
        """
        docs = sorted(docs, key=lambda d: d.key)
        linked = set(linked)
        prior = sorted({self.story_of[d.id] for d in docs if d.id in self.story_of}, key=lambda s: self.stories[s].key)
        fresh = [d for d in docs if d.id not in self.story_of]
        prof = self._fresh_profile(fresh)
        if prior:  # level 1 decides: text shared with placed documents puts the component with them
            story = self.stories[prior[0]]
            for gone in prior[1:]:
                story = self._merge(story, self.stories[gone])
            self._extend(story, fresh, prof)
            return story.id
        linked_members: Counter[str] = Counter(self.story_of[x] for x in linked if x in self.story_of)
        other_events = {self.story_of[x] for x in apart if x in self.story_of}
        scored: list[tuple[float, tuple[str, str, str], str]] = []
        stories, c = self.stories, self.config
        # The hot loop: ``needed(prof, s.profile, join)`` and ``upper(prof, s.profile)`` written out, with
        # what they read of ``prof`` taken once (the same operations on the same floats, in the same order).
        join, step, free, span, window, per_day, w = c.join, c.size_step, c.size_free, c.span_days, c.window_days, c.per_day, c.names_weight
        an, af, al = prof.n, prof.first, prof.last
        dated = af is not None and al is not None
        a_last = (min(al, af + span) if span else al) if af is not None and al is not None else 0
        ta, na = prof.norms()
        la = prof.main_leads() if c.strangers else ()
        pnames = prof.names
        pkeys, pvals = prof.sorted_names()
        log2 = math.log2
        found = self._candidates(docs, linked)
        if other_events:
            found = [sid for sid in found if sid not in other_events]
        self.scored += len(found)
        for sid in found:
            s = stories[sid]
            sp = s.profile
            lm = linked_members.get(sid, 0) if linked_members else 0
            bonus = self.bonus(lm, sp.n) if lm else 0.0
            # ``upper(prof, sp)``: its cases in another order (each pure; the strangers' test, which settles
            # most candidates on BBC, before the norms)
            snames = sp.names
            if la and (lb := sp._main if sp._main is not None else sp.main_leads()) and not all(map(snames.__contains__, la)) \
                    and not all(map(pnames.__contains__, lb)):
                up = 0.0  # strangers
            else:
                tb, nb = sp._norms or sp.norms()
                if not ta or not tb:
                    up = 0.0
                elif not na or not nb:
                    up = 1.0 + 1e-6
                else:
                    if len(pnames) <= len(snames):
                        x = sum(map(mul, pvals, map(snames.get, pkeys, repeat(0.0)))) / (na * nb)
                    else:
                        keys, vals = sp.sorted_names()
                        x = sum(map(mul, vals, map(pnames.get, keys, repeat(0.0)))) / (na * nb)
                    up = 0.0 if x <= 0.0 else x**w * (1.0 + 1e-6) + 1e-6
            if up + bonus < join:
                continue  # short of ``join``, which ``needed`` only adds to
            # ``needed(prof, sp, join)``
            need, big = join, max(an, sp.n)
            if step and big > free:
                need += step * log2(big / free)
            if dated and sp.first is not None and sp.last is not None:
                b_last = min(sp.last, sp.first + span) if span else sp.last
                need = need + per_day * max(0, max(0, af - b_last, sp.first - a_last) - window)  # type: ignore[operator]
            if up + bonus < need:
                continue  # cannot reach the score needed, whatever its content words
            if not bonus and not self.shares_enough(prof, sp):
                continue  # no pair links them, and they share too little to be one event
            sc = self.score(prof, sp) + bonus
            if sc >= need:
                scored.append((-sc, s.key, sid))
        return self._settle(docs, prof, scored, other_events)

    def _settle(self, docs: Sequence[DocSummary], prof: _Profile, scored: list[tuple[float, tuple[str, str, str], str]],
                other_events: Set[str]) -> str:
        """Place a component (``docs``, profile ``prof``) after its candidates were scored: in the best
        story of ``scored`` (``(-score, key, id)``), where a bridging component then merges the others
        that now fit that story, or in a new story where none reached its score needed; its story's id."""
        if not scored:
            return self._start(docs, prof).id
        scored.sort()
        story = self.stories[scored[0][2]]
        self._extend(story, docs, prof)
        for _, _, other_id in scored[1:]:  # a bridging component: merge the others that now fit the story
            other = self.stories.get(other_id)
            if other is None or other is story or other_id in other_events:
                continue
            self.scored += 1
            need = self.needed(story.profile, other.profile, self.config.merge)
            if self.upper(story.profile, other.profile) >= need and self.score(story.profile, other.profile) >= need:
                story = self._merge(story, other)
        return story.id

    def assignment(self) -> dict[str, str]:
        return dict(sorted(self.story_of.items()))


def assign(
    summaries: Mapping[str, DocSummary],
    components: Iterable[Sequence[str]],
    links: Iterable[tuple[str, str]],
    idf: Mapping[str, float],
    config: StoryConfig | None = None,
    prior: Mapping[str, str] | None = None,
    apart: Iterable[tuple[str, str]] = (),
    index_type: type[StoryIndex] | None = None,
    counts: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """Document id -> story id for every summarised document.

    ``components``: the level-1 components (every document in one); ``links``: derivative and same_story pairs;
    ``prior``: the assignment an earlier run stored (its stories keep their ids and members); ``apart``:
    template pairs (``template_links``), whose two sides level 2 never puts in one story; ``index_type``:
    ``LazyStoryIndex`` to profile only the stored stories the new components reach (the same answer).
    ``counts``: an idf whose document counts decide which keys are banal or specific; the engines pass
    ``level2_idf`` of the summaries (headline words counted), and the corpus idf as ``idf``.
    """
    return build_index(summaries, components, links, idf, config, prior, apart, index_type, counts).assignment()


def build_index(
    summaries: Mapping[str, DocSummary],
    components: Iterable[Sequence[str]],
    links: Iterable[tuple[str, str]],
    idf: Mapping[str, float],
    config: StoryConfig | None = None,
    prior: Mapping[str, str] | None = None,
    apart: Iterable[tuple[str, str]] = (),
    index_type: type[StoryIndex] | None = None,
    counts: Mapping[str, float] | None = None,
    own: Callable[[list[DocSummary]], Iterable[list[tuple[_Profile, frozenset[str]]]]] | None = None,
) -> StoryIndex:
    """``assign``'s index after placing every component (its stories, profiles and postings).

    ``own``: given the documents to place, in the order placing reads them, their ``StoryIndex.own_parts``
    batch by batch, in that order (an executor's workers make them while this process places: the same
    answer as making them here, which it does without ``own``)."""
    index = (index_type or StoryIndex)(idf, config, counts)
    by_story: dict[str, list[DocSummary]] = defaultdict(list)
    for doc_id, sid in sorted((prior or {}).items()):
        if doc_id in summaries:
            by_story[sid].append(summaries[doc_id])
    for sid, docs in sorted(by_story.items()):
        index.load(sid, docs)
    linked: dict[str, set[str]] = defaultdict(set)
    for a, b in links:
        linked[a].add(b)
        linked[b].add(a)
    todo = []
    for comp in components:
        docs = [summaries[m] for m in comp if m in summaries]
        if docs and any(d.id not in index.story_of for d in docs) or len({index.story_of.get(d.id) for d in docs}) > 1:
            todo.append(sorted(docs, key=lambda d: d.key))
    unlike: dict[str, set[str]] = defaultdict(set)
    for a, b in apart:
        unlike[a].add(b)
        unlike[b].add(a)
    order = sorted(todo, key=lambda ds: ds[0].key)
    made: Iterator[tuple[_Profile, frozenset[str]]] = iter(())
    fresh: list[list[DocSummary]] = []
    if own is not None:
        # A document is in one component: those not placed now are the fresh ones when their component is added.
        fresh = [[d for d in docs if d.id not in index.story_of] for docs in order]
        made = chain.from_iterable(own([d for ds in fresh for d in ds]))
    for n, docs in enumerate(order):
        if own is not None:
            for d in fresh[n]:
                index.take(d, *next(made))
        index.add(docs, set().union(*(linked.get(d.id, set()) for d in docs)), set().union(*(unlike.get(d.id, set()) for d in docs)))
    return index


class LazyStoryIndex(StoryIndex):
    """A ``StoryIndex`` whose loaded stories are profiled only when a component can reach them (a story
    of one of its members, or one of its candidates), just before ``add`` reads them: the same
    placements as profiling every stored story on loading, for the few a batch of new documents
    reaches. (Their index keys, which the postings need, are still computed on loading.)"""

    def __init__(
        self, idf: Mapping[str, float], config: StoryConfig | None = None, counts: Mapping[str, float] | None = None
    ) -> None:
        super().__init__(idf, config, counts)
        self._pending: dict[str, list[DocSummary]] = {}
        self._found: list[str] | None = None  # the candidates ``add`` found, for ``StoryIndex.add`` to read
        self._made: tuple[list[DocSummary], _Profile] | None = None  # (its fresh documents, their profile)

    def load(self, sid: str, docs: Sequence[DocSummary]) -> None:
        if docs:
            # As StoryIndex.load, less the profile: an empty one now, the members' added by ``_ready``
            # (adding to an empty profile gives the same floats either way).
            self._start(sorted(docs, key=lambda d: d.key), _Profile(), sid)
            self._pending[sid] = list(docs)

    def _ready(self, sid: str) -> None:
        docs = self._pending.pop(sid, None)
        if docs is not None:
            self.stories[sid].profile.add(self.profile(docs))

    def add(self, docs: Sequence[DocSummary], linked: Iterable[str] = (), apart: Iterable[str] = ()) -> str:
        linked = set(linked)
        for d in docs:
            if d.id in self.story_of:
                self._ready(self.story_of[d.id])
        # The profile of the documents not placed yet, in ``StoryIndex.add``'s order, made before the
        # candidates: it makes their index keys from the same weights (``_own``).
        fresh = [d for d in sorted(docs, key=lambda d: d.key) if d.id not in self.story_of]
        self._made = (fresh, self.profile(fresh))
        found = self.candidates(docs, linked)
        for sid in found:  # every story ``add`` may score or merge is among these
            self._ready(sid)
        # Profiling changes no postings: the candidates are the same when ``StoryIndex.add`` asks.
        self._found = found
        try:
            return super().add(docs, linked, apart)
        finally:
            self._found = None
            self._made = None

    def _fresh_profile(self, fresh: list[DocSummary]) -> _Profile:
        made = self._made
        if made is not None and len(made[0]) == len(fresh) and all(map(operator.is_, made[0], fresh)):
            return made[1]
        return self.profile(fresh)

    def _candidates(self, docs: Sequence[DocSummary], linked: set[str]) -> list[str]:
        found = self._found
        return found if found is not None else self.candidates(docs, linked)

    def ready_all(self) -> None:
        """Profile every loaded story not profiled yet (to keep the whole index)."""
        for sid in sorted(self._pending):
            self._ready(sid)


def groups(assignment: Mapping[str, str]) -> dict[str, list[str]]:
    """Story id -> sorted member ids."""
    out: dict[str, list[str]] = defaultdict(list)
    for doc_id, sid in assignment.items():
        out[sid].append(doc_id)
    return {sid: sorted(m) for sid, m in sorted(out.items())}
