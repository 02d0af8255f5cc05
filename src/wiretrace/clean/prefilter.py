"""Cheap exact guards for the cleaner's wording regexes: a pattern's necessary literals.

Most blocks (article prose) match none of the wording cues, and a failed ``search`` of a pattern
that opens with ``\\b`` or a group tries every position of the block. ``required`` reads a pattern's
parse tree and finds a set of literal strings one of which every match must contain (a branch
contributes the union of its alternatives' sets, a sequence the best set of any of its items).
``Guarded`` looks for those literals first (plain substring tests, C speed) and runs the pattern
only where one of them occurs, so the answer is always the pattern's own.
"""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_LITERAL = sre_parse.LITERAL
_BRANCH = sre_parse.BRANCH
_SUBPATTERN = sre_parse.SUBPATTERN
_IN = sre_parse.IN
_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None))
_ATOMIC = getattr(sre_parse, "ATOMIC_GROUP", None)


def _score(lits: frozenset[str]) -> tuple[int, int]:
    """How selective a set of literals is: its shortest literal's length, then few literals."""
    return (min(len(x) for x in lits), -len(lits))


def _seq(items: Any) -> frozenset[str] | None:
    """The best necessary set of a sequence: a run of literals, or one item's set."""
    best: frozenset[str] | None = None
    run: list[str] = []
    cands: list[frozenset[str]] = []
    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        if run:
            cands.append(frozenset(["".join(run)]))
            run = []
        sub = _item(op, av)
        if sub is not None:
            cands.append(sub)
    if run:
        cands.append(frozenset(["".join(run)]))
    for c in cands:
        if best is None or _score(c) > _score(best):
            best = c
    return best


def _item(op: Any, av: Any) -> frozenset[str] | None:
    if op is _BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            sub = _seq(alt)
            if sub is None:
                return None
            out |= sub
        return frozenset(out)
    if op is _SUBPATTERN:
        _, add_flags, del_flags, body = av
        if add_flags or del_flags:  # scoped flags: its literals would not match as the guard's do
            return None
        return _seq(body)
    if op is _ATOMIC and _ATOMIC is not None:
        return _seq(av)
    if op is _IN:  # a class of plain characters: one of them
        if all(o is _LITERAL for o, _ in av):
            return frozenset(chr(c) for _, c in av)
        return None
    if op in _REPEATS and op is not None:
        lo, _, body = av
        return _seq(body) if lo >= 1 else None
    return None  # anchors, classes, look-arounds, back-references: nothing required


def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literals one of which occurs in every match of ``pattern`` (none holding another: a text that
    holds the longer one holds the shorter); None when it needs none we can tell."""
    if pattern.flags & re.VERBOSE:
        return None
    lits = _seq(sre_parse.parse(pattern.pattern, pattern.flags))
    if lits is None or not all(lits):
        return None
    return frozenset(x for x in lits if not any(y != x and y in x for y in lits))


# Under IGNORECASE a Unicode pattern matches these to ASCII letters (and back), which lower-casing does not.
_CASE_ODD = frozenset("\u0130\u0131\u017f\u212a")


class Guarded:
    """``pattern.search`` behind a test for its necessary literals: the same answer, faster on text
    that holds none of them.

    A case-sensitive pattern's literals are looked for in the text as they are. An IGNORECASE
    pattern's literals are looked for, lower-cased, in the lower-cased text when the text is ASCII
    (where an ASCII letter matches a literal's letter exactly when their lower cases are equal);
    on other text the pattern runs unguarded."""

    __slots__ = ("icase", "lits", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.icase = bool(pattern.flags & re.IGNORECASE)
        lits = required(pattern)
        if lits is not None and self.icase:
            lits = None if any(set(x) & _CASE_ODD for x in lits) else frozenset(x.lower() for x in lits)
        self.lits = tuple(sorted(lits)) if lits else None

    def search(self, text: str, low: str | None = None) -> re.Match[str] | None:
        """``pattern.search(text)``; ``low`` is ``text.lower()`` where the caller has it (IGNORECASE)."""
        lits = self.lits
        if lits is not None:
            if not self.icase:
                if not any(map(text.__contains__, lits)):
                    return None
            elif text.isascii():
                hay = text.lower() if low is None else low
                if not any(map(hay.__contains__, lits)):
                    return None
        return self.pattern.search(text)
