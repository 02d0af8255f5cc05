"""Templates: two texts of one form filled with other facts are not reuse.

Newswires and house styles publish thousands of briefs from one mould: quarterly results ("Shr ...
vs ... / Net ... / Revs ..."), dividend notices, bond issues, sports results, weather. Two of them
share most of their words and still report two different things: another company, other figures,
another date. Copying would carry the facts along; a template changes exactly those.

The test, on the texts' compared ranges (and on their headlines where the bodies cannot tell):

* **slots** are the words that carry the facts: numbers (any word with a digit, or a number word) and names
  (capitalised words that do not open a sentence, in lines not written all in capitals);
* **form**: each side's words with every slot masked are aligned by seed-and-extend
  (``align.verbatim_passages``); the share of each side the masked alignment covers is the form the
  two share;
* **fillers**: inside the masked passages, the slots that stand at the same place on both sides are
  compared word for word. A copy carries its fillers along (a corrected or updated copy changes a
  few); a template changes many of them;
* **headlines**: two bodies alike filler for filler (identical, or 70% alike in form), or two briefs
  (``brief_words``) whatever they share, under headlines
  that each name a subject the other document never writes ("X SETS QUARTERLY" and "Y SETS
  QUARTERLY": in capitals, a name is a word few documents of the corpus hold; in sentence case, a
  capitalised word after the first) are briefs about two subjects. Figures in headlines do not count
  (over one body they are a time stamp or a correction), nor a misspelt name ("Sveeco" / "Veeco");
* **one headline mould**: two briefs whose headlines are the same words but in one place, where each
  writes what the other document never writes (another town's market, another time of an intraday
  table, another kind of operation), over bodies that differ too, are two notices of one series;
* **line-ups**: where no other test finds a template, every passage the aligner matched being a list of
  names with other names in their places (two matches' team sheets, two issuers' bond terms), under
  headlines that share no word, is one form with other people (``other_names``).

The verdict names what differs ("template: same form, other names / figures") and where (``slots``:
pairs of character ranges, one on each side, for the pair view to highlight).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import lru_cache, partial

from wiretrace.align import AlignConfig, verbatim_passages
from wiretrace.config import at_least, check_types, share
from wiretrace.sketch import shingle_hashes
from wiretrace.text.facts import Value, fact_at, facts, same_fact
from wiretrace.text.names import STOP
from wiretrace.text.tokens import Words, words, words_in_ranges
from wiretrace.text.topic import content_words, corpus_size, doc_frequency

_MASK = "\x00slot"
_ALIGN_DEFAULT = AlignConfig()
_OPENERS = ".!?:;\"'“‘(—–-•*"
_DIGIT = re.compile(r"\d")
# Figures written in words are fillers too ("two billion dlrs", "record April six").
NUMBER_WORDS = frozenset(
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "half", "quarter"]
)


@dataclass(frozen=True, slots=True)
class TemplateConfig:
    form: float = 0.1  # share of each side the masked alignment must cover
    fillers: float = 0.2  # share of aligned slots that differ, from which the pair is a template
    min_differing: int = 2  # differing slots needed (fewer: an edit, not another subject)
    recurring_days: int = 1  # pairs published this many days apart or more: one differing figure is enough
    rewritten_figures: float = 0.5  # share of a rewritten passage's figures the other side must not hold
    rewritten_cover: float = 0.6  # share of each text the passages matched by meaning must cover
    rare_df: int = 2  # a headline word held by at most this many documents (or rare_share of them) is a name
    rare_share: float = 0.0005
    max_words: int = 5000  # longer texts are not briefs: not tested
    copy_form: float = 0.7  # bodies this alike in form (and filler for filler) leave the headlines to tell
    brief_words: int = 150  # texts this short (both) are briefs: headlines naming two subjects tell, whatever the bodies share
    opening_words: int = 25  # a brief's subject stands in its first words: another name there is another subject

    def __post_init__(self) -> None:
        check_types("template", self)
        share("template", self, "form", "fillers", "rewritten_figures", "rewritten_cover", "copy_form", zero=False)
        share("template", self, "rare_share")
        at_least("template", self, 1, "min_differing", "max_words")
        at_least("template", self, 0, "recurring_days", "rare_df", "brief_words", "opening_words")


_DEFAULT = TemplateConfig()  # built (and checked) once, not for every pair


@dataclass(frozen=True, slots=True)
class TemplateVerdict:
    """Why a pair is a template: the form it shares, the fillers that differ, and where they stand."""

    form_a: float
    form_b: float
    differing: int  # aligned slots whose fillers differ
    compared: int  # aligned slots compared
    what: tuple[str, ...]  # "names", "figures", "headline"
    examples: tuple[tuple[str, str], ...]  # (a's filler, b's filler), a few
    slots: tuple[tuple[tuple[int, int], tuple[int, int]], ...]  # (a range, b range) of differing fillers
    reworded: bool = False  # passages matched by meaning, with other figures (no masked form measured)

    def reason(self) -> str:
        ex = "; ".join(f"{x} / {y}" for x, y in self.examples[:3])
        if self.what == ("line-up names",):
            return f"template: every shared passage is a list of names with others in their places (a line-up of other people: {ex})"
        if self.reworded and self.what == ("mould figures",):
            return "template: every shared passage is one mould with other figures (another day's notice)" + (f" ({ex})" if ex else "")
        if self.reworded and self.what == ("day figures",):
            return "template: the same notice on another day, other figures around the same words" + (f" ({ex})" if ex else "")
        if self.reworded:
            return "template: the same notice reworded, other figures" + (f" ({ex})" if ex else "")
        what = [_WHAT.get(w, w) for w in self.what]
        return (
            f"template: same form ({self.form_a:.0%} / {self.form_b:.0%} of the words once names and figures are masked), "
            f"other {' and '.join(what)}" + (f" ({ex})" if ex else "")
        )


_WHAT = {"date": "date (another day's notice)", "subject": "subject (another name in the opening or headline)",
         "headline subject": "subject or time in the headline (headlines of one mould, another word in one place that the other document never writes)",
         "day figures": "figures around the same words (another day's notice)"}


def slot_mask(text: str, w: Words) -> list[bool]:
    """Which words are slots: numbers, and names (capitalised, not opening a sentence, in a line not
    written all in capitals)."""
    out = []
    caps_line: dict[int, bool] = {}
    for tok, st in zip(w.tokens, w.starts, strict=True):
        if not tok.isalpha():
            out.append(_DIGIT.search(tok) is not None)
            continue
        if tok in NUMBER_WORDS:
            out.append(True)
            continue
        if not text[st].isupper():
            out.append(False)
            continue
        ls = text.rfind("\n", 0, st) + 1
        caps = caps_line.get(ls)
        if caps is None:
            le = text.find("\n", st)
            caps = caps_line[ls] = text[ls : le if le >= 0 else len(text)].isupper()
        if caps:
            out.append(False)
            continue
        # What stands before it, across a line break: hard-wrapped newswire starts lines mid-sentence.
        before = text[max(0, st - 200) : st].rstrip()
        out.append(bool(before) and before[-1] not in _OPENERS)
    return out


# A date written in the text ("through April 6", "the week starting March 23"): a copy carries it
# along; the same notice of another day writes another.
MONTHS = frozenset(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)

WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])

_NUMBER_VALUE = {w: str(i) for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
)}


def _kind(tok: str) -> str:
    return "figures" if not tok.isalpha() or tok in NUMBER_WORDS else "names"


@lru_cache(maxsize=1024)
def _side(text: str, ranges: tuple[tuple[int, int], ...]) -> tuple[list[bool], Words]:
    """The slots of a document's compared words and the words with them masked, kept for the last
    thousand documents (one is in many pairs: a brief meets many of its mould's others in one relate
    batch). Read only: the lists are shared."""
    w = words_in_ranges(text, ranges)
    slots = slot_mask(text, w)
    return slots, _masked(w, slots)


TokenFacts = tuple[tuple[int, Value, bool, str] | None, ...]
_GLOSS = re.compile(r"\s*[(\[]\s*$")
# A sum's currency, written before the figure ("$", "US$", "£", "A$") or after it ("dollars", "dlrs", "stg").
_CURRENCY_BEFORE = re.compile(r"(?:(?P<p>[A-Z]{1,2})?(?P<s>[$£€¥]))\s?$")
_CURRENCY_AFTER = re.compile(r"\s?(?P<w>dollars?|dlrs|pounds sterling|sterling|stg|euros?|yen)\b", re.I)
_CURRENCY_WORD = {"dollar": "$", "dollars": "$", "dlrs": "$", "pounds sterling": "£", "sterling": "£", "stg": "£",
                  "euro": "€", "euros": "€", "yen": "¥"}


def _currency(text: str, start: int, end: int) -> str:
    """The currency a figure at ``text[start:end]`` is a sum in ("$", "A$", "£", ...), or ""."""
    m = _CURRENCY_BEFORE.search(text, max(0, start - 4), start)
    if m:
        prefix = (m.group("p") or "").upper()
        return ("" if prefix in ("", "US") else prefix) + m.group("s")
    m = _CURRENCY_AFTER.match(text, end)
    return _CURRENCY_WORD[m.group("w").lower()] if m else ""


def token_facts(text: str, w: Words) -> TokenFacts:
    """For each word of ``w`` (words of ``text``), the fact it is part of (``text.facts``: a figure,
    date, time or initials whatever its form) as (index, value, gloss, currency), or None. ``gloss``: the fact
    stands in brackets right after another (a conversion: "$3.8bn (2.4bn)", "50 degrees (120
    Fahrenheit)"): kept on one side and dropped on the other, it is no filler of the form.
    ``currency``: the sum's currency mark (``_currency``), or ""."""
    if not len(w):
        return ()
    found = facts(text, w.starts[0], w.ends[-1])
    starts = [f.start for f in found]
    gloss = [k > 0 and _GLOSS.match(text, found[k - 1].end, f.start) is not None for k, f in enumerate(found)]
    money = [_currency(text, f.start, f.end) if f.value[0] == "num" else "" for f in found]
    out: list[tuple[int, Value, bool, str] | None] = []
    for st in w.starts:
        i = fact_at(found, starts, st)
        out.append(None if i is None else (i, found[i].value, gloss[i], money[i]))
    return tuple(out)


