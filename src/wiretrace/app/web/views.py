"""What each page shows, built from the store: plain strings, numbers and text pieces.

Article text is cut into pieces with ``report.html.segment`` (pieces concatenate back to the raw text
exactly); the templates escape every piece. Nothing here is marked safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wiretrace.app.web.graph import derivation_graph, timeline
from wiretrace.engine.store import Store
from wiretrace.model import BODY, NOISE_KINDS, PASSAGE_KINDS, DocMeta, Document, Pair, Relation, Story
from wiretrace.report.links import Links
from wiretrace.report.marks import REUSE, Mark, Seg, direction_words, segment, slug
from wiretrace.text.tokens import words

ADD_COLOURS = 6  # addition blocks cycle through this many colours


def _short(text: str, n: int = 90) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "\u2026"


def _dates(metas: Sequence[DocMeta | Document]) -> tuple[str, str, int | None]:
    day_of = {m.published: m.day for m in metas if m.published}  # the day each document parsed once
    if not day_of:
        return "", "", None
    first, last = min(day_of), max(day_of)
    a, b = day_of[first], day_of[last]
    return first, last, (b - a).days if a and b else None


SORTS = {  # the story list's orders: key -> (label, sort key of a ListRow)
    "size": "most documents",
    "sources": "most outlets",
    "reuse": "most copying",
    "recent": "most recent",
}
PER_PAGE = 100  # stories per page of the list
MEMBERS_PER_PAGE = 100  # sources per page of a story
DOTS = 40  # timeline dots drawn per story in the list
ADDITIONS_SHOWN = 60  # addition blocks in a story's consolidated text


@dataclass(frozen=True, slots=True)
class ListRow:
    """What the story list knows of a story before drawing it: enough to sort and filter."""

    story: Story
    n_sources: int
    reuse: int  # edges where one page copies another
    first: str
    last: str
    days: int | None


def list_rows(stories: Sequence[Story], meta: dict[str, DocMeta]) -> list[ListRow]:
    rows = []
    for s in stories:
        metas = [meta[d] for d in s.documents if d in meta]
        first, last, days = _dates(metas)
        rows.append(ListRow(s, len({m.source or m.id for m in metas}), sum(1 for e in s.edges if e.relation in REUSE), first, last, days))
    return rows


def sort_rows(rows: Sequence[ListRow], sort: str) -> list[ListRow]:
    if sort == "sources":
        return sorted(rows, key=lambda r: (-r.n_sources, -len(r.story.documents), r.story.id))
    if sort == "reuse":
        return sorted(rows, key=lambda r: (-r.reuse, -len(r.story.documents), r.story.id))
    if sort == "recent":
        return sorted(rows, key=lambda r: (r.last == "", _neg(r.last), -len(r.story.documents), r.story.id))
    return sorted(rows, key=lambda r: (-len(r.story.documents), r.first or "9999", r.story.id))


def _neg(day: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in day)


def story_href(s: Story, links: Links) -> str:
    """A story's page; a static export writes pages for several-document stories only, so a single
    document's story links to its document."""
    if len(s.documents) == 1 and not links.single_story_pages:
        return links.document(s.documents[0])
    return links.story(s.id)


def story_row(r: ListRow, meta: dict[str, DocMeta], links: Links) -> dict[str, Any]:
    s = r.story
    metas = [meta[d] for d in s.documents if d in meta]
    rel = {e.child: e.relation for e in s.edges}
    shown = metas if len(metas) <= DOTS else ([meta[s.origin]] if s.origin in meta else []) + [m for m in metas if m.id != s.origin][: DOTS - 1]
    dots = timeline([
        (m.day, "origin" if m.id == s.origin else f"rel-{slug(rel.get(m.id, 'same_story'))}",
         f"{m.source or m.id} \u00b7 {m.published or 'undated'} \u00b7 {'origin' if m.id == s.origin else rel.get(m.id, '')}")
        for m in shown
    ])
    origin = meta.get(s.origin) if s.origin else None
    return {
        "id": s.id, "href": story_href(s, links), "headline": s.headline or s.title or s.id, "first": r.first, "last": r.last,
        "days": r.days, "n_docs": len(s.documents), "n_sources": r.n_sources, "reuse": r.reuse,
        "origin": {"id": origin.id, "source": origin.source or "", "href": links.document(origin.id)} if origin else None,
        "dots": dots, "more_dots": len(metas) - len(shown),
    }


def _matches(r: ListRow, meta: dict[str, DocMeta], words_: list[str]) -> bool:
    s = r.story
    hay = " ".join([s.headline or "", s.title, s.id, *s.documents, *((meta[d].source or "") for d in s.documents if d in meta)]).lower()
    return all(w in hay for w in words_)


