"""The pure stage functions: what each stage does to one document, one pair or one story, and to a
batch of them. No store, no files, no processes: the local engine runs these in worker processes
(``engine.LocalExecutor``), the Spark engine inside ``mapPartitions`` (``spark_jobs.stages``), and
the answers are the same wherever they run.

A batch function takes what the stage needs of a batch (documents, their cleaning, candidate pairs
with both sides) and the stage's shared context (the corpus's boilerplate, idf, common anchors), and
returns the results in the order of its input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from wiretrace.align import AlignConfig, Alignment, align, identical_alignment, whole_text_alignment
from wiretrace.candidates.lexical import CandidateConfig, CandidateIndex
from wiretrace.clean import CleanConfig, clean
from wiretrace.config import check_types
from wiretrace.embed.gather import gathered
from wiretrace.embed.minilm import Embedder, SentenceReader
from wiretrace.errors import ConfigError
from wiretrace.ingest import IngestConfig
from wiretrace.model import (
    REUSE_RELATIONS,
    Cleaned,
    Cues,
    Direction,
    Document,
    NoiseKind,
    Pair,
    PassageKind,
    Relation,
    Scores,
    Story,
)
from wiretrace.relate.pair import Common, RelateConfig, common_cut, cues, days_apart, relate, specific
from wiretrace.relate.template import Side, TemplateVerdict, template
from wiretrace.sketch import Sketch, SketchConfig, sketch, sketch_batch
from wiretrace.stories import StoryConfig
from wiretrace.text.topic import cosine, idf_from_counts, ranges_words
from wiretrace.trace.provenance import TraceConfig, trace_story


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Every stage's settings; each is validated when built."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    sketch: SketchConfig = field(default_factory=SketchConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    relate: RelateConfig = field(default_factory=RelateConfig)
    trace: TraceConfig = field(default_factory=TraceConfig)
    stories: StoryConfig = field(default_factory=StoryConfig)
    batch: int = 256  # documents or pairs per stored transaction, and per batch a worker is given
    workers: int = 0  # worker processes of the local engine: 0 for every core, 1 to run in this process

    def __post_init__(self) -> None:
        check_types("run", self)
        if self.batch < 1:
            raise ConfigError("run", "batch", self.batch, "a positive number of documents or pairs")
        if self.workers < 0:
            raise ConfigError("run", "workers", self.workers, "0 (every core) or a positive number of worker processes")



@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything relating needs of one document: its text, its cleaning, its sketch, its cues."""

    doc: Document
    cleaned: Cleaned
    sketch: Sketch
    cues: Cues


def doc_cues(doc: Document, cleaned: Cleaned) -> Cues:
    body = cleaned.body
    return cues(doc, body[0][0] if body else None)


def prepare(doc: Document, cleaned: Cleaned, config: RunConfig) -> tuple[Document, Sketch, Cues]:
    return doc, sketch(doc, cleaned, config.sketch), doc_cues(doc, cleaned)


def idf_from_sketches(sketches: Iterable[Sketch]) -> dict[str, float]:
    """Smoothed idf of content words over every stored document (the same for any order or engine)."""
    df: Counter[str] = Counter()
    n = 0
    for sk in sketches:
        df.update(sk.topic.keys())
        n += 1
    return idf_from_counts(df, n)


def alignment(
    a: Prepared, b: Prepared, config: RunConfig, embedder: SentenceReader | None, semantic: bool = True,
    topic: float | None = None, passages_only: bool = False, veto: Callable[[], bool] | None = None,
) -> Alignment:
    """``align`` of two prepared documents. ``topic`` (their content-word cosine, where the caller
    relates them): with it, the cascade leaves unmeasured a document cosine that cannot change the
    relation (``cosine_decides``); ``passages_only``: the caller reads the passages alone (the trace),
    so it never needs that cosine."""
    # The semantic cascade settles the document cosine against the same_story threshold that decides
    # the pair: the far one where the dates lie further apart than ``same_story_days``.
    gap = days_apart(a.doc, b.doc)
    far = gap is not None and gap > config.relate.same_story_days
    decides = not passages_only and (topic is None or cosine_decides(a, b, topic, far, config.relate))
    return align(
        a.doc.text, a.cleaned.content, b.doc.text, b.cleaned.content, config.align, embedder, semantic=semantic, far=far,
        cosine_decides=decides, veto=veto,
    )


def names_jaccard(a: Prepared, b: Prepared) -> float:
    """Share of the names either document gives that both give."""
    na, nb = a.sketch.names, b.sketch.names
    return len(na & nb) / len(na | nb) if na | nb else 0.0


def cosine_decides(a: Prepared, b: Prepared, topic: float, far: bool, config: RelateConfig) -> bool:
    """Whether the document cosine can change the pair's relation. It is read only by the same_story
    test (``relate._same_story``), after every reuse relation: where the topic is too far apart for
    same_story, or the reports lie within ``same_story_days`` and share enough names
    (``same_story_names``), that test's answer is known without it."""
    if topic < config.same_story_topic:
        return False
    return far or names_jaccard(a, b) < config.same_story_names