def _both_facts(text_a: str, wa: Words, text_b: str, wb: Words) -> tuple[TokenFacts, TokenFacts]:
    return token_facts(text_a, wa), token_facts(text_b, wb)


@lru_cache(maxsize=2048)
def _side_facts(text: str, ranges: tuple[tuple[int, int], ...]) -> TokenFacts:
    return token_facts(text, words_in_ranges(text, ranges))


def _masked(w: Words, slots: list[bool]) -> Words:
    return Words(tuple(_MASK if s else t for t, s in zip(w.tokens, slots, strict=True)), w.starts, w.ends)


def _fillers(
    wa: Words, sa: list[bool], wb: Words, sb: list[bool], passages: list[tuple[int, int, int, int, str, float]],
    masked: tuple[Words, Words] | None = None, known: Callable[[], tuple[TokenFacts, TokenFacts]] | None = None,
) -> tuple[list[int], list[tuple[int, int]]]:
    """Slots at the same place of a masked passage on both sides: which (a's token indices), and
    which of them differ (token indices a, b). ``known``: each side's ``token_facts`` (read only where
    some filler differs as written): two fillers
    that are one fact in other forms ("1,800" / "1800", "30 September" / "Sept. 30") do not differ."""
    compared: list[int] = []
    differ: list[tuple[int, int]] = []
    ma, mb = (masked[0].tokens, masked[1].tokens) if masked is not None else (_masked(wa, sa).tokens, _masked(wb, sb).tokens)
    in_a, in_b = set(wa.tokens), set(wb.tokens)
    unlike: list[tuple[int, int, bool]] = []  # slot pairs written otherwise, and whether they differ as words
    for a0, a1, b0, b1, _, _ in passages:
        pa, pb = ma[a0:a1], mb[b0:b1]
        # A passage the same word for word on both sides (most of a mould's) is one block: the matcher's
        # answer, without running it.
        blocks = ((0, 0, len(pa)),) if pa == pb else SequenceMatcher(None, pa, pb, autojunk=False).get_matching_blocks()
        for i, j, n in blocks:
            for k in range(n):
                x, y = a0 + i + k, b0 + j + k
                if sa[x] and sb[y]:
                    compared.append(x)
                    # Other fillers; a name the other side writes elsewhere was moved, not replaced
                    # (figures are compared where they stand: "1" and "15" recur in any brief).
                    tx, ty = _filler_value(wa.tokens[x]), _filler_value(wb.tokens[y])
                    if tx != ty:
                        unlike.append((x, y, not tx.isalpha() or not ty.isalpha() or (tx not in in_b and ty not in in_a)))
    if not any(d for _, _, d in unlike):
        return compared, []  # every filler alike: no fact to read (most pairs tested: copies)
    fa, fb = known() if known is not None else ((None,) * len(wa), (None,) * len(wb))
    same_a: set[int] = set()  # facts of each side that the other side writes at the same place, in another form
    same_b: set[int] = set()
    for x, y, d in unlike:
        f, g = fa[x], fb[y]
        if f is not None and g is not None and same_fact(f[1], g[1]):
            same_a.add(f[0])
            same_b.add(g[0])
        elif d:
            differ.append((x, y))
    # A word of a fact found at the same place on the other side in another form ("1,800" facing
    # "1800": the "800" left over, which slid onto the next slot) is no filler of its own.
    differ = [(x, y) for x, y in differ if _fact_id(fa[x]) not in same_a and _fact_id(fb[y]) not in same_b]
    differ = _written_otherwise(differ, wa, wb, fa, fb, sa, sb)
    return compared, _one_rate(_reordered(_rewritten_in_place(differ, wa, wb, in_a, in_b), fa, fb), fa, fb)


