"""Query a store: "where did this text come from?" without re-running the corpus.

The text is cleaned and sketched like any document, candidates come from the store's indexes (and,
for a short or reworded passage that shares no n-gram, from the topic vectors of every stored
document), each candidate is aligned, and the matches are ranked by how much of the text they explain.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wiretrace.candidates.lexical import CandidateIndex
from wiretrace.clean import clean
from wiretrace.embed.minilm import Embedder
from wiretrace.engine.local import prepared
from wiretrace.engine.store import Store
from wiretrace.model import (
    BODY,
    Cleaned,
    Direction,
    Document,
    Format,
    Pair,
    PassageKind,
    Relation,
    Scores,
    Segment,
    Story,
    merge_ranges,
)
from wiretrace.stages import (
    Prepared,
    RunConfig,
    alignment,
    common_anchors,
    idf_from_sketches,
    prepare,
    relate_pair,
)
from wiretrace.text.topic import cosine

QUERY_ID = "\x00query"


@dataclass(frozen=True, slots=True)
class Match:
    document: str  # the stored document the text was found in
    story: Story | None
    pair: Pair  # the query is side a or b as the relation reads ("X contains query"); its id is QUERY_ID
    explained: float  # share of the query's words aligned to the document
    verbatim: float  # share of the query's characters in verbatim or near-verbatim passages


def where_from(
    store: Store, text: str, config: RunConfig | None = None, embedder: Embedder | None = None, top: int = 5,
    fallback: int = 10,
) -> list[Match]:
    """Stored documents that carry ``text`` (or a rewrite of it), best first, with their stories."""
    config = config or RunConfig()
    embedder = embedder or Embedder(cache=store.embedding_cache())
    doc = Document(QUERY_ID, text, "<query>", Format.TEXT)
    cl = clean(doc, config.clean)
    if not cl.body:  # a pasted paragraph is all body, whatever the cleaner thinks of its shape
        cl = Cleaned(QUERY_ID, (Segment(0, len(text), BODY, "query text"),))
    _, sk, cu = prepare(doc, cl, config)
    query = Prepared(doc, cl, sk, cu)
    sketches, cue_map = store.sketches()
    index = CandidateIndex(config.candidates)
    for s in sketches.values():
        index.insert(s)
    index.insert(sk)
    found = index.query(QUERY_ID)
    idf = idf_from_sketches(sketches.values())
    if len(found) < fallback:
        ranked = sorted(sketches.values(), key=lambda s: -cosine(sk.topic, s.topic, idf))
        for s in ranked[:fallback]:
            found.setdefault(s.doc_id, set()).add("topic")
    items = prepared(store, sorted(found), sketches, cue_map)
    story_of = {d: s for s in store.stories() for d in s.documents}
    # A few candidates, and the text may come from anywhere in a page: no topic or lead gate.
    qconfig = replace(config, align=replace(config.align, topic_cos=0.0, lead_cos=-1.0))
    common = common_anchors(index, config)  # as a run decides pairs: stock passages are weak evidence
    matches = []
    for doc_id in sorted(found):
        reasons = tuple(sorted(found[doc_id]))
        pair = relate_pair(query, items[doc_id], idf, qconfig, embedder, reasons, common, len(sketches) + 1)
        if pair is None:
            pair = _carried(items[doc_id], query, qconfig, embedder, reasons)
        if pair is None:
            continue
        side_a = pair.a == QUERY_ID
        explained = pair.scores.a_covered if side_a else pair.scores.b_covered
        lexical = merge_ranges((q.a if side_a else q.b) for q in pair.passages if q.kind != PassageKind.PARAPHRASE)
        verbatim = sum(e - s for s, e in lexical) / max(len(text), 1)
        matches.append(Match(doc_id, story_of.get(doc_id), pair, explained, round(verbatim, 4)))
    # Word-for-word carriers first, then the best rewrites; ties by id, never by arrival.
    matches.sort(key=lambda m: (-round(m.verbatim, 2), -m.explained, m.document))
    return matches[:top]


def _carried(
    stored: Prepared, query: Prepared, config: RunConfig, embedder: Embedder, reasons: tuple[str, ...],
    min_explained: float = 0.5,
) -> Pair | None:
    """A passage pasted from a page is no relation between two whole documents, but the page
    carries it: verbatim ("contains"), or reworded ("paraphrase" of the passage)."""
    al = alignment(stored, query, config, embedder)
    if al.b_covered < min_explained:
        return None
    verbatim = al.b_verbatim >= config.relate.contains_inner
    why = f"{al.b_covered:.0%} of the text is found in {stored.doc.id} ({al.b_verbatim:.0%} verbatim)"
    return Pair(
        stored.doc.id, QUERY_ID, Relation.CONTAINS if verbatim else Relation.PARAPHRASE,
        Direction.A_FROM_B if verbatim else Direction.NONE,
        Scores(al.lexical, al.semantic, round(al.a_covered, 4), round(al.b_covered, 4)), al.passages, (*reasons, why),
    )
