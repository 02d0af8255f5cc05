"""The static HTML report: one self-contained overview page (CSS and JS inline) built from the report dict.

The page stays bounded at any corpus size (a few MB at a million documents): the run's figures, a
table of the stories ranked by size, spread (outlets) and reuse (copying edges) holding at most
``TABLE_ROWS`` rows, and only the ``FEATURED`` top stories in full (derivation tree collapsed to
``TREE_DEPTH`` levels and ``TREE_NODES`` nodes, sources table, consolidated text), then the documents
and pairs of those stories within a character budget. Everything else is one link away in the story
browser (``site/``), which the page links to when it was written beside it.

Everything in the report (article text, titles, ids, paths, reasons) is untrusted. The page is rendered
by jinja2 with autoescaping on, and highlighted text is cut here into plain pieces that the template
escapes one by one; nothing derived from the report is ever marked safe. Labels (kind names, passage
numbers) are drawn by CSS from ``data-label`` attributes, so a rendered text block's characters are
exactly the document's characters.

The dict may come from an older or partial run: every optional key may be missing and offsets may be
out of range; bad offsets are clamped or dropped, never raised on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from wiretrace.model import NOISE_KINDS, PASSAGE_KINDS, RELATIONS, Relation, merge_ranges
from wiretrace.report.marks import DIRECTION_ARROWS, REUSE, Mark, Seg, direction_words, segment, slug
from wiretrace.report.marks import STATIC as MARKS_STATIC

TEMPLATES = Path(__file__).parent / "templates"
OPEN_DOC_CHARS = 1500  # documents longer than this start folded
OPEN_PAIRS = 6  # the first pairs start unfolded, the rest folded
FEATURED = 20  # stories shown in full
TABLE_ROWS = 300  # stories in the ranked table
TREE_DEPTH = 3  # levels of a featured story's derivation tree shown
TREE_NODES = 60  # nodes of a featured story's tree shown; the rest are counted ("+N more")
SOURCE_ROWS = 40  # rows of a featured story's sources table
CANON_CHARS = 4000  # characters of the canonical text shown
ADD_BLOCKS, ADD_CHARS = 8, 1000  # additions shown per story, characters per addition
DOC_BUDGET = 300_000  # characters of document text shown, all documents together
PAIR_BUDGET = 300_000  # characters of pair text shown (both sides), all pairs together
LINE_CHARS = 300  # a headline, an evidence line, a summary sentence: cut beyond this
SUMMARY_LINES = 5
SKIPPED_LINES = 200
MAX_DOCS, MAX_PAIRS = 60, 40
SCORE_NAMES = ("lexical", "semantic", "a_covered", "b_covered")


# ---------------------------------------------------------------- reading the untrusted dict


def _int(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


def _range(v: object) -> tuple[int, int] | None:
    if isinstance(v, list | tuple) and len(v) >= 2:
        s, e = _int(v[0]), _int(v[1])
        if s is not None and e is not None:
            return s, e
    return None


def _ranges(v: object) -> list[tuple[int, int]]:
    out = [_range(x) for x in v] if isinstance(v, list | tuple) else []
    return [r for r in out if r is not None]


def _list(v: object) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else []


def _dict(v: object) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _str(v: object) -> str:
    return "" if v is None else str(v)


def _strs(v: object) -> list[str]:
    return [_str(x) for x in _list(v) if x is not None]


def _number(v: object) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
        return None
    return float(v)


# ---------------------------------------------------------------- what the template sees


@dataclass(frozen=True, slots=True)
class DocRef:
    id: str
    href: str = ""  # "" when the document is neither on this page nor in the story browser
    source: str = ""
    title: str = ""
    published: str = ""


@dataclass(slots=True)
class Node:
    doc: DocRef
    relation: str = ""
    rel: str = ""  # the relation as a CSS class suffix
    evidence: list[str] = field(default_factory=list)
    direction: str = ""  # the edge's "child<-parent", "child->parent" or "none" (direction unknown)
    pair_href: str = ""
    origin: bool = False
    children: list[Node] = field(default_factory=list)
    more: int = 0  # pages below this node that are not drawn (the tree is collapsed)


@dataclass(frozen=True, slots=True)
class Bar:
    name: str
    pct: int  # 0..100, width of the bar
    value: str  # the number as text, "-" when missing


class _Docs:
    """The documents by id, with where each links to, and the lookups the sections share."""

    def __init__(self, docs: list[Mapping[str, Any]]) -> None:
        self.by_id: dict[str, Mapping[str, Any]] = {}
        for d in docs:
            self.by_id.setdefault(_str(d.get("id")), d)
        self.href: dict[str, str] = {}
        self.elsewhere: Any = None

    def show(self, shown: dict[str, str], elsewhere: Any) -> None:
        """Documents shown on the page link to their anchor, the others to ``elsewhere(id)`` if given."""
        self.href, self.elsewhere = shown, elsewhere

    def ref(self, ident: object) -> DocRef:
        key = _str(ident)
        d = self.by_id.get(key, {})
        href = self.href.get(key) or (self.elsewhere(key) if self.elsewhere is not None and key in self.by_id else "")
        return DocRef(
            key,
            href,
            _str(d.get("source")),
            _str(d.get("title")),
            _str(d.get("published")),
        )

    def text(self, ident: object) -> str | None:
        t = self.by_id.get(_str(ident), {}).get("text")
        return t if isinstance(t, str) else None


def _doc_view(i: int, d: Mapping[str, Any]) -> dict[str, Any]:
    text = d.get("text") if isinstance(d.get("text"), str) else None
    removed = [r for r in _list(d.get("removed")) if isinstance(r, Mapping)]
    marks = [Mark(s, e, "body") for s, e in _ranges(d.get("body"))]
    for r in removed:
        s, e = _int(r.get("start")), _int(r.get("end"))
        if s is not None and e is not None:
            kind = _str(r.get("kind")) or "removed"
            marks.append(Mark(s, e, f"rm k-{slug(kind)}", kind))
    chars = _int(d.get("chars"))
    n = len(text) if text is not None else (chars or 0)
    pieces = segment(text if text is not None else "\0" * n, marks)
    segs = [Seg(p.text, p.cls, p.label) for p in pieces] if text is not None else []
    kinds: Counter[str] = Counter()
    for p in pieces:
        if p.mark >= 0 or p.text.strip():  # blank gaps between blocks are not worth counting
            kinds[marks[p.mark].label or "body" if p.mark >= 0 else "unclassified"] += len(p.text)
    bar = [
        (p.cls.replace("rm ", "") or "gap", len(p.text), marks[p.mark].label or "body" if p.mark >= 0 else "")
        for p in pieces
    ]
    return {
        "anchor": f"doc-{i}",
        "id": _str(d.get("id")),
        "title": _str(d.get("title")),
        "source": _str(d.get("source")),
        "url": _str(d.get("url")),
        "published": _str(d.get("published")),
        "format": _str(d.get("format")),
        "encoding": _str(d.get("encoding")),
        "path": _str(d.get("path")),
        "chars": chars if chars is not None else n,
        "has_text": text is not None,
        "segs": segs,
        "bar": bar,
        "kinds": sorted(kinds.items(), key=lambda kv: -kv[1]),
        "body_pct": round(100 * kinds["body"] / n) if n else 0,
        "open": n <= OPEN_DOC_CHARS,
    }


def _excerpt(text: str, spans: Iterable[tuple[int, int]]) -> list[Seg]:
    """The text of ``spans``; a gap that is only whitespace is kept, any other gap shows as [...]."""
    out: list[Seg] = []
    prev: int | None = None
    for s, e in merge_ranges((max(0, s), min(len(text), e)) for s, e in spans):
        if prev is not None:
            gap = text[prev:s]
            out.append(Seg(gap) if not gap.strip() else Seg(" [\u2026] ", "elide", title="text left out"))
        out.append(Seg(text[s:e]))
        prev = e
    return out


def _pair_side(
    pair_i: int,
    side: str,
    other: str,
    text: str | None,
    doc: Mapping[str, Any],
    passages: list[tuple[str, tuple[int, int] | None, tuple[int, int] | None, str]],
) -> list[Seg]:
    """One side of a pair: its body region with passages numbered and linked to their partners."""
    if text is None:
        return []
    own = [(n, a if side == "a" else b, k) for n, a, b, k in passages]
    marks = [Mark(r[0], r[1], f"ps pk-{slug(k)}", n) for n, r, k in own if r is not None]
    nums = [n for n, r, _ in own if r is not None]
    marks += [Mark(s, e, "faint") for s, e in _ranges(doc.get("body"))]
    n_marks = len(marks)
    for r in _list(doc.get("removed")):
        s, e = _int(_dict(r).get("start")), _int(_dict(r).get("end"))
        if s is not None and e is not None:
            marks.append(Mark(s, e, "faint rm-lite"))
    hull = [(m.start, m.end) for m in marks[:n_marks]]
    lo, hi = (min(s for s, _ in hull), max(e for _, e in hull)) if hull else (0, len(text))
    out = []
    for p in segment(text, marks, lo, hi):
        if p.cls.startswith("ps"):
            num = nums[p.mark]
            kind = p.cls.split("pk-", 1)[1]
            out.append(
                Seg(
                    p.text,
                    p.cls,
                    num if p.first else "",
                    f"p{pair_i}-{side}-{num}" if p.first else "",
                    f"#p{pair_i}-{other}-{num}",
                    f"passage {num} ({kind})",
                    num,
                )
            )
        else:
            out.append(Seg(p.text, "" if p.cls == "faint" else p.cls))
    return out


def _bars(scores: Mapping[str, Any]) -> list[Bar]:
    names = list(SCORE_NAMES) + [k for k in scores if k not in SCORE_NAMES]
    out = []
    for name in names:
        v = _number(scores.get(name))
        if v is None and name not in SCORE_NAMES:
            continue
        out.append(
            Bar(
                name.replace("_", " "),
                round(100 * min(1.0, max(0.0, v))) if v is not None else 0,
                f"{v:.2f}" if v is not None else "\u2013",
            )
        )
    return out


def _pair_view(i: int, p: Mapping[str, Any], docs: _Docs) -> dict[str, Any]:
    passages = []
    for n, x in enumerate(_list(p.get("passages")), start=1):
        x = _dict(x)
        passages.append((str(n), _range(x.get("a")), _range(x.get("b")), _str(x.get("kind")) or "passage"))
    rel, direction = _str(p.get("relation")) or "unknown", _str(p.get("direction")) or "none"
    a, b = _str(p.get("a")), _str(p.get("b"))
    return {
        "anchor": f"pair-{i}",
        "a": docs.ref(a),
        "b": docs.ref(b),
        "relation": rel,
        "rel": slug(rel),
        "arrow": DIRECTION_ARROWS.get(direction, "\u2194"),
        "direction": direction_words(direction),
        "bars": _bars(_dict(p.get("scores"))),
        "reasons": _strs(p.get("reasons")),
        "kinds": [(k, slug(k), n) for k, n in sorted(Counter(k for _, _, _, k in passages).items())],
        "side_a": _pair_side(i, "a", "b", docs.text(a), docs.by_id.get(a, {}), passages),
        "side_b": _pair_side(i, "b", "a", docs.text(b), docs.by_id.get(b, {}), passages),
        "has_a": docs.text(a) is not None,
        "has_b": docs.text(b) is not None,
        "open": i < OPEN_PAIRS,
    }


def _tree(
    s: Mapping[str, Any], docs: _Docs, pair_at: Mapping[frozenset[str], str],
    depth: int = TREE_DEPTH, budget: int = TREE_NODES,
) -> tuple[list[Node], int]:
    """The derivation tree: origin at the root, each child under its parent; cycles are cut. Drawn
    breadth first to ``depth`` levels and ``budget`` nodes; a node whose children are not drawn says
    how many pages hang below it. Returns the roots and the number of members not drawn."""
    edges = [_dict(e) for e in _list(s.get("edges"))]
    kids: dict[str, list[Mapping[str, Any]]] = {}
    has_parent = set()
    for e in edges:
        kids.setdefault(_str(e.get("parent")), []).append(e)
        has_parent.add(_str(e.get("child")))
    origin = _str(s.get("origin")) if s.get("origin") is not None else None
    members = [_str(d) for d in _list(s.get("documents"))]
    roots = ([origin] if origin is not None else []) + [
        d for d in [*members, *kids] if d != origin and d not in has_parent
    ]
    seen: set[str] = set()
    drawn: set[str] = set()

    def node(ident: str, edge: Mapping[str, Any] | None) -> Node:
        n = Node(docs.ref(ident), origin=ident == origin)
        if edge is not None:
            n.relation = _str(edge.get("relation")) or "unknown"
            n.rel = slug(n.relation)
            n.evidence = [_cut(x) for x in _strs(edge.get("evidence"))[:6]]
            n.direction = _str(edge.get("direction"))
            n.pair_href = pair_at.get(frozenset((ident, _str(edge.get("parent")))), "")
        return n

    def below(ident: str) -> int:  # pages under ``ident`` not yet placed (marks them placed)
        count, stack = 0, [ident]
        while stack:
            for e in kids.get(stack.pop(), []):
                c = _str(e.get("child"))
                if c not in seen:
                    seen.add(c)
                    count += 1
                    stack.append(c)
        return count

    out: list[Node] = []
    hidden = 0

    def grow(starts: list[str]) -> None:
        nonlocal hidden
        level: list[tuple[Node, str]] = []
        for r in dict.fromkeys(starts):
            if r in seen:
                continue
            seen.add(r)
            if len(drawn) < budget:
                n = node(r, None)
                drawn.add(r)
                out.append(n)
                level.append((n, r))
            else:
                hidden += 1 + below(r)
        d = 1
        while level:
            nxt: list[tuple[Node, str]] = []
            for parent, ident in level:
                for e in kids.get(ident, []):
                    c = _str(e.get("child"))
                    if c in seen:
                        continue
                    seen.add(c)
                    if d < depth and len(drawn) < budget:
                        n = node(c, e)
                        drawn.add(c)
                        parent.children.append(n)
                        nxt.append((n, c))
                    else:
                        parent.more += 1 + below(c)
            level, d = nxt, d + 1

    grow(roots)
    grow([m for m in members if m not in seen])  # members only reachable through a cycle
    return out, hidden


def _days(first: str, last: str) -> int | None:
    try:
        return (date.fromisoformat(last[:10]) - date.fromisoformat(first[:10])).days
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Rank:
    """What the ranked table shows of a story, and what the ranking reads."""

    index: int  # position in the report's story list
    id: str
    headline: str
    n_docs: int
    n_sources: int
    reuse: int  # edges that copy text (not same_story)
    first: str
    last: str
    href: str  # the story in the browser, or its place on this page
    featured: bool = False


def _cut(text: str, n: int = LINE_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _headline(s: Mapping[str, Any], docs: _Docs) -> str:
    canon = _dict(s.get("canonical"))
    return _cut(
        _str(s.get("headline")) or _str(s.get("title")) or (docs.ref(canon.get("document")).title if canon else "")
        or _str(s.get("id"))
    )


def _rank(i: int, s: Mapping[str, Any], docs: _Docs) -> Rank:
    members = [_str(d) for d in _list(s.get("documents"))]
    dates = sorted(p for p in (_str(docs.by_id.get(m, {}).get("published")) for m in members) if p)
    span = _dict(s.get("span"))
    return Rank(
        i, _str(s.get("id")), _headline(s, docs), len(members),
        len({_str(docs.by_id.get(m, {}).get("source")) or m for m in members}),
        sum(1 for e in _list(s.get("edges")) if _str(_dict(e).get("relation")) in REUSE),
        _str(span.get("first")) or (dates[0] if dates else ""), _str(span.get("last")) or (dates[-1] if dates else ""),
        "",
    )


def _featured(ranks: list[Rank], n: int = FEATURED) -> list[Rank]:
    """The stories shown in full: the top of each ranking (size, spread, reuse) in turn, several-document
    stories first; single documents only fill a small report."""
    orders = [
        sorted(ranks, key=lambda r: (-r.n_docs, -r.n_sources, r.id)),
        sorted(ranks, key=lambda r: (-r.n_sources, -r.n_docs, r.id)),
        sorted(ranks, key=lambda r: (-r.reuse, -r.n_docs, r.id)),
    ]
    picked: dict[int, Rank] = {}
    for k in range(len(ranks)):
        for order in orders:
            r = order[k]
            if len(picked) < n and r.n_docs > 1:
                picked.setdefault(r.index, r)
        if len(picked) >= n or orders[0][k].n_docs <= 1:
            break
    for r in orders[0]:
        if len(picked) >= n:
            break
        picked.setdefault(r.index, r)
    return sorted(picked.values(), key=lambda r: (-r.n_docs, -r.n_sources, r.id))


def _clip(segs: list[Seg], budget: int) -> list[Seg]:
    """The pieces up to ``budget`` characters, the last one cut, then a note of what was left out."""
    out, used = [], 0
    for sg in segs:
        if used + len(sg.text) > budget:
            out.append(Seg(sg.text[: max(0, budget - used)], sg.cls, sg.label))
            out.append(Seg(" [\u2026 text cut here; the story browser shows all of it]", "elide", title="text left out"))
            return out
        out.append(sg)
        used += len(sg.text)
    return out


def _story_view(
    i: int, s: Mapping[str, Any], docs: _Docs, pair_at: Mapping[frozenset[str], str], rank: Rank
) -> dict[str, Any]:
    members = [_str(d) for d in _list(s.get("documents"))]
    canon = _dict(s.get("canonical"))
    ctext = docs.text(canon.get("document")) if canon else None
    additions = []
    adds = [_dict(a) for a in _list(s.get("additions"))]
    for a in adds[:ADD_BLOCKS]:
        t = docs.text(a.get("document"))
        if t is not None and _ranges(a.get("spans")):
            additions.append((docs.ref(a.get("document")), _clip(_excerpt(t, _ranges(a.get("spans"))), ADD_CHARS)))
    origin = s.get("origin")
    summary = []
    for x in _list(s.get("summary"))[:SUMMARY_LINES]:
        x = _dict(x)
        t = _str(x.get("text"))
        if not t:
            full = docs.text(x.get("document"))
            rng = _ranges([x.get("span")])
            t = full[rng[0][0] : rng[0][1]] if full is not None and rng else ""
        if t:
            summary.append((_cut(t, 3 * LINE_CHARS), docs.ref(x.get("document")), len(_list(x.get("sources")))))
    tree, hidden = _tree(s, docs, pair_at)
    edge_of = {_str(_dict(e).get("child")): _dict(e) for e in _list(s.get("edges"))}
    order = ([_str(origin)] if origin is not None else []) + [
        _str(_dict(e).get("child")) for e in _list(s.get("edges"))
    ]
    order = list(dict.fromkeys([*order, *members]))
    sources = []
    for d in order[:SOURCE_ROWS]:
        e = edge_of.get(d, {})
        rel = "origin" if d == _str(origin) and origin is not None else (_str(e.get("relation")) or Relation.SAME_STORY)
        sources.append((docs.ref(d), rel, slug(rel), _str(e.get("parent"))))
    return {
        "anchor": f"story-{i}",
        "id": rank.id,
        "href": rank.href,
        "headline": rank.headline,
        "first": rank.first,
        "last": rank.last,
        "days": _days(rank.first, rank.last) if rank.first and rank.last else None,
        "n_docs": len(members),
        "n_sources": rank.n_sources,
        "reuse": rank.reuse,
        "origin": docs.ref(origin) if origin is not None else None,
        "origin_evidence": [_cut(x) for x in _strs(s.get("origin_evidence"))[:8]],
        "tree": tree,
        "tree_hidden": hidden,
        "sources": sources,
        "sources_hidden": max(0, len(order) - SOURCE_ROWS),
        "canonical": docs.ref(canon.get("document")) if canon else None,
        "canonical_segs": _clip(_excerpt(ctext, _ranges(canon.get("spans"))), CANON_CHARS) if ctext is not None else [],
        "additions": additions,
        "additions_hidden": max(0, len(adds) - ADD_BLOCKS),
        "summary": summary,
    }


def _summary(report: Mapping[str, Any], pairs: list[Mapping[str, Any]]) -> dict[str, Any]:
    given = _dict(report.get("summary"))
    rels = _dict(given.get("relations")) or Counter(_str(p.get("relation")) or "unknown" for p in pairs)
    order: dict[str, int] = {r: n for n, r in enumerate(RELATIONS)}
    return {
        key: _int(given.get(key)) if _int(given.get(key)) is not None else len(_list(report.get(key)))
        for key in ("documents", "stories", "pairs", "skipped")
    } | {
        "relations": sorted(
            ((_str(r), slug(r), _int(c) or 0) for r, c in rels.items()),
            key=lambda t: (order.get(t[0], len(order)), t[0]),
        )
    }


def _select_pairs(
    featured: list[Rank], stories: list[Mapping[str, Any]], pairs: list[Mapping[str, Any]], docs: _Docs
) -> list[int]:
    """The pairs shown side by side: the featured stories' tree edges, in story order, within budget."""
    at: dict[frozenset[str], int] = {}
    for i, p in enumerate(pairs):
        at.setdefault(frozenset((_str(p.get("a")), _str(p.get("b")))), i)
    out: list[int] = []
    used = 0
    for r in featured:
        for e in _list(stories[r.index].get("edges")):
            e = _dict(e)
            found = at.get(frozenset((_str(e.get("child")), _str(e.get("parent")))))
            if found is None or found in out:
                continue
            i = found
            p = pairs[i]
            cost = sum(len(docs.text(p.get(k)) or "") for k in ("a", "b"))
            if len(out) >= MAX_PAIRS or (out and used + cost > PAIR_BUDGET):
                return out
            out.append(i)
            used += cost
    return out