def story_list(store: Store, links: Links, sort: str = "size", page: int = 1, q: str = "", per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the story list in one order, optionally filtered by words (every word must occur in
    the headline, an id or an outlet)."""
    with store.snapshot():
        stories = store.stories()
        meta = store.doc_meta()
        n_docs, n_stories, n_pairs = store.counts()
    sort = sort if sort in SORTS else "size"
    rows = sort_rows(list_rows(stories, meta), sort)
    wanted = q.lower().split()
    if wanted:
        rows = [r for r in rows if _matches(r, meta, wanted)]
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page : page * per_page]
    return {
        "stories": [story_row(r, meta, links) for r in shown], "n_docs": n_docs, "n_stories": n_stories, "n_pairs": n_pairs,
        "sort": sort, "sorts": list(SORTS.items()), "page": page, "pages": pages, "q": q, "n_rows": len(rows),
        "first_rank": (page - 1) * per_page + 1, "static": None,
    }


def _covered_share(p: Pair | None, side_of: str) -> float | None:
    if p is None:
        return None
    return p.scores.a_covered if p.a == side_of else p.scores.b_covered


def _consolidated(s: Story, docs: dict[str, Document], pairs: dict[frozenset[str], Pair], links: Links) -> list[dict[str, Any]]:
    """The origin's body, block by block, with each source's additions placed after the origin text
    that precedes them in that source (by the pair's aligned passages), or at the end."""
    if s.canonical is None or s.canonical.document not in docs:
        return []
    origin = docs[s.canonical.document]
    spans = list(s.canonical.spans)
    after: dict[int, list[dict[str, Any]]] = {}
    colour: dict[str, int] = {}
    for add in s.additions[:ADDITIONS_SHOWN]:
        d = docs.get(add.document)
        if d is None:
            continue
        p = pairs.get(frozenset((add.document, origin.id)))
        colour.setdefault(add.document, len(colour) % ADD_COLOURS)
        for start, end in add.spans:
            slot = len(spans) - 1
            if p is not None:
                mine = [(q.a, q.b) if p.a == add.document else (q.b, q.a) for q in p.passages]
                before = [theirs for own, theirs in mine if own[1] <= start]
                if before:
                    pos = max(e for _, e in before)
                    slot = max((i for i, (cs, _) in enumerate(spans) if cs < pos), default=-1)
                elif mine:
                    slot = -1
            blocks = after.setdefault(slot, [])
            if blocks and blocks[-1]["doc"] == d.id:
                blocks[-1]["texts"].append(d.text[start:end])
            else:
                blocks.append({
                    "doc": d.id, "href": links.document(d.id), "source": d.source or d.id,
                    "colour": colour[add.document], "texts": [d.text[start:end]],
                })
    out: list[dict[str, Any]] = [{"add": b, "text": ""} for b in after.get(-1, [])]
    for i, (cs, ce) in enumerate(spans):
        out.append({"add": None, "text": origin.text[cs:ce]})
        out += [{"add": b, "text": ""} for b in after.get(i, [])]
    return out


def story_page(store: Store, links: Links, story_id: str, page: int = 1, per_page: int = MEMBERS_PER_PAGE) -> dict[str, Any] | None:
    """A story: the derivation graph (collapsed beyond its top levels), one page of its sources, and on
    the first page the consolidated text."""
    with store.snapshot():
        s = store.story(story_id)
        if s is None:
            return None
        docs = store.documents(s.documents)
        pair_list = store.pairs_touching(s.documents, within=True)
    return story_view(s, docs, pair_list, links, page, per_page)


def story_view(
    s: Story, docs: dict[str, Document], pair_list: Sequence[Pair], links: Links, page: int = 1, per_page: int = MEMBERS_PER_PAGE
) -> dict[str, Any]:
    pairs = {frozenset((p.a, p.b)): p for p in pair_list}

    def pair_href(c: str, p: str) -> str:
        return links.pair(c, p) if frozenset((c, p)) in pairs else ""

    graph = derivation_graph(
        s.documents, s.origin, [(e.child, e.parent, e.relation, e.evidence) for e in s.edges],
        lambda i: (docs[i].source or "", docs[i].published or "") if i in docs else ("", ""),
        links.document, pair_href, slug,
    )
    edge_of = {e.child: e for e in s.edges}
    added = {a.document: a.spans for a in s.additions}
    order = ([s.origin] if s.origin else []) + [e.child for e in s.edges if e.child != s.origin]
    order += [d for d in s.documents if d not in order]
    order = [d for d in dict.fromkeys(order) if d in docs]
    pages = max(1, -(-len(order) // per_page))
    page = min(max(1, page), pages)
    rows = []
    for d in order[(page - 1) * per_page : page * per_page]:
        doc = docs[d]
        e = edge_of.get(d)
        to_origin = pairs.get(frozenset((d, s.origin or "")))
        reused = _covered_share(to_origin, s.origin or "")
        add_text = " ".join(doc.text[a:b] for a, b in added.get(d, ()))
        compare_to = e.parent if e and pair_href(d, e.parent) else (s.origin or "")
        rows.append({
            "id": d, "href": links.document(d), "source": doc.source or "", "published": doc.published or "",
            "origin": d == s.origin, "relation": "origin" if d == s.origin else (e.relation if e else Relation.SAME_STORY),
            "rel": "origin" if d == s.origin else slug(e.relation if e else Relation.SAME_STORY),
            "parent": e.parent if e and e.parent != s.origin else "",
            "reused": reused, "reused_pct": f"{reused:.0%}" if reused is not None else "",
            "added_words": len(add_text.split()), "added": _short(add_text, 110),
            "pair_href": pair_href(d, compare_to) if d != s.origin else "",
            "evidence": list(e.evidence) if e else [],
            "direction": e.direction if e else "",
        })
    first, last, days = _dates(list(docs.values()))
    origin = docs.get(s.origin) if s.origin else None
    summary = [
        {"text": docs[x.document].text[x.span[0] : x.span[1]], "doc": x.document, "href": links.document(x.document),
         "source": docs[x.document].source or x.document, "carried": len(x.sources)}
        for x in s.summary if x.document in docs
    ]
    return {
        "id": s.id, "headline": s.headline or s.title or s.id, "summary": summary, "first": first, "last": last, "days": days,
        "n_docs": len(s.documents), "n_sources": len({d.source or d.id for d in docs.values()}),
        "origin": {"id": origin.id, "source": origin.source or "", "href": links.document(origin.id)} if origin else None,
        "origin_evidence": list(s.origin_evidence), "graph": graph, "rows": rows,
        "consolidated": _consolidated(s, docs, pairs, links) if page == 1 else [],
        "additions_hidden": max(0, len(s.additions) - ADDITIONS_SHOWN),
        "relations": sorted({e.relation for e in s.edges}),
        "page": page, "pages": pages, "first_row": (page - 1) * per_page + 1,
        "page_links": [(n, links.story(s.id, n)) for n in range(1, pages + 1)] if pages > 1 else [],
    }


def _side(
    doc: Document, removed: Sequence[tuple[int, int, str]], passages: Sequence[tuple[int, int, str, float]], side: str,
    slots: Sequence[tuple[int, int, str]] = (),
) -> list[Seg]:
    """One column of a pair view: the differing fillers of a template pair first (they show inside a
    passage too), then the aligned passages, then the removed noise."""
    n_sl = len(slots)
    marks = [Mark(s, e, "slot", "") for s, e, _ in slots]
    marks += [Mark(s, e, f"ps pk-{slug(k)}", str(n)) for n, (s, e, k, _) in enumerate(passages, 1)]
    marks += [Mark(s, e, f"noise k-{slug(k)}", k) for s, e, k in removed]
    n_ps = n_sl + len(passages)
    out = []
    for p in segment(doc.text, marks):
        if 0 <= p.mark < n_sl:
            out.append(Seg(p.text, p.cls, title=f"other filler: {slots[p.mark][2]}"))
        elif n_sl <= p.mark < n_ps:
            num = str(p.mark - n_sl + 1)
            kind, score = passages[p.mark - n_sl][2], passages[p.mark - n_sl][3]
            out.append(Seg(p.text, p.cls, p.label, title=f"passage {num}: {kind} ({score:.2f})", passage=num, id=f"{side}-{num}" if p.first else ""))
        elif p.mark >= n_ps:
            out.append(Seg(p.text, p.cls, p.label, title=f"removed: {marks[p.mark].label}"))
        else:
            out.append(Seg(p.text))
    return out


def slot_marks(p: Pair, side: str, text_a: str, text_b: str) -> list[tuple[int, int, str]]:
    """A template pair's differing fillers on one side, each with the word it stands against."""
    out = []
    for ra, rb in p.slots:
        mine, other = (ra, text_b[rb[0] : rb[1]]) if side == "a" else (rb, text_a[ra[0] : ra[1]])
        out.append((mine[0], mine[1], f"the other text has {other!r} here"))
    return out


def pair_page(store: Store, links: Links, a: str, b: str) -> dict[str, Any] | None:
    with store.snapshot():
        p = store.pair_between(a, b)
        if p is None:
            return None
        docs = store.documents([p.a, p.b])
        cleaned = store.cleaned([p.a, p.b])
        stories = {d: store.story_of(d) for d in (p.a, p.b)}
    sides = []
    for side, ident in (("a", p.a), ("b", p.b)):
        doc = docs.get(ident)
        if doc is None:
            return None
        c = cleaned.get(ident)
        removed = [(r.start, r.end, r.kind) for r in c.removed] if c else []
        ranges = [((q.a if side == "a" else q.b)[0], (q.a if side == "a" else q.b)[1], q.kind, q.score) for q in p.passages]
        st = stories.get(ident)
        sides.append({
            "side": side, "id": ident, "href": links.document(ident), "source": doc.source or "", "title": doc.title or "",
            "published": doc.published or "",
            "segs": _side(doc, removed, ranges, side, slot_marks(p, side, docs[p.a].text, docs[p.b].text) if p.slots else ()),
            "story": {"id": st.id, "href": links.story(st.id), "title": st.title} if st else None,
        })
    s = p.scores
    direction = direction_words(p.direction, p.a, p.b)
    kinds: dict[str, int] = {}
    for q in p.passages:
        kinds[q.kind] = kinds.get(q.kind, 0) + 1
    return {
        "a": p.a, "b": p.b, "relation": p.relation, "rel": slug(p.relation), "direction": direction,
        "scores": [
            ("lexical", s.lexical), ("semantic", s.semantic), (f"{p.a} covered", s.a_covered), (f"{p.b} covered", s.b_covered),
        ],
        "reasons": list(p.reasons), "sides": sides, "has_slots": bool(p.slots),
        "kinds": [(k, slug(k), kinds.get(k, 0)) for k in PASSAGE_KINDS],
        "passages": [
            {"n": n, "kind": q.kind, "score": q.score, "a": list(q.a), "b": list(q.b)} for n, q in enumerate(p.passages, 1)
        ],
    }


def document_page(store: Store, links: Links, doc_id: str) -> dict[str, Any] | None:
    found = store.document_context(doc_id)
    if found is None:
        return None
    doc, c, st, pairs = found
    marks, reasons = [], []
    for seg in c.segments if c else ():
        body = seg.kind == BODY
        marks.append(Mark(seg.start, seg.end, "body" if body else f"rm k-{slug(seg.kind)}", "" if body else seg.kind))
        reasons.append(seg.reason)
    segs = []
    counts: dict[str, int] = {}
    for piece in segment(doc.text, marks):
        kind = (marks[piece.mark].label or "body") if piece.mark >= 0 else ""
        if kind:
            counts[kind] = counts.get(kind, 0) + len(piece.text)
        why = reasons[piece.mark] if piece.mark >= 0 else ""
        segs.append(Seg(piece.text, piece.cls, piece.label, title=f"{kind}: {why}" if why else kind))
    n = max(1, len(doc.text))
    bar, x = [], 0.0
    for sg in segs:
        w = 600 * len(sg.text) / n
        bar.append((round(x, 2), round(w, 2), sg.cls.replace("rm ", "") or "gap", sg.title))
        x += w
    related = []
    for p in pairs:
        other = p.b if p.a == doc_id else p.a
        related.append({
            "other": other, "href": links.document(other), "pair_href": links.pair(p.a, p.b), "relation": p.relation,
            "rel": slug(p.relation), "covered": _covered_share(p, doc_id), "passages": len(p.passages),
        })
    kinds = ["body", *NOISE_KINDS] + sorted(set(counts) - {"body", *NOISE_KINDS})
    return {
        "id": doc.id, "title": doc.title or "", "source": doc.source or "", "url": doc.url or "",
        "published": doc.published or "", "format": doc.format, "encoding": doc.encoding, "path": doc.path,
        "chars": len(doc.text), "cleaned": c is not None, "segs": segs, "bar": bar,
        "kinds": [(k, slug(k), counts[k]) for k in kinds if k in counts],
        "story": {"id": st.id, "href": links.story(st.id), "title": st.title, "origin": st.origin} if st else None,
        "related": related,
    }


def trace_view(text: str, matches: Sequence[Any], store: Store, links: Links) -> dict[str, Any]:
    """The trace query's answer for a page: the best story and the passages that tie the text to it."""
    from wiretrace.engine.query import QUERY_ID

    rows = []
    for m in matches:
        doc = store.document(m.document)
        if doc is None:
            continue
        q_is_a = m.pair.a == QUERY_ID
        passages = []
        for q in m.pair.passages:
            qs, qe = q.a if q_is_a else q.b
            ds, de = q.b if q_is_a else q.a
            passages.append({"kind": q.kind, "rel": slug(q.kind), "score": q.score, "query": text[qs:qe], "doc": doc.text[ds:de]})
        rows.append({
            "document": m.document, "href": links.document(m.document), "source": doc.source or "",
            "relation": m.pair.relation, "explained": m.explained, "explained_pct": f"{m.explained:.0%}",
            "story": {"id": m.story.id, "href": links.story(m.story.id), "title": m.story.title, "origin": m.story.origin}
            if m.story else None,
            "passages": passages,
        })
    return {"words": len(words(text)), "matches": rows, "best": rows[0] if rows else None}