def identical_bodies(a: Prepared, b: Prepared) -> bool:
    """Both pages are one body and nothing else compared (no second article), with the same words:
    their alignment is known without running it (``align.identical_alignment``)."""
    return (
        a.sketch.n_words > 0
        and a.sketch.body_hash == b.sketch.body_hash
        and a.sketch.n_words == b.sketch.n_words
        and a.cleaned.content == a.cleaned.body
        and b.cleaned.content == b.cleaned.body
    )


def relate_pair(
    a: Prepared, b: Prepared, idf: Mapping[str, float] | None, config: RunConfig, embedder: SentenceReader | None,
    reasons: tuple[str, ...] = (), common: Common | None = None, n_docs: float | None = None,
) -> Pair | None:
    """Align and relate one candidate pair. Pure but for the embedding cache.

    ``common``: the anchors common to many documents of the corpus (their passages are weak
    evidence); ``n_docs``: the corpus size behind ``idf``. A pair the alignment calls reuse is then
    tested for one form filled with other facts (``template``)."""
    # Cascade: the embedding pass only for pairs whose content words say they share a topic.
    topic = cosine(a.sketch.topic, b.sketch.topic, idf)
    semantic = topic >= config.align.topic_cos
    side_a = Side(a.doc.text, a.cleaned.content, headline(a))
    side_b = Side(b.doc.text, b.cleaned.content, headline(b))
    mould: list[TemplateVerdict | None] = []

    def one_form() -> bool:
        # Asked just before the transformer would read the pair: two texts of one form filled with
        # other facts end as ``template`` whatever it finds (a reuse or same_story verdict is tested
        # for that form afterwards; without one, the shared form is still what there is to say).
        mould.append(template(side_a, side_b, idf, align_config=config.align, n_docs=n_docs, days=days_apart(a.doc, b.doc)))
        return mould[0] is not None

    veto = one_form if config.relate.templates else None
    if identical_bodies(a, b):
        # Fast path: the same words on both sides align whole, word for word; no seeds, no chains.
        al = identical_alignment(a.doc.text, a.cleaned.body, b.doc.text, b.cleaned.body, config.align)
        if al is None:
            al = alignment(a, b, config, embedder, semantic=semantic, topic=topic, veto=veto)
    else:
        al = alignment(a, b, config, embedder, semantic=semantic, topic=topic, veto=veto)
    early = mould[0] if al.vetoed else None  # the veto said yes: the verdict it read
    if early is not None:
        return Pair(
            a.doc.id, b.doc.id, Relation.TEMPLATE, Direction.NONE,
            Scores(al.lexical, None, round(al.a_covered, 4), round(al.b_covered, 4)),
            tuple(sorted(al.passages, key=lambda p: (p.a, p.b))),
            tuple(reasons) + ("one form found before the semantic pass: its sentences were not read", early.reason()),
            early.slots,
        )
    same = a.sketch.n_words > 0 and a.sketch.body_hash == b.sketch.body_hash
    if not al.passages:
        # One text twice, whose body cleaning cut to too few words to align (a short notice whose lines
        # recur in the corpus): the copies are aligned whole, raw text against raw text.
        whole = whole_text_alignment(a.doc.text, b.doc.text)
        if whole is not None:
            al, same = whole, True
            reasons = tuple(reasons) + ("identical texts (the body cleaning kept is too short to align)",)
    nj = names_jaccard(a, b)
    spec = specific(a.doc.text, b.doc.text, al, common) if common is not None and common.anchors and al.passages else None
    pair = relate(
        a.doc, b.doc, al, config.relate, same_body=same, cues_a=a.cues, cues_b=b.cues,
        names_jaccard=nj, topic=topic, reasons=reasons, spec=spec,
    )
    if pair is None or pair.relation not in _TEMPLATE_TESTED or not config.relate.templates:
        return pair
    copies = same and pair.relation == Relation.DUPLICATE  # the same words: only the headlines can tell
    verdict = template(
        side_a, side_b, idf, align_config=config.align, copies=copies, n_docs=n_docs, days=days_apart(a.doc, b.doc),
        rewritten=tuple((p.a, p.b) for p in al.passages if p.kind != PassageKind.VERBATIM),
        matched=tuple((p.a, p.b) for p in al.passages), paraphrased=any(p.kind == PassageKind.PARAPHRASE for p in al.passages),
    )
    if verdict is None:
        return pair
    return Pair(
        a.doc.id, b.doc.id, Relation.TEMPLATE, Direction.NONE, Scores(al.lexical, al.semantic, round(al.a_covered, 4), round(al.b_covered, 4)),
        tuple(sorted(al.passages, key=lambda p: (p.a, p.b))), tuple(reasons) + (verdict.reason(),), verdict.slots,
    )


