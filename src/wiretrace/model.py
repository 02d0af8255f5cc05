"""The nouns of wiretrace: documents, spans, passages, pairs, stories. Nothing else lives here.

Every offset is a character offset ``[start, end)`` into ``Document.text``, the raw text as read
(decoded to ``str``). Stages mark spans; none rewrites the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class NoiseKind(StrEnum):
    """Kinds of removed spans (cleaning). ``body`` is not among them: body spans are listed apart."""

    TITLE = "title"
    TITLE_REPEAT = "title_repeat"
    STANDFIRST = "standfirst"
    CAPTION = "caption"
    BYLINE = "byline"
    DATELINE_META = "dateline_meta"
    BOILERPLATE = "boilerplate"
    APPEAL = "appeal"
    TEASERS = "teasers"
    COMMENTS = "comments"
    OTHER_ARTICLE = "other_article"


BODY = "body"  # the segment kind of story text (not a NoiseKind)


class Relation(StrEnum):
    """How document a relates to document b (the report's ``relation``)."""

    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    CONTAINS = "contains"
    PARAPHRASE = "paraphrase"
    DERIVATIVE = "derivative"
    SAME_STORY = "same_story"
    TEMPLATE = "template"  # one form, other facts: not reuse, never joins a story


class PassageKind(StrEnum):
    VERBATIM = "verbatim"
    NEAR_VERBATIM = "near_verbatim"
    PARAPHRASE = "paraphrase"


class Direction(StrEnum):
    """A pair's direction: ``a<-b`` a took from b; ``a->b`` b took from a; ``none`` not told."""

    A_FROM_B = "a<-b"
    B_FROM_A = "a->b"
    NONE = "none"


class EdgeDirection(StrEnum):
    """An edge's direction: ``child<-parent`` the evidence says the child took from the parent;
    ``child->parent`` it says the reverse (the tree placed the child by rank); ``none`` nothing tells."""

    FROM_PARENT = "child<-parent"
    TO_PARENT = "child->parent"
    NONE = "none"


class Format(StrEnum):
    """The input format a document was read from."""

    TEXT = "text"
    HTML = "html"
    JSONL = "jsonl"
    WARC = "warc"
    JSON = "json"  # posted to the service as a JSON object


NOISE_KINDS = tuple(NoiseKind)
RELATIONS = tuple(Relation)
# Relations that say one text was made from the other (``template``: one form, other facts, is not).
REUSE_RELATIONS = (
    Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.CONTAINS, Relation.PARAPHRASE, Relation.DERIVATIVE,
)
PASSAGE_KINDS = tuple(PassageKind)
DIRECTIONS = tuple(Direction)
EDGE_DIRECTIONS = tuple(EdgeDirection)


@dataclass(frozen=True, slots=True)
class Span:
    """A ``[start, end)`` character range of a document's raw text, with what it is."""

    start: int
    end: int
    kind: str = BODY

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Document:
    """One input document as read. ``text`` is what every offset indexes.

    For HTML, ``text`` is the page's whole visible text in reading order (blocks joined by blank
    lines) and ``hints`` holds the blocks that the markup-level extractor judged to be main content
    (kind ``"markup_body"``), so cleaning can weigh them; cleaning still decides.
    """

    id: str
    text: str
    path: str
    format: Format
    encoding: str = "utf-8"
    source: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None  # ISO date "YYYY-MM-DD", as stored and reported
    hints: tuple[Span, ...] = ()
    day: date | None = field(init=False, default=None, repr=False, compare=False)  # ``published``, parsed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", iso_day(self.published))


@dataclass(frozen=True, slots=True)
class DocMeta:
    """A stored document without its text (what lists and tables show)."""

    id: str
    source: str | None
    url: str | None
    title: str | None
    published: str | None
    chars: int
    format: Format
    path: str
    day: date | None = field(init=False, default=None, repr=False, compare=False)  # ``published``, parsed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", iso_day(self.published))


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that could not be read, with the reason a person can act on."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Cues:
    """Provenance cues in a document's own words: ``dateline``, the agency its text opens with
    ("MOSCOW (AP) -": "AP"); ``attribution``, the outlet it credits ("..., Reuters reported"). None: absent."""

    dateline: str | None = None
    attribution: str | None = None

    def to_json(self) -> dict[str, str]:
        """The stored form: the cues present, by name."""
        return {k: v for k, v in (("dateline", self.dateline), ("attribution", self.attribution)) if v is not None}

    @classmethod
    def from_json(cls, d: dict[str, str]) -> Cues:
        return cls(d.get("dateline"), d.get("attribution"))


NO_CUES = Cues()


@dataclass(frozen=True, slots=True)
class Segment:
    """A block or sentence of a document with the cleaner's verdict and why it was reached."""

    start: int
    end: int
    kind: str  # "body" or one of NOISE_KINDS
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The cleaner's verdict for one document: contiguous, non-overlapping segments."""

    doc_id: str
    segments: tuple[Segment, ...]

    @property
    def body(self) -> tuple[tuple[int, int], ...]:
        return merge_ranges((s.start, s.end) for s in self.segments if s.kind == BODY)

    @property
    def removed(self) -> tuple[Span, ...]:
        return tuple(Span(s.start, s.end, s.kind) for s in self.segments if s.kind != BODY)

    @property
    def content(self) -> tuple[tuple[int, int], ...]:
        """What pairs are compared on: the body, plus a second article the page carries."""
        return self.spans_of(BODY, NoiseKind.OTHER_ARTICLE)

    def spans_of(self, *kinds: str) -> tuple[tuple[int, int], ...]:
        return merge_ranges((s.start, s.end) for s in self.segments if s.kind in kinds)


@dataclass(frozen=True, slots=True)
class Passage:
    """An aligned pair of ranges: ``a`` in document a, ``b`` in document b."""

    a: tuple[int, int]
    b: tuple[int, int]
    kind: PassageKind
    score: float


@dataclass(frozen=True, slots=True)
class Scores:
    lexical: float  # share of word 5-grams in common (containment of the smaller side)
    semantic: float | None  # cosine of the mean sentence vectors; None where lexical evidence sufficed
    a_covered: float  # share of a's compared text covered by passages
    b_covered: float


@dataclass(frozen=True, slots=True)
class Pair:
    """How document a relates to document b, and the passages that show it."""

    a: str
    b: str
    relation: Relation
    direction: Direction  # "a<-b": a took from b; "a->b": b took from a; "none": not told
    scores: Scores
    passages: tuple[Passage, ...] = ()
    reasons: tuple[str, ...] = ()  # which candidate paths proposed the pair
    # ``template`` pairs: the fillers that differ, (range in a, range in b) each
    slots: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """How text b relates to text a (``compare``): a pair's fields, with ``relation`` None where
    nothing relates them (no relation of the contract holds); the scores and passages are still given."""

    a: str
    b: str
    relation: Relation | None
    direction: Direction
    scores: Scores
    passages: tuple[Passage, ...] = ()
    reasons: tuple[str, ...] = ()
    slots: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()

    @classmethod
    def of(cls, pair: Pair) -> Comparison:
        return cls(pair.a, pair.b, pair.relation, pair.direction, pair.scores, pair.passages, pair.reasons, pair.slots)

    @property
    def pair(self) -> Pair | None:
        """The related pair, or None where the texts are unrelated."""
        if self.relation is None:
            return None
        return Pair(self.a, self.b, self.relation, self.direction, self.scores, self.passages, self.reasons, self.slots)


@dataclass(frozen=True, slots=True)
class Edge:
    """One branch of a story's derivation tree: ``child`` hangs under ``parent``.

    ``relation`` reads "child RELATION parent"; ``direction`` (one of EDGE_DIRECTIONS) says whether
    the evidence (dates, datelines, credit, containment, which side holds what the other lacks)
    shows the child took from the parent; each ``evidence`` line names its kind ("dates: ...").
    """

    child: str
    parent: str
    relation: Relation
    evidence: tuple[str, ...] = ()
    direction: EdgeDirection = EdgeDirection.NONE


@dataclass(frozen=True, slots=True)
class DocSpans:
    document: str
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One sentence of a story's extractive summary: where it stands and which members carry it."""

    document: str
    span: tuple[int, int]
    sources: tuple[str, ...]  # members holding this sentence or a close variant (its own document first)
    score: float  # centrality: how strongly the other members carry it


@dataclass(frozen=True, slots=True)
class Story:
    """A story: its members, origin (None when the evidence cannot single one out, as
    ``origin_evidence`` then says), derivation tree, consolidated text and summary."""

    id: str
    title: str
    documents: tuple[str, ...]
    origin: str | None
    edges: tuple[Edge, ...]
    canonical: DocSpans | None
    additions: tuple[DocSpans, ...]
    origin_evidence: tuple[str, ...] = ()
    headline: str = ""
    headline_source: str | None = None  # the member whose title the headline is
    summary: tuple[SummaryLine, ...] = ()


@dataclass(slots=True)
class Report:
    """What a run produced: the report contract's content, as objects."""

    documents: list[Document] = field(default_factory=list)
    cleaned: dict[str, Cleaned] = field(default_factory=dict)
    pairs: list[Pair] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def iso_day(published: str | None) -> date | None:
    """The calendar day of an ISO ``published`` value ("YYYY-MM-DD", a time may follow), or None.
    Documents parse theirs once, when built (``Document.day``); nothing else re-reads the string."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def merge_ranges(ranges: object) -> tuple[tuple[int, int], ...]:
    """Sort and merge touching or overlapping ``(start, end)`` ranges; drop empty ones."""
    out: list[list[int]] = []
    for s, e in sorted(r for r in ranges if r[1] > r[0]):  # type: ignore[attr-defined]
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)
