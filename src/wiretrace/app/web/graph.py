"""Geometry for the pages' SVG drawings: the derivation tree and the publication timelines.

Only numbers and plain strings come out; the templates draw them, escaping every string. Positions
are SVG attributes (not inline styles), so the pages work under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from wiretrace.model import Relation

NODE_W, NODE_H = 220, 42
COL_GAP = 170  # room for the curve and the relation label on each edge
ROW_H = 54
PAD = 8
GRAPH_NODES = 80  # pages drawn; beyond this (or GRAPH_DEPTH levels) a parent's other children form one cluster node
GRAPH_DEPTH = 4


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    x: int
    y: int
    label: str  # the outlet, or the id when the outlet is unknown
    sub: str  # date and id
    href: str
    origin: bool
    tooltip: str
    cluster: int = 0  # a cluster node: how many pages it stands for


@dataclass(frozen=True, slots=True)
class GraphEdge:
    child: str
    parent: str
    path: str  # SVG path data
    relation: str
    rel: str  # CSS-safe relation
    label_x: int
    label_y: int
    label_w: int
    href: str  # the pair view, "" when the pair is not stored
    tooltip: str


@dataclass(slots=True)
class Graph:
    width: int = 0
    height: int = 0
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def derivation_graph(
    members: Sequence[str],
    origin: str | None,
    edges: Sequence[tuple[str, str, str, tuple[str, ...]]],  # (child, parent, relation, evidence)
    label: Callable[[str], tuple[str, str]],  # id -> (outlet, date)
    doc_href: Callable[[str], str],
    pair_href: Callable[[str, str], str],
    slug: Callable[[str], str],
    max_nodes: int = GRAPH_NODES,
    max_depth: int = GRAPH_DEPTH,
    cluster_href: str = "#sources",
) -> Graph:
    """Lay the tree out left to right: the origin at the root, each child one column right of its parent.

    A big story is collapsed: pages are drawn breadth first, ``max_depth`` levels and ``max_nodes``
    pages at most; the children of a drawn page that are not drawn become one cluster node under it
    ("+N pages", with their relations), and so do whole trees beyond the budget."""
    all_kids: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    has_parent: set[str] = set()
    for child, parent, relation, evidence in edges:
        if child == parent:
            continue
        all_kids.setdefault(parent, []).append((child, relation, evidence))
        has_parent.add(child)
    roots = ([origin] if origin else []) + [m for m in members if m != origin and m not in has_parent]
    # choose the drawn pages breadth first; count what each drawn page hides below it
    visible: set[str] = set()
    reached: set[str] = set()
    hidden: dict[str, list[str]] = {}  # drawn page -> relations of the pages hidden below it
    kids: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    level: list[str] = []
    top_hidden: list[str] = []

    def hide_below(node: str, into: list[str]) -> None:
        stack = [node]
        while stack:
            for c, rel, _ in all_kids.get(stack.pop(), []):
                if c not in reached:
                    reached.add(c)
                    into.append(rel)
                    stack.append(c)

    for r in dict.fromkeys(roots):
        if r in reached:
            continue
        reached.add(r)
        if len(visible) < max_nodes:
            visible.add(r)
            level.append(r)
        else:
            top_hidden.append(Relation.SAME_STORY)
            hide_below(r, top_hidden)
    def expand(level: list[str]) -> None:
        d = 1
        while level:  # one level of every tree at a time: the top levels are drawn first
            nxt = []
            for node in level:
                for c, rel, ev in all_kids.get(node, []):
                    if c in reached:
                        continue
                    reached.add(c)
                    if d < max_depth and len(visible) < max_nodes:
                        visible.add(c)
                        kids.setdefault(node, []).append((c, rel, ev))
                        nxt.append(c)
                    else:
                        box = hidden.setdefault(node, [])
                        box.append(rel)
                        hide_below(c, box)
            level, d = nxt, d + 1

    expand(level)
    for m in members:  # members only reachable through a cycle: drawn as roots while there is room
        if m not in reached:
            reached.add(m)
            roots.append(m)
            if len(visible) < max_nodes:
                visible.add(m)
                expand([m])
            else:
                top_hidden.append(Relation.SAME_STORY)
                hide_below(m, top_hidden)
    roots = [r for r in dict.fromkeys(roots) if r in visible]
    clusters: dict[str, tuple[str, list[str]]] = {}  # cluster id -> (parent or "", relations)
    for node, rels in hidden.items():
        cid = "\x00more\x00" + node
        clusters[cid] = (node, rels)
        kids.setdefault(node, []).append((cid, "", ()))
    if top_hidden:
        clusters["\x00more\x00"] = ("", top_hidden)
        roots.append("\x00more\x00")
    rows: dict[str, float] = {}
    depth: dict[str, int] = {}
    via: dict[str, tuple[str, str, tuple[str, ...]]] = {}  # child -> (parent, relation, evidence)
    next_row = 0

    def place(node: str, d: int) -> float:
        nonlocal next_row
        depth[node] = d
        rows[node] = -1.0
        placed = []
        for child, relation, evidence in kids.get(node, []):
            if child in rows:
                continue  # a cycle or a second parent: drawn once
            via[child] = (node, relation, evidence)
            placed.append(place(child, d + 1))
        if placed:
            rows[node] = (placed[0] + placed[-1]) / 2
        else:
            rows[node] = float(next_row)
            next_row += 1
        return rows[node]

    for r in dict.fromkeys(roots):
        if r not in rows:
            place(r, 0)
    g = Graph()

    def xy(node: str) -> tuple[int, int]:
        return PAD + depth[node] * (NODE_W + COL_GAP), PAD + round(rows[node] * ROW_H)

    for node in rows:
        x, y = xy(node)
        if node in clusters:
            rels = clusters[node][1]
            counts: dict[str, int] = {}
            for rel in rels:
                counts[rel] = counts.get(rel, 0) + 1
            what = ", ".join(f"{n} {r}" for r, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            g.nodes.append(GraphNode(
                node, x, y, f"+{len(rels)} more page{'s' if len(rels) != 1 else ''}", _short(what, 31), cluster_href, False,
                f"{len(rels)} pages not drawn ({what}); the sources table lists them all", len(rels),
            ))
            continue
        outlet, day = label(node)
        sub = " \u00b7 ".join(t for t in (day, node if outlet else "") if t)
        g.nodes.append(GraphNode(
            node, x, y, _short(outlet or node, 30), _short(sub, 31),
            doc_href(node), node == origin, " \u00b7 ".join(t for t in (outlet, day, node) if t),
        ))
    for child, (parent, relation, evidence) in via.items():
        px, py = xy(parent)
        cx, cy = xy(child)
        x0, y0, y1 = px + NODE_W, py + NODE_H // 2, cy + NODE_H // 2
        xl = x0 + 50  # the curve ends here; the label sits on the straight run into the child
        if child in clusters:
            g.edges.append(GraphEdge(child, parent, f"M{x0},{y0} C{x0 + 35},{y0} {xl - 35},{y1} {xl},{y1} H{cx}",
                                     "", "cluster", 0, 0, 0, "", "collapsed"))
            continue
        w = 12 + 7 * len(relation)
        g.edges.append(GraphEdge(
            child, parent, f"M{x0},{y0} C{x0 + 35},{y0} {xl - 35},{y1} {xl},{y1} H{cx}", relation, slug(relation),
            (xl + cx) // 2, y1, w, pair_href(child, parent),
            f"{child} {relation} {parent}" + (f": {'; '.join(evidence)}" if evidence else ""),
        ))
    g.width = max((n.x for n in g.nodes), default=0) + NODE_W + 2 * PAD
    g.height = max((n.y for n in g.nodes), default=0) + NODE_H + 2 * PAD
    return g


@dataclass(frozen=True, slots=True)
class Dot:
    x: int
    y: int
    cls: str
    tooltip: str


TIMELINE_W, TIMELINE_H = 170, 34


def timeline(points: Sequence[tuple[date | None, str, str]], width: int = TIMELINE_W) -> list[Dot]:
    """Dots at each (published day, css class, tooltip) along the story's time span; undated ones
    sit at the right end, hollow. Dots on one day stack upward."""
    days = [day for day, _, _ in points]
    known = [d for d in days if d is not None]
    lo, hi = (min(known), max(known)) if known else (None, None)
    span = (hi - lo).days if lo and hi else 0
    usable = width - 16
    counts: dict[int, int] = {}
    out = []
    for (_, cls, tip), d in zip(points, days, strict=True):
        if d is None or lo is None:
            x, cls = width - 6, cls + " undated"
        else:
            x = 8 + (round(usable * (d - lo).days / span) if span else usable // 2)
        n = counts.get(x, 0)
        counts[x] = n + 1
        out.append(Dot(x, TIMELINE_H - 8 - 8 * min(n, 2), cls, tip))
    return out