def _select_docs(featured: list[Rank], stories: list[Mapping[str, Any]], docs: _Docs, raw: list[Mapping[str, Any]]) -> list[int]:
    """The documents shown with their removed noise: the featured stories' members, origin first, within budget."""
    index = {_str(d.get("id")): i for i, d in reversed(list(enumerate(raw)))}
    out: list[int] = []
    used = 0
    for r in featured:
        s = stories[r.index]
        order = ([_str(s.get("origin"))] if s.get("origin") is not None else []) + [
            _str(_dict(e).get("child")) for e in _list(s.get("edges"))
        ] + [_str(d) for d in _list(s.get("documents"))]
        for d in dict.fromkeys(order):
            i = index.get(d)
            if i is None or i in out:
                continue
            cost = len(docs.text(d) or "")
            if len(out) >= MAX_DOCS or (out and used + cost > DOC_BUDGET):
                return out
            out.append(i)
            used += cost
    return out


def build_view(report: Mapping[str, Any], site: str | None = None) -> dict[str, Any]:
    """The report dict turned into what the template shows (plain strings, pieces, numbers).

    ``site``: where the story browser lies relative to the page (``"site/"``), so that every story,
    document and pair not shown here links to its page there; None when there is none."""
    if not isinstance(report, Mapping):
        raise TypeError(
            f"report.html: expected the report as a dict (schema wiretrace.report/1), got "
            f"{type(report).__name__}; pass the dict that report.json holds."
        )
    raw_docs = [_dict(d) for d in _list(report.get("documents"))]
    pairs = [_dict(p) for p in _list(report.get("pairs"))]
    stories = [_dict(s) for s in _list(report.get("stories"))]
    docs = _Docs(raw_docs)
    links = _site_links(site)
    ranks = [_rank(i, s, docs) for i, s in enumerate(stories)]
    featured = _featured(ranks)
    feat = {r.index for r in featured}
    pair_idx = _select_pairs(featured, stories, pairs, docs)
    doc_idx = _select_docs(featured, stories, docs, raw_docs)
    docs.show({_str(raw_docs[i].get("id")): f"#doc-{i}" for i in doc_idx}, links.document if links else None)
    pair_at: dict[frozenset[str], str] = {}
    for i in pair_idx:
        pair_at.setdefault(frozenset((_str(pairs[i].get("a")), _str(pairs[i].get("b")))), f"#pair-{i}")
    if links is not None:
        for p in pairs:
            pair_at.setdefault(frozenset((_str(p.get("a")), _str(p.get("b")))), links.pair(_str(p.get("a")), _str(p.get("b"))))

    def href(r: Rank) -> str:
        if links is not None:
            if r.n_docs > 1:
                return links.story(r.id)
            one = _list(stories[r.index].get("documents"))
            return links.document(_str(one[0])) if one else ""
        return f"#story-{r.index}" if r.index in feat else ""

    ranks = [replace(r, href=href(r), featured=r.index in feat) for r in ranks]
    by_size = sorted(ranks, key=lambda r: (-r.n_docs, -r.n_sources, r.id))
    doc_views = [_doc_view(i, raw_docs[i]) for i in doc_idx]
    seen_kinds = {k for d in doc_views for k, _ in d["kinds"]} - {"body", "unclassified"}
    kinds = list(NOISE_KINDS) + sorted(seen_kinds - set(NOISE_KINDS))
    members = [len(_list(s.get("documents"))) for s in stories]
    return {
        "schema": _str(report.get("schema")) or "wiretrace.report/1",
        "summary": _summary(report, pairs),
        "figures": {
            "multi": sum(1 for n in members if n > 1),
            "in_multi": sum(n for n in members if n > 1),
            "largest": max(members, default=0),
        },
        "skipped": [
            (_cut(_str(_dict(x).get("path"))), _cut(_str(_dict(x).get("reason"))))
            for x in _list(report.get("skipped"))[:SKIPPED_LINES]
        ],
        "skipped_hidden": max(0, len(_list(report.get("skipped"))) - SKIPPED_LINES),
        "site": (site or "") + "index.html" if links is not None else "",
        "search": (site or "") + "search.html" if links is not None else "",
        "ranked": by_size[:TABLE_ROWS],
        "ranked_hidden": max(0, len(by_size) - TABLE_ROWS),
        "stories": [_story_view(r.index, stories[r.index], docs, pair_at, r) for r in ranks if r.featured],
        "n_featured": len(featured),
        "documents": doc_views,
        "documents_hidden": len(raw_docs) - len(doc_views),
        "pairs": [_pair_view(i, pairs[i], docs) for i in pair_idx],
        "pairs_hidden": len(pairs) - len(pair_idx),
        "kinds": [(k, slug(k)) for k in kinds],
        "passage_kinds": [(k, slug(k)) for k in PASSAGE_KINDS],
        "relations": [(r, slug(r)) for r in RELATIONS],
    }


