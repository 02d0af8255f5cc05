"""The marks both renderings share: the report's overview page (``report.html``) and the story browser
(``app.web``). Text is cut into pieces under marks (``segment``: the pieces concatenate back to the raw
text exactly, so every highlighted character is the document's own); kinds and relations become CSS
classes (``slug``, styled once in ``static/marks.css``); directions are told in the same words.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from wiretrace.model import REUSE_RELATIONS, Direction

STATIC = Path(__file__).parent / "static"  # marks.css, marks.js: inlined by the overview, served by the browser
REUSE = frozenset(REUSE_RELATIONS)  # the relations where one page copies another
# Who took from whom, in words: ``{a}`` and ``{b}`` are the pair's sides (their ids, or "A" and "B").
DIRECTION_WORDS: dict[str, str] = {
    Direction.A_FROM_B: "{a} took from {b}",
    Direction.B_FROM_A: "{b} took from {a}",
    Direction.NONE: "who took from whom is not known",
}
DIRECTION_ARROWS: dict[str, str] = {Direction.A_FROM_B: "\u2190", Direction.B_FROM_A: "\u2192", Direction.NONE: "\u2194"}


def direction_words(direction: str, a: str = "A", b: str = "B") -> str:
    """A pair's direction told in words, with its sides named ``a`` and ``b``."""
    words = DIRECTION_WORDS.get(direction)
    return words.format(a=a, b=b) if words is not None else direction


def slug(v: object) -> str:
    """A CSS-class-safe form of a kind or relation name."""
    return re.sub(r"[^a-z0-9_-]+", "-", ("" if v is None else str(v)).lower()).strip("-") or "unknown"


@dataclass(frozen=True, slots=True)
class Seg:
    """A run of text under one mark, as a template draws it."""

    text: str
    cls: str = ""
    label: str = ""  # drawn by CSS from data-label, so the element's text stays the document's text
    id: str = ""
    href: str = ""
    title: str = ""
    passage: str = ""  # passage number, on passage pieces


class Mark(NamedTuple):
    """A range to highlight; where marks overlap, the one listed first wins."""

    start: int
    end: int
    cls: str
    label: str = ""


class Piece(NamedTuple):
    """A run of text under one mark (``mark`` is its index in the marks, -1 for none)."""

    text: str
    cls: str = ""
    label: str = ""  # the mark's label, on the mark's first piece only
    mark: int = -1
    first: bool = False


def segment(text: str, marks: Sequence[Mark], lo: int = 0, hi: int | None = None) -> list[Piece]:
    """Cut ``text[lo:hi]`` into non-overlapping pieces that concatenate back to it exactly.

    Each piece carries the first mark (in list order) that covers it, so overlapping marks render
    without breaking. Marks are clamped to the range; empty or reversed ones are ignored.
    """
    hi = len(text) if hi is None else max(0, min(hi, len(text)))
    lo = max(0, min(lo, hi))
    live = sorted((max(lo, m.start), min(hi, m.end), i) for i, m in enumerate(marks))
    live = [t for t in live if t[0] < t[1]]
    cuts = sorted({lo, hi, *(t[0] for t in live), *(t[1] for t in live)})
    runs: list[list[int]] = []  # [start, end, mark]
    heap: list[tuple[int, int]] = []  # (mark index, end): the smallest index covering wins
    j = 0
    for x, y in zip(cuts, cuts[1:], strict=False):
        while j < len(live) and live[j][0] <= x:
            heapq.heappush(heap, (live[j][2], live[j][1]))
            j += 1
        while heap and heap[0][1] <= x:
            heapq.heappop(heap)
        idx = heap[0][0] if heap else -1
        if runs and runs[-1][2] == idx:
            runs[-1][1] = y
        else:
            runs.append([x, y, idx])
    seen: set[int] = set()
    pieces = []
    for s, e, idx in runs:
        first = idx >= 0 and idx not in seen
        seen.add(idx)
        m = marks[idx] if idx >= 0 else None
        pieces.append(Piece(text[s:e], m.cls if m else "", m.label if m and first else "", idx, first))
    return pieces