RATE = 0.01  # sums converted at one rate: every ratio within this share of the others


def _one_rate(differ: list[tuple[int, int]], fa: TokenFacts, fb: TokenFacts) -> list[tuple[int, int]]:
    """Nothing differs where every differing filler is a sum in one currency on one side and in
    another on the other, all at one rate ("£169.99 ... £179.99" / "$273 ... $289"): the same
    prices converted, not other prices. Two sums or more, each side's in one currency."""
    sums = [(f, g) for f, g in ((fa[x], fb[y]) for x, y in differ) if f is not None and g is not None]
    if len(sums) != len(differ):
        return differ
    pairs = dict.fromkeys((f[0], g[0]) for f, g in sums)
    if len(pairs) < 2 or len({i for i, _ in pairs}) != len(pairs) or len({j for _, j in pairs}) != len(pairs):
        return differ
    cur_a, cur_b = {f[3] for f, _ in sums}, {g[3] for _, g in sums}
    if len(cur_a) != 1 or len(cur_b) != 1 or "" in cur_a | cur_b or cur_a == cur_b:
        return differ
    ratios = []
    for f, g in sums:
        x, y = float(f[1][1]), float(g[1][1])
        if x <= 0 or y <= 0:
            return differ
        ratios.append(y / x)
    return [] if max(ratios) <= min(ratios) * (1 + RATE) else differ


def _written_otherwise(
    differ: list[tuple[int, int]], wa: Words, wb: Words, fa: TokenFacts, fb: TokenFacts, sa: list[bool], sb: list[bool],
) -> list[tuple[int, int]]:
    """The differing fillers less those that are one word or fact written otherwise:

    * one word glued on one side and split on the other ("Eleonora67" / "Eleonora[67]");
    * an initial facing the name it stands for ("P" / "Pratt");
    * a conversion in brackets after a figure on one side (``token_facts``' gloss);
    * a name misspelt by one letter (``MISSPELT`` letters or more: "MSBlast" / "MBlast");
    * a date, time, ordinal or initials the other side writes too, elsewhere or in another form
      ("the 9th Circuit" / "the Ninth Circuit", "U.S." / "United States") — specific enough to be
      one fact wherever it stands, unlike a plain figure ("1" and "15" recur in any brief)."""
    if not differ:
        return differ
    held_a = {f[1] for f in fa if f is not None and f[1][0] not in _PLACED}
    held_b = {f[1] for f in fb if f is not None and f[1][0] not in _PLACED}
    initials_a = {f[1][1] for f in fa if f is not None and f[1][0] == "initials"}
    initials_b = {f[1][1] for f in fb if f is not None and f[1][0] == "initials"}
    # The initials of one side's runs of names, read only against initials the other side writes.
    caps_a = _initials_of_runs(wa, sa) if initials_b else set()
    caps_b = _initials_of_runs(wb, sb) if initials_a else set()
    ta, tb = wa.tokens, wb.tokens
    set_a, set_b = set(ta), set(tb)
    # names of one side spelled out where the other writes their initials ("United States" / "U.S.")
    runs_a = _runs_of(wa, sa, initials_b)
    runs_b = _runs_of(wb, sb, initials_a)
    out = []
    for x, y in differ:
        tx, ty = ta[x], tb[y]
        glued = (
            (y + 1 < len(tb) and tx == ty + tb[y + 1]) or (y > 0 and tx == tb[y - 1] + ty)
            or (x + 1 < len(ta) and ty == tx + ta[x + 1]) or (x > 0 and ty == ta[x - 1] + tx)
        )
        initial = tx.isalpha() and ty.isalpha() and min(len(tx), len(ty)) == 1 and tx[0] == ty[0] and max(len(tx), len(ty)) > 1
        misspelt = tx.isalpha() and ty.isalpha() and min(len(tx), len(ty)) >= MISSPELT and _one_edit(tx, ty)
        # A fact the other side writes elsewhere, facing a word this side writes elsewhere too: the
        # slots slid, nothing was replaced.
        known = (
            (_found(fa[x], held_b, caps_b) and (ty in set_a or _found(fb[y], held_a, caps_a) or y in runs_b))
            or (_found(fb[y], held_a, caps_a) and (tx in set_b or _found(fa[x], held_b, caps_b) or x in runs_a))
        )
        f, g = fa[x], fb[y]
        gloss = (f is not None and f[2]) or (g is not None and g[2])
        if not (glued or initial or misspelt or known or gloss):
            out.append((x, y))
    return out


MISSPELT = 5  # names this long or longer one letter apart are one name misspelt ("MSBlast" / "MBlast")


def _one_edit(x: str, y: str) -> bool:
    """``x`` and ``y`` differ by one letter inserted, dropped or replaced."""
    if abs(len(x) - len(y)) > 1 or x == y:
        return False
    i = 0
    while i < min(len(x), len(y)) and x[i] == y[i]:
        i += 1
    return x[i + 1 :] == y[i + 1 :] or x[i:] == y[i + 1 :] or x[i + 1 :] == y[i:]


