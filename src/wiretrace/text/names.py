"""Names: the capitalised words a passage is about (people, places, organisations).

Used by cleaning (does a block continue the first article or a second one?) and by sketching
(independent reports of one event share names even where they share no phrasing).
"""

from __future__ import annotations

import re

from wiretrace.text.tokens import WORD, fold

STOP = frozenset(
    ["the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is", "was", "were", "be", "been", "are", "it", "its", "this", "that", "these", "those", "he", "she", "they", "we", "you", "i", "his", "her", "their", "our", "your", "them", "him", "us", "said", "says", "say", "will", "would", "could", "should", "has", "have", "had", "not", "no", "than", "then", "so", "if", "into", "about", "after", "before", "over", "under", "up", "out", "more", "most", "also", "who", "whom", "which", "what", "when", "where", "while", "there", "here", "all", "any", "some", "one", "two", "new", "last", "first", "week", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "year", "years", "per", "cent", "percent", "mr", "ms", "mrs", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)
_OPENERS = ".!?“\"‘'(—-:"


# A word token (``tokens.words``' pattern) that starts where ``words`` would start one (not inside a
# run of letters, nor after an apostrophe glued to one) and whose first character may be a capital
# (ASCII A-Z, or any non-ASCII character: ``str.isupper`` decides exactly): the only tokens
# ``names_in`` can keep, found without walking every word of the text in Python.
_CAPITALISED = re.compile(r"(?<![^\W_])(?<![^\W_]['’])(?=[A-Z]|[^\x00-\x7f])" + WORD.pattern, re.UNICODE)


# The same for tokens whose first character may be lower case (ASCII a-z, or any non-ASCII character:
# ``str.islower`` decides): the only ones ``lower_vocabulary`` keeps.
_LOWER_START = re.compile(r"(?<![^\W_])(?<![^\W_]['’])(?=[a-z]|[^\x00-\x7f])" + WORD.pattern, re.UNICODE)
# Both on ASCII text, where ``[^\W_]`` is ``[A-Za-z0-9]`` and the only apostrophe is ``'``: the first
# letter matched before the look-behinds, so that ``re`` skips in C every position that cannot start one.
_ASCII_ALNUM = "[A-Za-z0-9]"
_ASCII_TAIL = _ASCII_ALNUM + "*(?:'" + _ASCII_ALNUM + "+)*"
_ASCII_LOWER_START = re.compile(rf"[a-z](?<!{_ASCII_ALNUM}[a-z])(?<!{_ASCII_ALNUM}'[a-z]){_ASCII_TAIL}")
_ASCII_CAPITALISED = re.compile(rf"[A-Z](?<!{_ASCII_ALNUM}[A-Z])(?<!{_ASCII_ALNUM}'[A-Z]){_ASCII_TAIL}")


def lower_vocabulary(text: str) -> frozenset[str]:
    """Words the text writes in lower case somewhere (so a capitalised one is only sentence-initial).

    The tokens are those of ``tokens.words(text)`` whose first character is lower case, folded as
    ``words`` folds them; only those that may be are visited (``_LOWER_START``)."""
    if text.isascii():  # every token found starts with a-z; the fold is lower-casing
        return frozenset(map(str.lower, set(_ASCII_LOWER_START.findall(text))))
    return frozenset(fold(t) for t in _LOWER_START.findall(text) if t[0].islower())


def names_in(text: str, lower_vocab: frozenset[str], start: int = 0, end: int | None = None) -> set[str]:
    """Capitalised words that are names: not stop words, and (when sentence-initial) never written
    in lower case elsewhere. Possessives are folded ("putin's" -> "putin").

    The tokens are those of ``tokens.words(text, start, end)`` (the same words, folded the same
    way), but only the capitalised ones are visited."""
    end = len(text) if end is None else end
    out = set()
    region = text[start:end]
    for m in (_ASCII_CAPITALISED if region.isascii() else _CAPITALISED).finditer(region):
        st = start + m.start()
        if not text[st].isupper():
            continue
        tok = fold(m.group())
        if tok in STOP or len(tok) < 3:
            continue
        tok = tok.removesuffix("'s")
        before = text[max(start, st - 3) : st].rstrip()
        if (st == start or not before or before[-1] in _OPENERS) and tok in lower_vocab:
            continue
        out.add(tok)
    return out


def doc_names(text: str, ranges: tuple[tuple[int, int], ...]) -> frozenset[str]:
    lv = lower_vocabulary(text)
    out: set[str] = set()
    for s, e in ranges:
        out |= names_in(text, lv, s, e)
    return frozenset(out)
