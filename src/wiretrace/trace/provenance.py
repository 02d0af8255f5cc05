"""Trace and consolidate: per story, the origin, the derivation tree, the canonical text, the additions,
the headline and the summary.

The origin is the member with the strongest *provenance* evidence: an agency dateline of its own, no
credit given to another outlet, the earliest date, being the side others took from. Completeness
(holding what the others hold) and purity (little else) rank the rest and pick the canonical text,
but never make an origin on their own: where the provenance evidence ties, or there is none, the
story's origin is None and ``origin_evidence`` says why, rather than presenting a guess as a fact.
Each other member hangs under the higher-ranked member it is most aligned with; the edge carries the
relation, and a direction only where dates, datelines, credit, containment or which side holds
material the other lacks tell it, each line of evidence named by its kind; else "direction unknown".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import xxhash

from wiretrace.align import Alignment
from wiretrace.config import at_least, check_types
from wiretrace.model import (
    NO_CUES,
    Cleaned,
    Cues,
    Direction,
    DocSpans,
    Document,
    Edge,
    EdgeDirection,
    Pair,
    Relation,
    Story,
    merge_ranges,
)
from wiretrace.text.tokens import words
from wiretrace.trace.consolidate import SummaryConfig, consolidate

AlignFn = Callable[[str, str], Alignment]  # (doc a id, doc b id) -> alignment of their content

NO_DIRECTION = "direction unknown: no date, dateline, credit or containment tells who took from whom"


@dataclass(frozen=True, slots=True)
class TraceConfig:
    min_addition_words: int = 6  # shorter unaligned stretches are edits, not additions
    margin: float = 0.25  # provenance lead the origin needs over the runner-up; less is a tie
    summary: SummaryConfig = field(default_factory=SummaryConfig)

    def __post_init__(self) -> None:
        check_types("trace", self)
        at_least("trace", self, 1, "min_addition_words", what="a whole number of words >= 1")
        at_least("trace", self, 0, "margin", what="a provenance lead >= 0 (0: any lead singles out the origin)")


@dataclass(frozen=True, slots=True)
class Ranking:
    """Members best first; per member its provenance score and the evidence lines behind it."""

    ranked: tuple[str, ...]
    provenance: dict[str, float]
    why: dict[str, list[str]]  # provenance evidence
    completeness: dict[str, str]  # the completeness line, where the member has pairs


def _rank(
    members: Sequence[str], docs: Mapping[str, Document], pairs: Sequence[Pair], cues: Mapping[str, Cues]
) -> Ranking:
    prov = dict.fromkeys(members, 0.0)
    why: dict[str, list[str]] = {m: [] for m in members}
    dates = [d for m in members if (d := docs[m].day)]
    first = min(dates) if dates else None
    for m in members:
        c = cues.get(m, NO_CUES)
        if c.dateline is not None:
            prov[m] += 2
            why[m].append(f"dateline: opens with its own {c.dateline} dateline")
        if c.attribution is not None:
            prov[m] -= 2
            why[m].append(f"attribution: credits {c.attribution}")
        if first and docs[m].day == first and len(set(dates)) > 1:
            prov[m] += 1
            why[m].append(f"dates: earliest published ({first})")
    gave: dict[str, list[str]] = {m: [] for m in members}
    took: dict[str, list[str]] = {m: [] for m in members}
    complete: dict[str, list[float]] = {m: [] for m in members}
    pure: dict[str, list[float]] = {m: [] for m in members}
    for p in pairs:
        if p.direction in (Direction.A_FROM_B, Direction.B_FROM_A):
            src, dst = (p.b, p.a) if p.direction == Direction.A_FROM_B else (p.a, p.b)
            prov[src] += 0.5
            prov[dst] -= 0.5
            gave[src].append(dst)
            took[dst].append(src)
        complete[p.a].append(p.scores.b_covered)
        complete[p.b].append(p.scores.a_covered)
        pure[p.a].append(p.scores.a_covered)
        pure[p.b].append(p.scores.b_covered)
    for m in members:
        if gave[m]:
            why[m].append(f"direction: {len(gave[m])} related page(s) took from it ({', '.join(sorted(gave[m])[:3])})")
        if took[m]:
            why[m].append(f"direction: it took from {len(took[m])} related page(s) ({', '.join(sorted(took[m])[:3])})")
    score = dict(prov)
    completeness: dict[str, str] = {}
    for m in members:
        if complete[m]:
            c_ = sum(complete[m]) / len(complete[m])
            p_ = sum(pure[m]) / len(pure[m])
            score[m] += c_ + 0.5 * p_
            completeness[m] = f"completeness: holds {c_:.0%} of what related pages carry; {p_:.0%} of it is found elsewhere"

    def key(m: str) -> tuple[float, str]:
        # Ties are broken by a hash of the text, never by arrival order.
        return (-round(score[m], 6), xxhash.xxh64_hexdigest(docs[m].text.encode("utf-8")))

    return Ranking(tuple(sorted(members, key=key)), prov, why, completeness)


def _origin(rk: Ranking, margin: float) -> tuple[str | None, tuple[str, ...]]:
    """The origin where the provenance evidence singles one member out, else None; with the reasons."""
    members = rk.ranked
    top = members[0]
    if len(members) == 1:
        return top, ("the only document of its story",)
    lead = max(members, key=lambda m: (rk.provenance[m], -members.index(m)))
    runner = max(rk.provenance[m] for m in members if m != lead)
    if rk.provenance[lead] - runner >= margin:
        ahead = f"ahead on provenance evidence ({rk.provenance[lead]:+.1f} vs {runner:+.1f} for the next member)"
        return lead, (*rk.why[lead], ahead, *([rk.completeness[lead]] if lead in rk.completeness else []))
    tied = sorted(m for m in members if rk.provenance[lead] - rk.provenance[m] < margin)
    if all(not rk.why[m] for m in members):
        reason = "origin undetermined: no dateline, credit, date or direction of reuse points to any member"
    else:
        shown = ", ".join(tied[:5]) + (f" and {len(tied) - 5} more" if len(tied) > 5 else "")
        reason = f"origin undetermined: the provenance evidence ties between {shown} ({rk.provenance[lead]:+.1f})"
    lines = [reason, *(f"{m}: {w}" for m in tied[:5] for w in rk.why[m])]
    lines.append(f"canonical text from {top}, the most complete" + (f" ({rk.completeness[top]})" if top in rk.completeness else ""))
    return None, tuple(lines)


def trace_story(
    story_id: str,
    members: Sequence[str],
    docs: Mapping[str, Document],
    cleaned: Mapping[str, Cleaned],
    pairs: Sequence[Pair],
    cues: Mapping[str, Cues],
    align_fn: AlignFn,
    config: TraceConfig | None = None,
) -> Story:
    config = config or TraceConfig()
    # One form filled with other facts says nothing of who took from whom: no edge, no provenance.
    pairs = [p for p in pairs if p.relation != Relation.TEMPLATE]
    rk = _rank(members, docs, pairs, cues)
    origin, origin_evidence = _origin(rk, config.margin)
    # The tree's root (and the canonical text) is the origin where there is one, else the most complete.
    order = [origin, *(m for m in rk.ranked if m != origin)] if origin else list(rk.ranked)
    root = order[0]
    by_pair = {(p.a, p.b): p for p in pairs}
    by_pair.update({(p.b, p.a): p for p in pairs})
    edges: list[Edge] = []
    placed = [root]
    for d in order[1:]:
        best: tuple[float, str, Pair] | None = None
        for p_id in placed:
            p = by_pair.get((d, p_id))
            if p is None:
                continue
            d_cov = p.scores.a_covered if p.a == d else p.scores.b_covered
            took = (p.a == d and p.direction == Direction.A_FROM_B) or (p.b == d and p.direction == Direction.B_FROM_A)
            s = d_cov + (0.5 if took else 0.0)
            if best is None or s > best[0]:
                best = (s, p_id, p)
        if best is None:
            edges.append(Edge(d, root, Relation.SAME_STORY, ("grouped through others: no passage aligns it to a higher-ranked page", NO_DIRECTION)))
        else:
            _, parent, p = best
            direction, ev = edge_evidence(d, parent, p, docs, cues)
            edges.append(Edge(d, parent, p.relation, ev, direction))
        placed.append(d)
    canonical = DocSpans(root, cleaned[root].body)
    additions = []
    for d in order[1:]:
        spans = _additions(d, root, docs, cleaned, by_pair, align_fn, config)
        if spans:
            additions.append(DocSpans(d, spans))
    title = docs[root].title or _first_line(docs[root], cleaned[root])
    cons = consolidate(order, docs, cleaned, root, title, config.summary)
    return Story(
        id=story_id, title=title, documents=tuple(sorted(members)), origin=origin,
        edges=tuple(edges), canonical=canonical, additions=tuple(additions),
        origin_evidence=origin_evidence, headline=cons.headline, headline_source=cons.headline_source,
        summary=cons.summary,
    )


def edge_evidence(
    child: str, parent: str, p: Pair, docs: Mapping[str, Document], cues: Mapping[str, Cues]
) -> tuple[EdgeDirection, tuple[str, ...]]:
    """Whether ``child`` took from ``parent`` ("child<-parent"), the reverse, or "none", and why.

    Each line of evidence is one vote, named by its kind: dates, dateline, attribution, containment
    (the page holding the other's whole text plus more wrapped it), material (of a derivative pair,
    the side holding what the other lacks is the fuller source). Votes that cancel out, or none at
    all, leave the direction unknown; independent reports (same_story) have none by definition.
    """
    c_cov = p.scores.a_covered if p.a == child else p.scores.b_covered
    p_cov = p.scores.b_covered if p.a == child else p.scores.a_covered
    ev = [f"{p.relation}: {c_cov:.0%} of {child} aligns with {parent}; {p_cov:.0%} of {parent} with {child}"]
    if p.relation == Relation.SAME_STORY:
        ev.append("direction none: independent reports of one event, no text taken either way")
        return EdgeDirection.NONE, tuple(ev)
    votes = 0
    cc, pc = cues.get(child, NO_CUES), cues.get(parent, NO_CUES)
    dc, dp = docs[child].day, docs[parent].day
    if dc and dp and dc != dp:
        votes += 1 if dc > dp else -1
        ev.append(f"dates: {child} published {dc}, {'after' if dc > dp else 'before'} {parent} ({dp})")
    if (pc.dateline is None) != (cc.dateline is None):
        who, other, agency = (parent, child, pc.dateline) if pc.dateline is not None else (child, parent, cc.dateline)
        votes += 1 if who == parent else -1
        ev.append(f"dateline: {who} opens with its own {agency} dateline, {other} does not")
    if (cc.attribution is None) != (pc.attribution is None):
        who, agency = (child, cc.attribution) if cc.attribution is not None else (parent, pc.attribution)
        votes += 1 if who == child else -1
        ev.append(f"attribution: {who} credits {agency}")
    if p.relation == Relation.CONTAINS:
        holder, held = (p.a, p.b)
        votes += 1 if holder == child else -1
        ev.append(f"containment: {holder}'s page holds {held}'s whole text plus material of its own")
    elif p.relation == Relation.DERIVATIVE and abs(c_cov - p_cov) > 0.05:
        fuller, shorter = (parent, child) if c_cov > p_cov else (child, parent)
        votes += 1 if fuller == parent else -1
        ev.append(f"material: {fuller} holds material {shorter} lacks "
                  f"({max(c_cov, p_cov):.0%} of {shorter} is in {fuller}, {min(c_cov, p_cov):.0%} the other way)")
    if votes > 0:
        return EdgeDirection.FROM_PARENT, tuple(ev)
    if votes < 0:
        ev.append(f"the evidence says {parent} took from {child}: placed under it by rank, not by this pair")
        return EdgeDirection.TO_PARENT, tuple(ev)
    ev.append("direction unknown: the evidence ties" if len(ev) > 1 else NO_DIRECTION)
    return EdgeDirection.NONE, tuple(ev)


def _first_line(doc: Document, cl: Cleaned) -> str:
    if cl.body:
        s, e = cl.body[0]
        return doc.text[s:e][:120]
    return doc.text.strip().split("\n", 1)[0][:120]


def _additions(
    d: str, origin: str, docs: Mapping[str, Document], cleaned: Mapping[str, Cleaned],
    by_pair: Mapping[tuple[str, str], Pair], align_fn: AlignFn, config: TraceConfig,
) -> tuple[tuple[int, int], ...]:
    """Body stretches of ``d`` that no passage aligns to the origin's text."""
    p = by_pair.get((d, origin))
    if p is not None:
        aligned = [q.a if p.a == d else q.b for q in p.passages]
    else:
        al = align_fn(d, origin)
        aligned = [q.a for q in al.passages]
    covered = merge_ranges(aligned)
    text = docs[d].text
    out = []
    for s, e in cleaned[d].body:
        cur = s
        for cs, ce in covered:
            if ce <= cur or cs >= e:
                continue
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
        if cur < e:
            out.append((cur, e))
    kept = []
    for s, e in out:
        w = words(text, s, e)
        if len(w) >= config.min_addition_words:
            kept.append((w.starts[0], w.ends[-1]))
    return merge_ranges(kept)