_PLACED = ("num", "qty")  # figures: compared where they stand


def _fact_id(f: tuple[int, Value, bool, str] | None) -> int:
    return -1 if f is None else f[0]


def _held(v: Value, held: set[Value]) -> bool:
    return v[0] not in _PLACED and any(same_fact(v, h) for h in held)


def _found(f: tuple[int, Value, bool, str] | None, held: set[Value], caps: set[str]) -> bool:
    """The fact (not a figure) is written on the other side too: the same value, or initials of names there."""
    return f is not None and (_held(f[1], held) or (f[1][0] == "initials" and f[1][1] in caps))


def _name_runs(w: Words, slots: list[bool], longest: int) -> Iterator[tuple[int, int]]:
    """Every run of two to ``longest`` consecutive names (slots of letters only), as (start, end):
    the sub-runs of each maximal run, found in one pass over the words."""
    toks = w.tokens
    i, n = 0, len(toks)
    while i < n:
        if not (slots[i] and toks[i].isalpha()):
            i += 1
            continue
        j = i + 1
        while j < n and slots[j] and toks[j].isalpha():
            j += 1
        for size in range(2, min(longest, j - i) + 1):
            for s in range(i, j - size + 1):
                yield s, s + size
        i = j


def _runs_of(w: Words, slots: list[bool], initials: set[str], longest: int = 5) -> set[int]:
    """The indices of the words of each run of names whose initials are in ``initials``."""
    out: set[int] = set()
    if not initials:
        return out
    toks = w.tokens
    for s, e in _name_runs(w, slots, longest):
        if "".join(t[0] for t in toks[s:e]) in initials:
            out.update(range(s, e))
    return out


def _initials_of_runs(w: Words, slots: list[bool], longest: int = 5) -> set[str]:
    """The initials of each run of two to ``longest`` consecutive names ("United States" -> "us"),
    for initials written on the other side."""
    toks = w.tokens
    return {"".join(t[0] for t in toks[s:e]) for s, e in _name_runs(w, slots, longest)}


def _reordered(differ: list[tuple[int, int]], fa: TokenFacts, fb: TokenFacts) -> list[tuple[int, int]]:
    """The differing fillers less the facts both sides write in another order: where every
    differing figure on each side is a fact (``text.facts``) and the two sides' values are the same
    set ("two American and one Yemeni" / "one Yemeni and two U.S."), nothing was replaced."""
    with_facts = [((x, y), f[1], g[1]) for x, y in differ if (f := fa[x]) is not None and (g := fb[y]) is not None]
    if len(with_facts) < 2:
        return differ
    if sorted({v for _, v, _ in with_facts}) != sorted({v for _, _, v in with_facts}):
        return differ
    drop = {xy for xy, _, _ in with_facts}
    return [xy for xy in differ if xy not in drop]


_CURRENCY_PREFIX = re.compile(r"^[^\W\d_]{1,3}(?=\d)")  # "US3" of "$US3.95", "A5" of "A$5"


def _filler_value(tok: str) -> str:
    """What a filler says, written either way: a number word's figure ("two" / "2"), a figure without
    the currency letters glued to it ("US3" of "$US3.95" / "3" of "$3.95")."""
    tok = _NUMBER_VALUE.get(tok, tok)
    return _CURRENCY_PREFIX.sub("", tok) if not tok.isalpha() else tok


def _rewritten_in_place(differ: list[tuple[int, int]], wa: Words, wb: Words, in_a: set[str], in_b: set[str]) -> list[tuple[int, int]]:
    """The differing fillers less those that are the same facts written in another order: two
    neighbours swapped ("27 December" / "December 27", "11 September" / "September 11"), and a pair
    each of whose words the other side writes elsewhere (a conversion dropped: "50 degrees (120
    Fahrenheit)" / "120 Fahrenheit": a figure facing a name, where the slots slid), words of three
    characters or more only ("1" and "15" recur in any brief), figures written in digits only."""
    out = []
    pairs = set(differ)
    for x, y in differ:
        tx, ty = wa.tokens[x], wb.tokens[y]
        swapped = any(
            (x + d, y + d) in pairs and wa.tokens[x + d] == ty and wb.tokens[y + d] == tx for d in (-1, 1)
        )
        moved = (
            tx in in_b and ty in in_a and len(tx) >= 3 and len(ty) >= 3 and not {tx, ty} & NUMBER_WORDS
            and tx.isalpha() != ty.isalpha()  # a figure facing a name: the slots slid, nothing was replaced
        )
        if not (swapped or moved):
            out.append((x, y))
    return out


def _coverage(n: int, ranges: list[tuple[int, int]]) -> float:
    if not n:
        return 0.0
    hit = bytearray(n)
    for s, e in ranges:
        hit[s:e] = b"\x01" * (e - s)
    return sum(hit) / n


@dataclass(frozen=True, slots=True)
class Side:
    """One document as the template test reads it: raw text, compared ranges, headline."""

    text: str
    ranges: tuple[tuple[int, int], ...]
    title: str | None = None


def template(
    a: Side, b: Side, idf: Mapping[str, float] | None = None, config: TemplateConfig | None = None,
    align_config: AlignConfig | None = None, *, copies: bool = False, n_docs: float | None = None,
    days: int | None = None, rewritten: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
    matched: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (), paraphrased: bool = False,
) -> TemplateVerdict | None:
    """The verdict when ``a`` and ``b`` share a form filled with other facts; None when they do not
    (``_template``), or where every passage the aligner matched (``matched``, less than
    ``rewritten_cover`` of either text: a list inside a report) is a list of names with other names in
    their places under headlines that share no word (two matches' line-ups, two issuers' bond terms:
    ``other_names``). ``paraphrased``: some passage was matched by meaning alone (the semantic pass):
    the two say the same thing in other words somewhere, which no list does, and words compared place
    by place in a reworded sentence say nothing of a line-up (ECB+ reports of one event, naming its
    people in other places, read as line-ups): no line-up verdict then."""
    verdict = _template(a, b, idf, config, align_config, copies=copies, n_docs=n_docs, days=days, rewritten=rewritten, matched=matched)
    if verdict is not None or copies or not matched or paraphrased:
        return verdict
    c = config or _DEFAULT
    if max(_char_share(a.ranges, [m[0] for m in matched]), _char_share(b.ranges, [m[1] for m in matched])) >= c.rewritten_cover:
        return None  # most of a text matched: the sentence itself, reworded or renamed, not a list inside a report
    if a.title and b.title and set(content_words(a.title)) & set(content_words(b.title)):
        return None  # one subject, whose passage the aligner may have matched loosely
    names = other_names(a.text, b.text, matched)
    if not names:
        return None
    slots = tuple((pa, pb) for pa, pb in _name_slots(a.text, b.text, matched, names))
    return TemplateVerdict(0.0, 0.0, len(names), len(names), ("line-up names",), tuple(dict.fromkeys(names))[:5], slots, reworded=True)


