"""The lexical path's tokenising shortcuts give what tokenising every word again gives.

``names.lower_vocabulary`` and ``names.names_in`` visit only the words they can keep (a regex for the
capitalised tokens instead of every token with its offset), and ``sketch_batch`` counts a document's
topic words from the body tokens it already made where the content is the body: each is checked
against the plain computation (written out here as it was, over ``tokens.words``) on real BBC News and
Reuters articles, and on generated text with apostrophes, underscores and non-ASCII capitals.
"""

from __future__ import annotations

import html
import random
import re
import textwrap
from collections import Counter

import numpy as np
from tests.conftest import CORPUS, DATA, bbc_by_category, need

from wiretrace.clean import clean
from wiretrace.model import Document, Format
from wiretrace.relate.pair import ATTRIBUTION
from wiretrace.relate.pair import cues as relate_cues
from wiretrace.sketch import sketch_batch
from wiretrace.text import names
from wiretrace.text.tokens import fold, raw_lines, tokens_in_ranges, words, words_in_ranges, wrap_width
from wiretrace.text.topic import content_of, ranges_words


def _plain_lower_vocabulary(text: str) -> frozenset[str]:
    w = words(text)
    return frozenset(t for t, st in zip(w.tokens, w.starts, strict=True) if text[st].islower())


def _plain_names_in(text: str, lower_vocab: frozenset[str], start: int = 0, end: int | None = None) -> set[str]:
    w = words(text, start, end)
    out = set()
    for tok, st in zip(w.tokens, w.starts, strict=True):
        if not text[st].isupper() or tok in names.STOP or len(tok) < 3:
            continue
        tok = tok.removesuffix("'s")
        before = text[max(start, st - 3) : st].rstrip()
        if (st == start or not before or before[-1] in names._OPENERS) and tok in lower_vocab:
            continue
        out.add(tok)
    return out


_ODD = (
    "l'Été Zoë's ÉCOLE Straße İstanbul ΑΘΗΝΑ d’Artagnan O'Neil x'Yves _Abc abc_Def a''Bcd Ünter naïve Naïve\n"
    "“Quoted Names” — Dash-Joined (Parenthesised) Mr. Smith's 3Com IBM's iPhone ÉTÉ été Ölçü\n"
)


def _texts() -> list[str]:
    bbc = [r["text"] for rs in bbc_by_category(("business", "politics", "sport", "tech"), 60).values() for r in rs]
    sgm = need(DATA / "reuters21578" / "reut2-000.sgm").read_text(encoding="latin-1")
    reuters = [html.unescape(b) for b in re.findall(r"<BODY>(.*?)</BODY>", sgm, re.S)[:200]]
    return bbc + reuters + [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))] + [_ODD, _ODD * 3]


