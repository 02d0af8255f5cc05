"""The JSON forms of pairs and stories: the report contract's shapes (``wiretrace.report/1``), read
back into the model's objects with their enums. The store keeps pairs and stories in these forms, and
the report, the CLI, the service and the story browser write them.
"""

from __future__ import annotations

from wiretrace.model import (
    Comparison,
    Direction,
    DocSpans,
    Edge,
    EdgeDirection,
    Pair,
    Passage,
    PassageKind,
    Relation,
    Scores,
    Story,
    SummaryLine,
)


def pair_to_json(p: Pair | Comparison) -> dict:
    """The report's pair object (of a ``compare`` answer too: its relation null where the texts are unrelated)."""
    return {
        "a": p.a, "b": p.b, "relation": p.relation, "direction": p.direction,
        "scores": {"lexical": p.scores.lexical, "semantic": p.scores.semantic,
                   "a_covered": p.scores.a_covered, "b_covered": p.scores.b_covered},
        "passages": [{"a": list(q.a), "b": list(q.b), "kind": q.kind, "score": q.score} for q in p.passages],
        "reasons": list(p.reasons),
        **({"slots": [[list(x), list(y)] for x, y in p.slots]} if p.slots else {}),
    }


def pair_from_json(d: dict) -> Pair:
    s = d["scores"]
    return Pair(
        d["a"], d["b"], Relation(d["relation"]), Direction(d["direction"]),
        Scores(s["lexical"], s["semantic"], s["a_covered"], s["b_covered"]),
        tuple(Passage(tuple(q["a"]), tuple(q["b"]), PassageKind(q["kind"]), q["score"]) for q in d["passages"]),  # type: ignore[arg-type]
        tuple(d.get("reasons", ())),
        tuple((tuple(x), tuple(y)) for x, y in d.get("slots", ())),  # type: ignore[misc]
    )


def story_to_json(s: Story) -> dict:
    return {
        "id": s.id, "title": s.title, "documents": list(s.documents), "origin": s.origin,
        "edges": [{"child": e.child, "parent": e.parent, "relation": e.relation, "direction": e.direction,
                   "evidence": list(e.evidence)} for e in s.edges],
        "canonical": {"document": s.canonical.document, "spans": [list(x) for x in s.canonical.spans]} if s.canonical else None,
        "additions": [{"document": a.document, "spans": [list(x) for x in a.spans]} for a in s.additions],
        "origin_evidence": list(s.origin_evidence),
        "headline": s.headline, "headline_source": s.headline_source,
        "summary": [{"document": x.document, "span": list(x.span), "sources": list(x.sources), "score": x.score}
                    for x in s.summary],
    }


def story_from_json(d: dict) -> Story:
    c = d.get("canonical")
    return Story(
        d["id"], d["title"], tuple(d["documents"]), d["origin"],
        tuple(Edge(e["child"], e["parent"], Relation(e["relation"]), tuple(e.get("evidence", ())), EdgeDirection(e.get("direction", "none")))
              for e in d["edges"]),
        DocSpans(c["document"], tuple(tuple(x) for x in c["spans"])) if c else None,  # type: ignore[misc]
        tuple(DocSpans(a["document"], tuple(tuple(x) for x in a["spans"])) for a in d["additions"]),  # type: ignore[misc]
        tuple(d.get("origin_evidence", ())),
        d.get("headline") or d["title"], d.get("headline_source"),
        tuple(SummaryLine(x["document"], (x["span"][0], x["span"][1]), tuple(x["sources"]), x["score"])
              for x in d.get("summary", ())),
    )