def _name_slots(
    text_a: str, text_b: str, matched: tuple[tuple[tuple[int, int], tuple[int, int]], ...], names: list[tuple[str, str]]
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the differing names of a line-up stand (the first place of each in its passage)."""
    out = []
    low_a, low_b = text_a.lower(), text_b.lower()
    for x, y in dict.fromkeys(names):
        for (a0, a1), (b0, b1) in matched:
            ia, ib = low_a.find(x, a0, a1), low_b.find(y, b0, b1)
            if ia >= 0 and ib >= 0:
                out.append(((ia, ia + len(x)), (ib, ib + len(y))))
                break
    return out


def _template(
    a: Side, b: Side, idf: Mapping[str, float] | None = None, config: TemplateConfig | None = None,
    align_config: AlignConfig | None = None, *, copies: bool = False, n_docs: float | None = None,
    days: int | None = None, rewritten: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
    matched: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
) -> TemplateVerdict | None:
    """The verdict when ``a`` and ``b`` share a form filled with other facts; None when they do not
    (a copy, an edit, a rewrite: whatever the other tests say).

    ``copies``: the bodies are known to agree word for word (or all but a few words): only the
    headlines can tell. ``n_docs``: the corpus size behind ``idf`` (``corpus_size``), when known.
    ``days``: the days between the two publication dates, when both are known: a notice that recurs
    on other days (a central bank's daily operation) changes as little as one figure, where a copy
    published on another day carries its figures along. ``rewritten``: the (a, b) character ranges
    the aligner matched by meaning, not word for word: their figures are compared too (a rewrite
    carries its figures; the same notice of another day, reworded, brings others: read only where
    ``days`` says the two were published on other days). ``matched``: the (a, b) character ranges of
    every passage the aligner matched: where they cover most of both texts published on other days,
    and what each side writes besides holds figures the other never writes, the two are one notice
    of two days (a refiner's price, a central bank's forecast), not a copy."""
    c = config or _DEFAULT
    ac = align_config or _ALIGN_DEFAULT
    wa, wb = words_in_ranges(a.text, a.ranges), words_in_ranges(b.text, b.ranges)
    if not len(wa) or not len(wb) or len(wa) > c.max_words or len(wb) > c.max_words:
        return None
    n = corpus_size(idf) if idf and n_docs is None else (n_docs or 0.0)
    if copies:
        return _headline_verdict(a, b, wa, wb, idf, n, c)
    recurring = days is not None and days >= c.recurring_days  # published on other days
    form_a, form_b = _form(a.text, a.ranges, b.text, b.ranges, ac)[1:]
    if form_a < c.form or form_b < c.form:
        return _form_open(a, b, wa, wb, rewritten if recurring else (), matched if recurring else (), idf, n, c)
    compared, differ = _form_fillers(a.text, a.ranges, b.text, b.ranges, ac)
    need = 1 if recurring else c.min_differing
    # Figures and names apart: a brief's recurring names (the agency, the market) would drown a
    # change of every figure.
    what = []
    for kind in ("figures", "names"):
        n_cmp = sum(1 for x in compared if _kind(wa.tokens[x]) == kind)
        n_dif = sum(1 for x, _ in differ if _kind(wa.tokens[x]) == kind)
        if n_dif >= need and n_dif >= c.fillers * n_cmp:
            what.append(kind)
    if not what and len(differ) >= need and len(differ) >= c.fillers * len(compared):
        what = sorted({_kind(wa.tokens[x]) for x, _ in differ})
    head: tuple[str, str] | None = None
    if not what:
        # Few fillers differ among many, but they are the ones that say which notice it is: the
        # date it writes, or its subject (a name in the opening words or in its headline).
        what = _telling(a, b, wa, wb, differ, c)
    if not what:
        # The bodies agree filler for filler: where they are one body, the headlines may still name two subjects.
        if min(form_a, form_b) >= c.copy_form:
            verdict = _headline_verdict(a, b, wa, wb, idf, n, c)
        else:
            verdict = _form_open(a, b, wa, wb, rewritten if recurring else (), matched if recurring else (), idf, n, c)
        if verdict is not None or max(len(wa), len(wb)) > c.brief_words:
            return verdict
        # Two headlines of one mould with another word in one place, each side's written nowhere in
        # the other document ("SIOUX FALLS HOGS ..." / "SIOUX CITY HOGS ...", "... 11:50" / "... 12:01"),
        # over bodies that differ too: two notices of one series, not a copy retitled.
        head = headline_mould(a, b, wa, wb, bool(differ))
        if head is None:
            return None
        what = ["headline subject"]
    pairs = list(differ)
    if "date" in what or "subject" in what:
        pairs.sort(key=lambda xy: not _telling(a, b, wa, wb, [xy], c))  # the telling fillers first
    examples = tuple(dict.fromkeys(((head,) if head else ()) + tuple(
        (a.text[wa.starts[x] : wa.ends[x]], b.text[wb.starts[y] : wb.ends[y]]) for x, y in pairs)))
    slots = tuple(((wa.starts[x], wa.ends[x]), (wb.starts[y], wb.ends[y])) for x, y in pairs)
    return TemplateVerdict(round(form_a, 4), round(form_b, 4), len(differ), len(compared), tuple(what), examples[:5], slots)


Masked = list[tuple[int, int, int, int, str, float]]


@lru_cache(maxsize=1024)
def _masked_hashes(text: str, ranges: tuple[tuple[int, int], ...], k: int) -> list[int]:
    """The seed-length shingle hashes of a document's words with its slots masked (``_side``), kept as
    ``_side`` is: a brief meets many of its mould's others. Read only."""
    return shingle_hashes(_side(text, ranges)[1].tokens, k).tolist()


# Pairs whose form and fillers are kept (``_form``, ``_form_fillers``): the template test reads one
# pair twice, as the veto before the transformer (``stages.relate_pair``'s ``one_form``) and after the
# relation, with other arguments but the same masked form; the pairs of one relate batch in between
# are few.
PAIRS_KEPT = 64


@lru_cache(maxsize=PAIRS_KEPT)
def _form(
    text_a: str, ranges_a: tuple[tuple[int, int], ...], text_b: str, ranges_b: tuple[tuple[int, int], ...], ac: AlignConfig,
) -> tuple[Masked, float, float]:
    """The masked alignment of two sides (seed-and-extend on the words with every slot masked, else the
    short form) and the share of each side it covers. Read only: the list is shared."""
    mwa, mwb = _side(text_a, ranges_a)[1], _side(text_b, ranges_b)[1]
    k = ac.seed
    hashes = (_masked_hashes(text_a, ranges_a, k), _masked_hashes(text_b, ranges_b, k)) if len(mwa) >= k and len(mwb) >= k else None
    masked = verbatim_passages(mwa, mwb, ac, hashes) or _short_form(mwa, mwb, ac)
    # The masked words are the compared words, one for one: their counts are the sides' word counts.
    return masked, _coverage(len(mwa), [(p[0], p[1]) for p in masked]), _coverage(len(mwb), [(p[2], p[3]) for p in masked])


@lru_cache(maxsize=PAIRS_KEPT)
def _form_fillers(
    text_a: str, ranges_a: tuple[tuple[int, int], ...], text_b: str, ranges_b: tuple[tuple[int, int], ...], ac: AlignConfig,
) -> tuple[list[int], list[tuple[int, int]]]:
    """``_fillers`` of the masked form (``_form``) of two sides. Read only: the lists are shared."""
    (sa, mwa), (sb, mwb) = _side(text_a, ranges_a), _side(text_b, ranges_b)
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    masked = _form(text_a, ranges_a, text_b, ranges_b, ac)[0]
    return _fillers(wa, sa, wb, sb, masked, (mwa, mwb), lambda: (_side_facts(text_a, ranges_a), _side_facts(text_b, ranges_b)))


def _is_day(w: Words, i: int) -> bool:
    """The word is a day's number written right after a month's name."""
    tok = w.tokens[i]
    return tok.isdigit() and len(tok) <= 2 and i > 0 and w.tokens[i - 1] in MONTHS


def _variant(x: str, y: str) -> bool:
    """Two spellings of one name: a misspelling ("Braodcasting"), a plural, an abbreviation ("U" / "United")."""
    return x.startswith(y) or y.startswith(x) or SequenceMatcher(None, x, y, autojunk=False).ratio() >= 0.75


def _telling(a: Side, b: Side, wa: Words, wb: Words, differ: list[tuple[int, int]], c: TemplateConfig) -> list[str]:
    """Which differing fillers tell another notice however few they are among the aligned ones:
    ``date`` (a date written at the same place, another on each side: the same notice of another
    day) and ``subject`` (a name neither document writes elsewhere, standing in both openings or
    written in each headline: the same form about another company, fund, place)."""
    out = []
    if any(_is_day(wa, x) and _is_day(wb, y) for x, y in differ):
        out.append("date")
    if max(len(wa), len(wb)) > c.brief_words:
        return out  # a longer text names many things in its opening: its subject is not one slot
    head_a = set(words(a.title).tokens) if a.title else set()
    head_b = set(words(b.title).tokens) if b.title else set()
    # In the opening, a name and a second filler must differ: one name reworded ("US" / "United
    # States", "Tony Blair" / "the Prime Minister") is an edit, not another subject.
    opening = [(x, y) for x, y in differ if x < c.opening_words and y < c.opening_words]
    for x, y in differ:
        tx, ty = wa.tokens[x], wb.tokens[y]
        if not (tx.isalpha() and ty.isalpha()) or {tx, ty} & (MONTHS | WEEKDAYS | NUMBER_WORDS) or _variant(tx, ty):
            continue
        if ((x, y) in opening and len(opening) >= 2) or (tx in head_a and ty in head_b):
            out.append("subject")
            break
    return out


HEADLINE_SWAP = 2  # words a headline of one mould may hold in its one other place


def headline_mould(a: Side, b: Side, wa: Words, wb: Words, bodies_differ: bool) -> tuple[str, str] | None:
    """Two briefs' headlines of one mould: the same words in the same order but in one place, where
    each holds at most ``HEADLINE_SWAP`` words of its own, and the rest at least two words and most of
    each headline. What each writes there is the notice's subject or its time: a word (not a stop
    word, not a spelling of the other's) the other document never writes, or a figure neither body
    writes (a copy retitled with a corrected figure carries that figure into its body). The bodies
    must differ too: a filler at the same place (``bodies_differ``), or each side's own word written
    in its own body. Returns (a's words, b's words) or None."""
    if not a.title or not b.title:
        return None
    ta, tb = words(a.title).tokens, words(b.title).tokens
    ops = SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    same = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if len(changed) != 1 or changed[0][0] != "replace" or same < 2 or same < 0.5 * max(len(ta), len(tb)):
        return None
    _, i1, i2, j1, j2 = changed[0]
    own_a, own_b = ta[i1:i2], tb[j1:j2]
    if len(own_a) > HEADLINE_SWAP or len(own_b) > HEADLINE_SWAP:
        return None
    def fold(toks: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(t.removesuffix("'s").removesuffix("’s") for t in toks)  # "Italy's" writes Italy

    ta, tb = fold(ta), fold(tb)
    own_a, own_b = fold(own_a), fold(own_b)
    body_a, body_b = set(fold(words(a.text).tokens)), set(fold(words(b.text).tokens))
    doc_a, doc_b = set(ta) | set(fold(wa.tokens)) | body_a, set(tb) | set(fold(wb.tokens)) | body_b

    def telling(mine: tuple[str, ...], other_doc: set[str]) -> bool:
        for t in mine:
            if t.isalpha():
                if t in STOP or t in other_doc:
                    return False
            elif t in body_a or t in body_b:
                return False
        return True

    if not (telling(own_a, doc_b) and telling(own_b, doc_a)):
        return None
    if any(_variant(x, y) for x in own_a for y in own_b if x.isalpha() and y.isalpha()):
        return None
    if not bodies_differ and not (any(t in body_a for t in own_a if t.isalpha()) and any(t in body_b for t in own_b if t.isalpha())):
        return None
    return " ".join(own_a), " ".join(own_b)


def other_names(
    text_a: str, text_b: str, passages: tuple[tuple[tuple[int, int], tuple[int, int]], ...], least: int = 2
) -> list[tuple[str, str]]:
    """Where every shared passage is a list of names with others in their places (two matches'
    line-ups, two boards): in each, at least ``least`` names stand at the same place with another
    name on the other side (not a spelling of it, not written elsewhere in the passage). Text reused
    carries its names along; a corrected copy changes one. Returns those (a, b) names, or []."""
    out: list[tuple[str, str]] = []
    for (a0, a1), (b0, b1) in passages:
        wa, wb = words_in_ranges(text_a, ((a0, a1),)), words_in_ranges(text_b, ((b0, b1),))
        if not len(wa) or not len(wb):
            return []
        sa, sb = slot_mask(text_a, wa), slot_mask(text_b, wb)
        _, differ = _fillers(wa, sa, wb, sb, [(0, len(wa), 0, len(wb), "verbatim", 1.0)], None, partial(_both_facts, text_a, wa, text_b, wb))
        names = [
            (wa.tokens[x], wb.tokens[y]) for x, y in differ
            if wa.tokens[x].isalpha() and wb.tokens[y].isalpha()
            and not {wa.tokens[x], wb.tokens[y]} & (NUMBER_WORDS | MONTHS | WEEKDAYS)
            and not _variant(wa.tokens[x], wb.tokens[y])
        ]
        if len(names) < least:
            return []
        out += names
    return out


SHORT_FORM = 0.8  # share of two short texts' masked words matched in order (difflib's ratio)


_FIGURE = re.compile(r"\d(?:[\d,.]*\d)?")  # a figure as written: "1,535,000", "10.5", "7"


def _rewritten_verdict(
    a: Side, b: Side, rewritten: tuple[tuple[tuple[int, int], tuple[int, int]], ...], c: TemplateConfig,
    cover: float | None = None, least: int | None = None, every: bool = False,
) -> TemplateVerdict | None:
    """The same notice reworded with other figures: passages matched by meaning cover most of both
    texts (``rewritten_cover``: the notice as a whole, not a passage of a longer report), and in
    every one holding figures most of each side's figures (``rewritten_figures``) are absent from
    the other side's, at least ``min_differing`` in all. A rewrite carries its figures along; the
    same notice of another day brings others."""
    cover = c.rewritten_cover if cover is None else cover
    least = c.min_differing if least is None else least
    if not rewritten or min(_char_share(a.ranges, [r[0] for r in rewritten]),
                            _char_share(b.ranges, [r[1] for r in rewritten])) < cover:
        return None
    ta, tb = a.text, b.text
    fa: list[re.Match[str]] = []
    fb: list[re.Match[str]] = []
    for (a0, a1), (b0, b1) in rewritten:
        xa, xb = list(_FIGURE.finditer(ta, a0, a1)), list(_FIGURE.finditer(tb, b0, b1))
        if every and (not xa or not xb):
            return None  # a passage holding no figure: text shared, not only a mould's words
        held_a, held_b = {m.group() for m in xa}, {m.group() for m in xb}
        da, db = [m for m in xa if m.group() not in held_b], [m for m in xb if m.group() not in held_a]
        if len(da) < c.rewritten_figures * len(xa) or len(db) < c.rewritten_figures * len(xb):
            return None  # a passage that keeps its figures: a rewrite, not another notice
        fa += da
        fb += db
    if len(fa) < least or len(fb) < least:
        return None
    pairs = list(zip(fa, fb, strict=False))
    slots = tuple(((x.start(), x.end()), (y.start(), y.end())) for x, y in pairs)
    examples = tuple(dict.fromkeys((x.group(), y.group()) for x, y in pairs))
    return TemplateVerdict(0.0, 0.0, len(pairs), len(pairs), ("figures",), examples[:5], slots, reworded=True)


def _day_figures(
    a: Side, b: Side, matched: tuple[tuple[tuple[int, int], tuple[int, int]], ...], c: TemplateConfig
) -> TemplateVerdict | None:
    """The same notice on two days (``matched``: read only for pairs published on other days): the
    matched passages cover most of both texts (``rewritten_cover``), and each side writes a figure
    the other document never writes (the day's price, the day's amount). A copy carries its figures
    along; one updated on another day adds figures on one side, not other figures on both."""
    if not matched or min(_char_share(a.ranges, [r[0] for r in matched]),
                          _char_share(b.ranges, [r[1] for r in matched])) < c.rewritten_cover:
        return None
    fa = [m for s, e in a.ranges for m in _FIGURE.finditer(a.text, s, e)]
    fb = [m for s, e in b.ranges for m in _FIGURE.finditer(b.text, s, e)]
    held_a, held_b = set(_FIGURE.findall(a.text)), set(_FIGURE.findall(b.text))
    own_a, own_b = [m for m in fa if m.group() not in held_b], [m for m in fb if m.group() not in held_a]
    if not own_a or not own_b:
        return None
    pairs = list(zip(own_a, own_b, strict=False))
    slots = tuple(((x.start(), x.end()), (y.start(), y.end())) for x, y in pairs)
    examples = tuple(dict.fromkeys((x.group(), y.group()) for x, y in pairs))
    return TemplateVerdict(0.0, 0.0, len(pairs), len(fa), ("day figures",), examples[:5], slots, reworded=True)


def _char_share(ranges: tuple[tuple[int, int], ...], parts: list[tuple[int, int]]) -> float:
    """The share of the characters of ``ranges`` that ``parts`` cover."""
    total = sum(e - s for s, e in ranges)
    if not total:
        return 0.0
    hit = sum(max(0, min(e, pe) - max(s, ps)) for s, e in ranges for ps, pe in parts)
    return hit / total


def _short_form(mwa: Words, mwb: Words, ac: AlignConfig) -> list[tuple[int, int, int, int, str, float]]:
    """The form of two texts too short for a seed-and-extend passage (fewer masked words than
    ``min_passage`` on a side: a one-line brief, "Net <figure> vs <figure>"): their masked words
    matched in order, as one passage over the matched run, when the match holds most of each side."""
    na, nb = len(mwa), len(mwb)
    if min(na, nb) >= ac.min_passage or min(na, nb) < 2:
        return []
    sm = SequenceMatcher(None, mwa.tokens, mwb.tokens, autojunk=False)
    blocks = [blk for blk in sm.get_matching_blocks() if blk.size]
    if sum(blk.size for blk in blocks) < 2 or sm.ratio() < SHORT_FORM:
        return []
    a0, b0 = blocks[0].a, blocks[0].b
    a1, b1 = blocks[-1].a + blocks[-1].size, blocks[-1].b + blocks[-1].size
    return [(a0, a1, b0, b1, "verbatim", round(sm.ratio(), 4))]


def _form_open(
    a: Side, b: Side, wa: Words, wb: Words, rewritten: tuple[tuple[tuple[int, int], tuple[int, int]], ...],
    matched: tuple[tuple[tuple[int, int], tuple[int, int]], ...], idf: Mapping[str, float] | None, n: float, c: TemplateConfig,
) -> TemplateVerdict | None:
    """Where the masked form does not settle it: the same notice of another day reworded with other
    figures (``rewritten``, dated pairs only), or two briefs (``brief_words`` or fewer a side) sharing
    a stock sentence or part of a mould under headlines that each name a subject the other document
    never writes: two notices, not a reuse."""
    verdict = _rewritten_verdict(a, b, rewritten, c) or _day_figures(a, b, matched, c)
    if verdict is None and matched:
        # Every passage the two share is of one mould filled with that day's figures (the central
        # bank's help "worth 90 mln stg" / "with 1.143 billion stg"): the form, not the facts, is shared.
        verdict = _rewritten_verdict(a, b, matched, c, cover=0.0, least=1, every=True)
        if verdict is not None:
            verdict = replace(verdict, what=("mould figures",))
    if verdict is None and max(len(wa), len(wb)) <= c.brief_words:
        verdict = _headline_verdict(a, b, wa, wb, idf, n, c)
    return verdict


def _headline_verdict(
    a: Side, b: Side, wa: Words, wb: Words, idf: Mapping[str, float] | None, n: float, c: TemplateConfig
) -> TemplateVerdict | None:
    head = _headline_subjects(a, b, wa, wb, idf, n, c)
    return None if head is None else TemplateVerdict(1.0, 1.0, 0, 0, ("headline names",), tuple(head), ())


def _headline_subjects(
    a: Side, b: Side, wa: Words, wb: Words, idf: Mapping[str, float] | None, n: float, c: TemplateConfig
) -> list[tuple[str, str]] | None:
    """Where the bodies agree filler for filler, the headlines: each names a subject (a name, see
    ``_title_names``) found nowhere in the other document. Returns [(a's names, b's names)] or None."""
    if not a.title or not b.title:
        return None
    ta, tb = words(a.title), words(b.title)
    if not len(ta) or not len(tb):
        return None
    known_a = set(ta.tokens) | set(wa.tokens)
    known_b = set(tb.tokens) | set(wb.tokens)
    name_a = _title_names(a.title, ta, idf, n, c, _body_names(a.text))
    name_b = _title_names(b.title, tb, idf, n, c, _body_names(b.text))
    # Each headline names something the other document never writes: two subjects. (A rewritten
    # headline over one story names what the story itself says.)
    own_a = list(dict.fromkeys(t for k, t in enumerate(ta.tokens) if t not in known_b and name_a[k]))
    own_b = list(dict.fromkeys(t for k, t in enumerate(tb.tokens) if t not in known_a and name_b[k]))
    # a misspelt name is the same name ("Sveeco" / "Veeco")
    own_a, own_b = (
        [x for x in own_a if not any(x in y or y in x for y in own_b)],
        [y for y in own_b if not any(x in y or y in x for x in own_a)],
    )
    return [(" ".join(own_a), " ".join(own_b))] if own_a and own_b else None


@lru_cache(maxsize=1024)
def _body_names(text: str) -> frozenset[str]:
    """The words a document's own text writes as names (capitalised, not opening a sentence, in a
    line not all in capitals: ``slot_mask``), read whole (the opening a cleaner set aside included)."""
    w = words(text)
    w = Words(tuple(t.removesuffix("'s").removesuffix("’s") for t in w.tokens), w.starts, w.ends)  # "Brazil's" names Brazil
    return frozenset(t for t, s in zip(w.tokens, slot_mask(text, w), strict=True) if s and t.isalpha() and t not in NUMBER_WORDS)


def _title_names(
    title: str, w: Words, idf: Mapping[str, float] | None, n: float, c: TemplateConfig, named: frozenset[str] = frozenset(),
) -> list[bool]:
    """Which headline words name a subject: in a headline in sentence case, the capitalised
    words after the first; in one in capitals or title case (where case tells nothing), the words
    few documents of the corpus hold (a corpus of ``MIN_CORPUS`` documents or more: in a smaller one
    every word is rare)."""
    caps = [title[s].isupper() for s in w.starts]
    cased = sum(caps) <= 0.6 * len(caps)  # sentence case: capitals mark names
    out = []
    for k, tok in enumerate(w.tokens):
        if tok in STOP or len(tok) < 2 or not tok.isalpha():
            out.append(False)  # figures in a headline over one body are a time stamp or a correction
        elif cased:
            out.append(k > 0 and caps[k])
        else:
            # or a word the document's own text writes as a name ("HARRIS BANK ...": "The Harris Trust")
            out.append((n >= MIN_CORPUS and _rare(tok, idf, n, c)) or tok in named)
    return out


MIN_CORPUS = 200


def _rare(token: str, idf: Mapping[str, float] | None, n: float, c: TemplateConfig) -> bool:
    """A word few documents of the corpus hold (a name)."""
    if not idf:
        return False
    v = idf.get(token)
    if v is None:
        return True  # no body of the corpus holds it
    return doc_frequency(v, n) <= max(float(c.rare_df), c.rare_share * n)