# Reuse, and same_story: two briefs of one form about two subjects are not one event either.
_TEMPLATE_TESTED = frozenset(REUSE_RELATIONS) | {Relation.SAME_STORY}


def headline(item: Prepared) -> str | None:
    """The document's headline: its title field, else the title line the cleaner took out of the body."""
    if item.doc.title:
        return item.doc.title
    spans = item.cleaned.spans_of(NoiseKind.TITLE)
    return item.doc.text[spans[0][0] : spans[0][1]] if spans else None



def uses_embedding_path(config: RunConfig) -> bool:
    """The embedding candidate path runs where alignment is semantic (else it could not relate its pairs)."""
    return config.candidates.embedding and config.align.semantic



def common_anchors(index: CandidateIndex, config: RunConfig) -> Common:
    """The anchors common to many distinct bodies of every indexed document (``relate.Common``)."""
    sk = index.sketches
    cut = common_cut(len(sk), config.relate)
    holders = ((a, (sk[d].body_hash for d in docs)) for a, docs in index.by_anchor.items() if len(docs) >= cut)
    return Common.count(holders, len(sk), config.relate, config.sketch.shingle, config.sketch.anchor_modulus)



def title_words(doc: Document, cleaned: Cleaned) -> Counter[str]:
    """Content words of the headline(s) the cleaner removed from the body (level 2 reads them), or of
    the headline the input gave apart from the text (a JSONL ``title``, a page's metadata): in wire
    briefs the headline alone names the company the body is about."""
    spans = cleaned.spans_of(NoiseKind.TITLE)
    if spans or not doc.title or doc.title.strip() in doc.text:
        return ranges_words(doc.text, spans)
    return ranges_words(doc.title, ((0, len(doc.title)),))




# --- batches: what a worker (or a Spark partition) is given ---------------------------------------

PairKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class RelateContext:
    """What relating any pair of the corpus reads besides the pair: shared by every batch of a run."""

    config: RunConfig
    idf: Mapping[str, float] | None = None
    common: Common | None = None
    n_docs: float | None = None


@dataclass(frozen=True, slots=True)
class StoryTask:
    """One story to trace: its members (prepared) and the related pairs among them, in stored order."""

    id: str
    members: tuple[str, ...]
    items: Mapping[str, Prepared]
    pairs: tuple[Pair, ...]


def clean_docs(docs: Sequence[Document], boilerplate: frozenset[str], config: RunConfig) -> list[Cleaned]:
    """``clean`` each document with the corpus's learned boilerplate."""
    return [clean(d, config.clean, boilerplate) for d in docs]


def sketch_docs(docs: Sequence[Document], cleaned: dict[str, Cleaned], config: RunConfig) -> list[tuple[Sketch, Cues]]:
    """The sketch and cues of each document (one MinHash signature call for the batch)."""
    sks = sketch_batch(list(docs), cleaned, config.sketch)
    return [(sk, doc_cues(d, cleaned[d.id])) for d, sk in zip(docs, sks, strict=True)]


def relate_pairs(
    tasks: Iterable[tuple[PairKey, tuple[str, ...], Prepared, Prepared]], ctx: RelateContext, embedder: Embedder | None,
) -> list[tuple[PairKey, Pair | None]]:
    """``relate_pair`` on each candidate ``(key, reasons, item a, item b)``, in order; the sentences
    MiniLM reads for several pairs at once are embedded together where that changes no vector
    (``embed.gather``)."""

    def one(task: tuple[PairKey, tuple[str, ...], Prepared, Prepared], reader: SentenceReader | None) -> tuple[PairKey, Pair | None]:
        key, reasons, a, b = task
        return key, relate_pair(a, b, ctx.idf, ctx.config, reader, reasons, ctx.common, ctx.n_docs)

    return gathered(one, list(tasks), embedder, semantic=ctx.config.align.semantic)


def fast_path(a: Prepared, b: Prepared, config: RunConfig) -> bool:
    """The pair is related by the identical-body fast path, without aligning (counted in ``Stats``)."""
    return identical_bodies(a, b) and a.sketch.n_words >= max(config.align.seed, config.align.min_passage)


def trace_stories(tasks: Iterable[StoryTask], config: RunConfig, embedder: Embedder | None) -> list[Story]:
    """``trace_story`` on each story task, in order (the sentences MiniLM reads for several stories
    embedded together where that changes no vector: ``embed.gather``)."""

    def one(t: StoryTask, reader: SentenceReader | None) -> Story:
        items = t.items

        def align_fn(a: str, b: str) -> Alignment:
            return alignment(items[a], items[b], config, reader, passages_only=True)  # the trace reads passages

        return trace_story(
            t.id, list(t.members), {i: it.doc for i, it in items.items()}, {i: it.cleaned for i, it in items.items()},
            list(t.pairs), {i: it.cues for i, it in items.items()}, align_fn, config.trace,
        )

    return gathered(one, list(tasks), embedder, semantic=config.align.semantic)
