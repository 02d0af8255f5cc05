"""Words and sentences with their character offsets: the units every later stage counts in.

Words are normalised (case-folded, curly quotes and dashes folded) only for comparison; their
``(start, end)`` always point into the raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nupunkt

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# A sentence end glued to the next sentence with no space ("...difference.A top official").
_GLUED = re.compile(r"(?<=[a-z\u00df-\u00ff]{2}[.!?])(?=[A-Z“\"‘])")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})


@dataclass(frozen=True, slots=True)
class Words:
    """Normalised word tokens of a text region and where each one stands in the raw text."""

    tokens: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.tokens)


def words(text: str, start: int = 0, end: int | None = None) -> Words:
    end = len(text) if end is None else end
    region = text[start:end]
    if region.isascii():
        # Most text: lower-casing ASCII keeps every offset and is the whole fold, done once per region
        # instead of once per word.
        low = region.lower()
        spans = [m.span() for m in _WORD.finditer(low)]
        return Words(
            tuple(low[s:e] for s, e in spans), tuple(s + start for s, _ in spans), tuple(e + start for _, e in spans)
        )
    toks: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _WORD.finditer(text, start, end):
        toks.append(m.group().translate(_FOLD).casefold())
        starts.append(m.start())
        ends.append(m.end())
    return Words(tuple(toks), tuple(starts), tuple(ends))


def words_in_ranges(text: str, ranges: tuple[tuple[int, int], ...]) -> Words:
    """Words of several ranges, concatenated in order (e.g. a document's body spans)."""
    toks: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for s, e in ranges:
        w = words(text, s, e)
        toks.extend(w.tokens)
        starts.extend(w.starts)
        ends.extend(w.ends)
    return Words(tuple(toks), tuple(starts), tuple(ends))


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence ranges within ``text[start:end]``, trimmed of surrounding white space.

    Line breaks always end a sentence (scraped text puts one block per line), and a sentence end
    glued to the next sentence without a space is split too.
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        base = start + line.start()
        chunk = line.group()
        pieces: list[tuple[int, int]] = []
        cut = 0
        for m in _GLUED.finditer(chunk):
            pieces.append((cut, m.start()))
            cut = m.start()
        pieces.append((cut, len(chunk)))
        for ps, pe in pieces:
            for _, (ss, se) in nupunkt.sent_spans_with_text(chunk[ps:pe]):
                s, e = _trim(text, base + ps + ss, base + ps + se)
                if e > s:
                    out.append((s, e))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def lines(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-blank lines of a region, trimmed: the blocks of scraped plain text."""
    end = len(text) if end is None else end
    out = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        s, e = _trim(text, start + m.start(), start + m.end())
        if e > s:
            out.append((s, e))
    return out
