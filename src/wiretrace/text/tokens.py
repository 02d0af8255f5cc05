"""Words and sentences with their character offsets: the units every later stage counts in.

Words are normalised (case-folded, curly quotes and dashes folded) only for comparison; their
``(start, end)`` always point into the raw text.
"""

from __future__ import annotations

import functools
import re
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, islice
from typing import Generic, TypeVar

import nupunkt
from cachetools import LRUCache

K = TypeVar("K")
V = TypeVar("V")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
WORD = _WORD  # a word token, as every function here finds them
# A sentence end glued to the next sentence with no space ("...difference.A top official").
_GLUED = re.compile(r"(?<=[a-z\u00df-\u00ff]{2}[.!?])(?=[A-Z“\"‘])")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})


def fold(token: str) -> str:
    """One token as ``words`` normalises it (the same string whether its region is ASCII or not:
    case-folded, curly quotes and dashes folded; an ASCII token is only lower-cased)."""
    return token.lower() if token.isascii() else token.translate(_FOLD).casefold()


@dataclass(frozen=True, slots=True)
class Words:
    """Normalised word tokens of a text region and where each one stands in the raw text.

    Offsets are kept in compact integer arrays and equal tokens share one string: a region of a
    million words costs tens of megabytes, not hundreds (one long document stays bounded in memory).
    """

    tokens: tuple[str, ...]
    starts: Sequence[int]
    ends: Sequence[int]

    def __len__(self) -> int:
        return len(self.tokens)


_CHUNK = 1 << 16  # matches turned into offsets at a time
_SHARE_FROM = 100_000  # regions longer than this (characters) share one string per distinct token


def words(text: str, start: int = 0, end: int | None = None) -> Words:
    end = len(text) if end is None else end
    region = text[start:end]
    shared: dict[str, str] | None = {} if len(region) > _SHARE_FROM else None
    toks: list[str] = []
    starts, ends = array("q"), array("q")
    ascii_region = region.isascii()
    # Most text is ASCII: lower-casing it keeps every offset and is the whole fold, done once per
    # region instead of once per word.
    low = region.lower() if ascii_region else region
    matches = _WORD.finditer(low)
    while True:
        spans = [m.span() for m in islice(matches, _CHUNK)]
        if not spans:
            break
        if ascii_region:
            chunk = [low[s:e] for s, e in spans]
        else:
            chunk = [low[s:e].translate(_FOLD).casefold() for s, e in spans]
        toks.extend(chunk if shared is None else [shared.setdefault(t, t) for t in chunk])
        starts.extend([s + start for s, _ in spans])
        ends.extend([e + start for _, e in spans])
    return Words(tuple(toks), starts, ends)