def _site_links(site: str | None) -> Any:
    if site is None:
        return None
    prefix: str = site
    from wiretrace.report.links import StaticLinks  # imported here: wiretrace.app.web imports this module

    class Prefixed(StaticLinks):
        def story(self, story_id: str, page: int = 1) -> str:
            return prefix + super().story(story_id, page)

        def document(self, doc_id: str) -> str:
            return prefix + super().document(doc_id)

        def pair(self, a: str, b: str) -> str:
            return prefix + super().pair(a, b)

    return Prefixed()


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES, MARKS_STATIC]),
        autoescape=True,  # every value from the report is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def featured_documents(report: Mapping[str, Any]) -> set[str]:
    """The ids of the documents whose text the page may show (the featured stories' members): a
    caller holding the texts elsewhere needs to put only these in the dict."""
    stories = [_dict(s) for s in _list(report.get("stories"))]
    docs = _Docs([_dict(d) for d in _list(report.get("documents"))])
    featured = _featured([_rank(i, s, docs) for i, s in enumerate(stories)])
    return {_str(d) for r in featured for d in _list(stories[r.index].get("documents"))}


def render_html(report: Mapping[str, Any], site: str | None = None) -> str:
    """The report's overview as one self-contained HTML page (no external fetch; usable without JS),
    bounded whatever the corpus size; ``site`` is the story browser's folder relative to the page."""
    return _environment().get_template("index.html.j2").render(**build_view(report, site))