def test_names_visiting_capitals_only_equal_names_over_every_token() -> None:
    texts = _texts()
    assert len(texts) > 400
    found = 0
    for text in texts:
        lv = names.lower_vocabulary(text)
        assert lv == _plain_lower_vocabulary(text)
        n = len(text)
        for s, e in ((0, n), (n // 3, 2 * n // 3), (min(7, n), max(n - 5, min(7, n)))):
            got = names.names_in(text, lv, s, e)
            assert got == _plain_names_in(text, lv, s, e), (text[:60], s, e)
            found += len(got)
    assert found > 1000  # the comparison is about real names, not empty sets
    assert {"zoë", "école", "strasse", "ünter"} <= names.names_in(_ODD, names.lower_vocabulary(_ODD))


_ODD_ASCII = "x'Yves _Abc abc_Def a''Bcd O'Neil's 3Com iPhone can't rock'n'roll A1b 9Lives 'Quoted' IBM's\nend. Start _x Y_z b'C 'Tis\n"


def test_names_on_generated_text_equal_names_over_every_token() -> None:
    """ASCII text takes its own patterns (letters first, then the look-behinds): generated strings
    around apostrophes, underscores, digits and case changes, ASCII and not, against every token."""
    rng = random.Random(15)
    texts = [_ODD_ASCII, _ODD_ASCII * 2]
    for alphabet in ("aAbBzZ09'_ .\n,", "aAbBzZ09'_ .\n,é’Éß"):
        texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300))) for _ in range(400)]
    for text in texts:
        lv = names.lower_vocabulary(text)
        assert lv == _plain_lower_vocabulary(text), text
        n = len(text)
        for s, e in ((0, n), (n // 3, 2 * n // 3)):
            assert names.names_in(text, lv, s, e) == _plain_names_in(text, lv, s, e), (text, s, e)
    assert {"o'neil", "start", "quoted", "ibm"} <= names.names_in(_ODD_ASCII, names.lower_vocabulary(_ODD_ASCII))


def test_content_words_and_region_tokens_equal_the_plain_computation() -> None:
    """``content_of`` (a list filtered, then counted) and ``tokens_in_ranges`` (no offsets): the same
    counts in the same order, the same tokens, on real texts and generated ones."""
    rng = random.Random(5)
    texts = _texts() + ["".join(rng.choice("ab AB 12 the é’'\n") for _ in range(200)) for _ in range(100)]
    for text in texts:
        toks = words(text).tokens
        plain = Counter(t for t in toks if len(t) > 2 and t not in names.STOP and not t.isdigit())
        got = content_of(toks)
        assert list(got.items()) == list(plain.items())
        assert got.most_common(300) == plain.most_common(300)
        n = len(text)
        for ranges in (((0, n),), ((0, n // 3), (n // 2, n)), ()):
            assert tokens_in_ranges(text, ranges) == list(words_in_ranges(text, ranges).tokens)


def _plain_wrap_width(text: str, min_width: int = 40, max_width: int = 100, min_share: float = 0.3, min_lines: int = 2, min_chars: float = 0.6) -> int:
    """``tokens.wrap_width`` as it was written (line by line, and the widths swept one at a time)."""
    if text.count("\n") < 2:
        return 0
    raw = raw_lines(text)
    pairs = []
    for (s, e), (ns, ne) in zip(raw, raw[1:], strict=False):
        line = text[s:e].rstrip()
        nxt = re.compile(r"\S+").search(text, ns, ne)
        if line.strip() and nxt is not None:
            pairs.append((len(line), len(nxt.group())))
    lens = [len(text[s:e].rstrip()) for s, e in raw if text[s:e].strip()]
    if len(pairs) < 2 or len(pairs) < 0.5 * len(lens):
        return 0
    diff = [0] * (max_width + 2)
    for ln, w in pairs:
        lo, hi = max(ln, min_width), min(ln + w, max_width)
        if lo <= hi:
            diff[lo] += 1
            diff[hi + 1] -= 1
    longer = [0] * (max_width + 2)
    for n in lens:
        longer[min(n, max_width + 1)] += 1
    over = len(lens)
    best, best_n, best_score, run = 0, 0, 0, 0
    for width in range(max_width + 1):
        run += diff[width]
        over -= longer[width]
        if run - over > best_score:
            best, best_n, best_score = width, run, run - over
    if best_n < min_lines or best_n < min_share * len(pairs):
        return 0
    return best if sum(n for n in lens if n <= best) >= min_chars * sum(lens) else 0


def test_wrap_width_equals_the_line_by_line_sweep() -> None:
    """On real texts (wire stories are hard-wrapped, BBC's are not), the same texts re-wrapped at
    other widths, and generated lines with odd white space (tabs, carriage returns, no-break and
    other Unicode spaces, separator controls) between words."""
    rng = random.Random(11)
    texts = _texts()
    texts += [textwrap.fill(t, width=w) for t in texts[:80] for w in (45, 70, 99)]
    spaces = [" ", "  ", "\t", "\r", "\u00a0", "\u2003", "\x1c", "\x0b", "\u200b"]
    for _ in range(600):
        lines = []
        for _ in range(rng.randint(1, 30)):
            words_ = ["".join(rng.choice("abcXYZ.,") for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(0, 14))]
            lines.append("".join(w + rng.choice(spaces) for w in words_).rstrip(" ") if rng.random() > 0.1 else rng.choice(["", " ", "\t"]))
        texts.append("\n".join(lines))
    wrapped = 0
    for t in texts:
        got = wrap_width(t)
        assert got == _plain_wrap_width(t), t[:80]
        wrapped += got > 0
    assert wrapped > 200  # both answers are met often


def test_attribution_guard_answers_as_the_pattern() -> None:
    """``relate.pair.cues`` searches for credit to another outlet only in text holding "report" or
    "according to" in some case: the same attribution as searching every text."""
    rng = random.Random(3)
    pieces = ["Reuters", "REUTERS", "The Associated Press", "the Gull Times", "Harbour Post", " reported", " Reports",
              " REPORTED", " said in a report", ", first reported", "according to", "ACCORDING TO", "Accordİng to",
              "according to a report by", " Bloomberg", " news", ".", "\n", " İ", " ı", "ſ"]  # fmt: skip
    texts = _texts() + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    found = 0
    for t in texts:
        got = relate_cues(Document("d", t, "d.txt", Format.TEXT), None).attribution
        m = ATTRIBUTION.search(t)
        plain = (m.group("agency") or m.group("agency2") or "").strip() if m else None
        assert got == plain, t
        found += got is not None
    assert found > 300


def test_fold_is_the_tokens_normalisation() -> None:
    for text in (_ODD, "Plain ASCII Text, it's Here"):
        w = words(text)
        assert list(w.tokens) == [fold(text[s:e]) for s, e in zip(w.starts, w.ends, strict=True)]


def test_sketch_topic_from_body_tokens_equals_topic_tokenised_again() -> None:
    docs = [Document(r["id"], r["text"], f"{r['id']}.txt", Format.TEXT, title=r["title"]) for rs in bbc_by_category(("business", "sport"), 40).values() for r in rs]
    cleaned = {d.id: clean(d) for d in docs}
    same_content = [d for d in docs if cleaned[d.id].content == cleaned[d.id].body]
    assert len(same_content) > 40
    sketches = sketch_batch(docs, cleaned)
    for d, sk in zip(docs, sketches, strict=True):
        plain = dict(ranges_words(d.text, cleaned[d.id].content).most_common(300))
        assert list(sk.topic.items()) == list(plain.items())  # same words, counts and order
        assert sk.names == names.doc_names(d.text, cleaned[d.id].content)
        assert sk.minhash.dtype == np.uint32 and len(sk.topic) > 10