def word_tokens(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """``words(text, start, end).tokens`` as a list, without the offsets: one regex call in C, for
    the many callers that count or bag the words (topic vectors, names, sentence lengths)."""
    region = text[start:end] if start or end is not None else text
    if region.isascii():
        return _WORD.findall(region.lower())
    return [t.translate(_FOLD).casefold() for t in _WORD.findall(region)]


def tokens_in_ranges(text: str, ranges: Sequence[tuple[int, int]]) -> list[str]:
    """``words_in_ranges(text, ranges).tokens`` as a list, without the offsets (and not kept): the
    sketch reads a document's body words once, to hash and count them."""
    if len(ranges) == 1:
        s, e = ranges[0]
        return word_tokens(text, s, e)
    out: list[str] = []
    for s, e in ranges:
        out += word_tokens(text, s, e)
    return out


class Kept(Generic[K, V]):
    """A function's results kept for its latest arguments, least recently used first out, up to
    ``budget`` units of ``weight`` (words, hashes) in all: many documents of news length, few long
    ones, and one over a quarter of the budget not kept at all. A worker relating a batch of pairs
    meets each document in several of them (in pairs sorted by their first document, its second
    documents come back batches apart): a count of entries would keep either too few short ones or
    too many long ones. The eviction is ``cachetools.LRUCache`` sized by ``weight``; the lock is for
    the HTTP service's threads, which share one."""

    def __init__(self, fn: Callable[[str, K], V], weight: Callable[[V], int], budget: int) -> None:
        self.fn, self.weight, self.budget = fn, weight, budget
        self.held: LRUCache[tuple[str, K], V] = LRUCache(maxsize=budget, getsizeof=weight)
        self.lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __call__(self, text: str, key: K) -> V:
        with self.lock:
            got = self.held.get((text, key))  # a hit counts as a use (LRUCache moves it to the end)
        if got is not None:
            return got
        value = self.fn(text, key)
        if self.weight(value) * 4 <= self.budget:
            with self.lock:
                self.held[(text, key)] = value
        return value

    def cache_clear(self) -> None:
        with self.lock:
            self.held.clear()


# Words kept for ``words_in_ranges``: about 40 MB (offsets, token strings) in all; a thousand news
# articles (a relate batch of 256 pairs holds up to 512 documents).
WORDS_KEPT = 400_000


def _words_in_ranges(text: str, ranges: tuple[tuple[int, int], ...]) -> Words:
    toks: list[str] = []
    starts, ends = array("q"), array("q")
    for s, e in ranges:
        w = words(text, s, e)
        toks.extend(w.tokens)
        starts.extend(w.starts)
        ends.extend(w.ends)
    return Words(tuple(toks), starts, ends)


words_in_ranges = Kept(_words_in_ranges, len, WORDS_KEPT)
"""Words of several ranges, concatenated in order (e.g. a document's body spans), kept for the latest
(text, ranges) up to ``WORDS_KEPT`` words (``Kept``): a document is read by every pair it is in, and by
the stages after alignment (a ``str`` keeps its hash, so a look-up costs no pass over the text)."""


def count_words(text: str, start: int = 0, end: int | None = None, at_most: int | None = None) -> int:
    """How many words ``text[start:end]`` holds, counting no further than ``at_most``."""
    end = len(text) if end is None else end
    n = 0
    for _ in _WORD.finditer(text, start, end):
        n += 1
        if at_most is not None and n >= at_most:
            break
    return n


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence ranges within ``text[start:end]``, trimmed of surrounding white space.

    Line breaks end a sentence (scraped text puts one block per line), except in hard-wrapped text
    (``wrap_width``: newswire, e-mail), where only a blank line does; a sentence end glued to the
    next sentence without a space is split too.

    Kept for the last ``SENTENCE_CACHE`` (text, start, end): a document's sentences are read by
    every candidate pair it is in, by its story's trace and by the story summary.
    """
    return list(_sentences(text, start, end))


SENTENCE_CACHE = 1024


@lru_cache(maxsize=SENTENCE_CACHE)
def _sentences(text: str, start: int, end: int | None) -> tuple[tuple[int, int], ...]:
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    wrapped = bool(_wrap_width_cached(text))
    for line in re.finditer(r"[^\n]+(?:\n[ \t]*[^\s][^\n]*)*" if wrapped else r"[^\n]+", text[start:end]):
        base = start + line.start()
        chunk = line.group().replace("\n", " ")  # same length: offsets stay
        pieces: list[tuple[int, int]] = []
        cut = 0
        for m in _GLUED.finditer(chunk):
            pieces.append((cut, m.start()))
            cut = m.start()
        pieces.append((cut, len(chunk)))
        for ps, pe in pieces:
            for ws, we in _runs(chunk, ps, pe, MAX_SENTENCE_CHARS * 4):
                for _, (ss, se) in nupunkt.sent_spans_with_text(chunk[ws:we]):
                    s, e = trim(text, base + ws + ss, base + ws + se)
                    for rs, re_ in _runs(text, s, e, MAX_SENTENCE_CHARS):
                        rs, re_ = trim(text, rs, re_)
                        if re_ > rs:
                            out.append((rs, re_))
    return tuple(out)


MAX_SENTENCE_CHARS = 2_000  # a longer "sentence" (a run without sentence ends) is cut at white space


def _runs(text: str, start: int, end: int, most: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into pieces of at most ``most`` characters, each cut at the last white
    space before the limit (inside a word only when a piece holds none): one long run without a
    sentence end costs bounded work and memory downstream."""
    if end - start <= most:
        return [(start, end)]
    out = []
    while end - start > most:
        cut = max(text.rfind(" ", start, start + most), text.rfind("\n", start, start + most))
        cut = cut if cut > start else start + most
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


@lru_cache(maxsize=2048)
def _wrap_width_cached(text: str) -> int:
    """``wrap_width`` of a whole text, computed once per text (sentences() is called per range)."""
    return wrap_width(text)


def trim(text: str, s: int, e: int) -> tuple[int, int]:
    """``[s, e)`` without the white space at either end."""
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
        s, e = trim(text, start + m.start(), start + m.end())
        if e > s:
            out.append((s, e))
    return out


def raw_lines(text: str) -> list[tuple[int, int]]:
    """Every line of ``text`` as ``[start, end)`` without its newline, blank lines included."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def wrap_width(
    text: str,
    min_width: int = 40,
    max_width: int = 100,
    min_share: float = 0.3,
    min_lines: int = 2,
    min_chars: float = 0.6,
) -> int:
    """The column at which ``text`` was hard-wrapped (newswire feeds, e-mail, fixed-width dumps), or 0.

    Greedy wrapping leaves a tell-tale: a line wrapped at column W is one the next line's first word
    would not have fitted on (``len(line) + 1 + len(word) > W >= len(line)``). The width is the W
    between 40 and 100 that most lines followed by another line fit that way, less the lines longer
    than W; the text is hard-wrapped when at least 2 lines and 30% of them do (a wire story's table
    rows and short last lines do not). Scraped text with one paragraph per line does not, nor do lists of short lines
    (menus, headlines): their line ends fall anywhere, ~10% of them within a word of any column.
    Two more tells guard a page's visible text (menus of short lines between long paragraphs, blank
    lines between blocks): most non-blank lines run on into the next line, and most of the text
    (``min_chars``) lies in lines within the column.
    """
    if text.count("\n") < 2:  # fewer than two line pairs: not wrapped (the cleaner's blocks, one line each)
        return 0
    # Each line without its trailing white space, and the length of its first word (``\S+``: the first
    # item of ``str.split``, which splits at the same white space), 0 for a blank line.
    rows = text.split("\n")
    ends = [len(r.rstrip()) for r in rows]
    firsts = [len(r.split(None, 1)[0]) if n else 0 for r, n in zip(rows, ends, strict=True)]
    # (length of a line, length of the next line's first word), for a non-blank line before one
    pairs = [(n, w) for n, w in zip(ends, firsts[1:], strict=False) if n and w]
    lens = [n for n in ends if n]
    if len(pairs) < 2 or len(pairs) < 0.5 * len(lens):
        return 0
    # a pair is wrapped at every width in [len, len + len(word)]: count them all in one sweep
    diff = [0] * (max_width + 2)
    for ln, w in pairs:
        lo, hi = max(ln, min_width), min(ln + w, max_width)
        if lo <= hi:
            diff[lo] += 1
            diff[hi + 1] -= 1
    # the width most pairs fit, less the lines longer than it (a wrapped text has none): a short
    # first line (a dateline cut off) or a paragraph's last line must not pull the width down
    longer = [0] * (max_width + 2)
    for n in lens:
        longer[min(n, max_width + 1)] += 1
    # at each width: the pairs it fits (running sum of ``diff``) less the lines longer than it (those
    # not yet counted off by the running sum of ``longer``); the first width of the highest positive
    # score wins (whole numbers: exact)
    runs = list(accumulate(diff[: max_width + 1]))
    shorter = accumulate(longer[: max_width + 1])
    scores = [r - (len(lens) - s) for r, s in zip(runs, shorter, strict=True)]
    top = max(scores)
    best, best_n = (scores.index(top), runs[scores.index(top)]) if top > 0 else (0, 0)
    if best_n < min_lines or best_n < min_share * len(pairs):
        return 0
    return best if sum(n for n in lens if n <= best) >= min_chars * sum(lens) else 0
