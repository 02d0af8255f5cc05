"""The clean stage's shortcuts give what the plain computation gives, to the bit.

The wording regexes run behind their necessary literals (``prefilter.Guarded``), a block's letters and
digits are counted by byte deletion on ASCII text, the topic cosines of all blocks come from flat
word-count arrays, the window means of several columns come from one running sum, and the reasons'
strongest pushes of all rows from one partition. Each is checked here against the computation
written out as it was, on real pages: the seed pages, BBC News and Reuters articles, the example
corpus, trafilatura-eval HTML pages (where ../shared holds them), and generated text with the
characters that lower-casing and case-insensitive matching treat apart.
"""

from __future__ import annotations

import gzip
import html
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from tests.conftest import CORPUS, DATA, SEEDS, bbc_by_category, need

from wiretrace.clean import analyse, cues, features, rules
from wiretrace.clean.blocks import count_block_words
from wiretrace.clean.blocks import doc_blocks as rules_blocks
from wiretrace.clean.classifier import _why, _whys, load_model
from wiretrace.clean.prefilter import Guarded, required
from wiretrace.clean.stage import block_tokens
from wiretrace.ingest.html import read_html_bytes
from wiretrace.model import Document

_ODD = (
    "İstanbul ſubscribe ſhare KELVIN Kookie ıi Straße ÉCOLE naïve © 2024 (c) 2023 «Lire aussi» → 12.03.2024 "
    "٣٤ ١٢:٣٠ uhr ５ min read 3 min. Lesezeit foto: dpa | twitter · facebook • e-mail@example.com "
    "Σίσυφος ΣΟΦΟΣ leave a comment 4 Kommentare Antworten\n"
)


def _plain_texts() -> list[str]:
    bbc = [r["text"] for rs in bbc_by_category(("business", "politics", "sport", "tech", "entertainment"), 40).values() for r in rs]
    sgm = need(DATA / "reuters21578" / "reut2-000.sgm").read_text(encoding="latin-1")
    reuters = [html.unescape(b) for b in re.findall(r"<BODY>(.*?)</BODY>", sgm, re.S)[:200]]
    seeds = [p.read_text(encoding="utf-8") for p in sorted(need(SEEDS).glob("*.txt"))]
    return bbc + reuters + seeds + [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))] + [_ODD, _ODD.upper()]


def _html_documents(n: int = 40) -> list[Document]:
    root = DATA / "trafilatura-eval"
    if not (root / "evaldata.json").exists():
        return []
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    out = []
    for k, (url, item) in enumerate(list(data.items())[:n]):
        raw = gzip.decompress((root / "html" / f"{item['file']}.gz").read_bytes())
        out.append(read_html_bytes(raw, doc_id=f"traf-{k}", path=url))
    return out


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    docs = [Document(id=f"plain-{i}", text=t, path=f"plain-{i}", format="text") for i, t in enumerate(_plain_texts())]
    pages = _html_documents()
    # each page as the engine sees it (markup hints) and in plain-text mode (the text model)
    return docs + pages + [Document(id=d.id + "-text", text=d.text, path=d.path, format="text") for d in pages]


@pytest.fixture(scope="module")
def blocks(documents: list[Document]) -> list[str]:
    out = [b.text for d in documents for b in analyse(d).blocks]
    out += [line for line in _ODD.split(" ") if line]
    return out


_GUARDED = [
    (cues, name, "low")
    for name in ("COMMENT_CUE", "APPEAL_CUE", "LEGAL_CUE", "TEASER_CUE", "READ_TIME", "CAPTION_CUE", "SEPARATOR")
] + [(rules, name, "text") for name in ("APPEAL", "COMMENT_LINE", "CAPTION", "FOOTER", "TEASER_HEADER", "INLINE_TEASER")]


def _generated(pattern: re.Pattern[str], rng: random.Random, n: int) -> list[str]:
    """Texts around the pattern's own literals, in odd cases and beside the characters that
    case-insensitive matching pairs with ASCII letters; some with one literal's letter changed."""
    lits = sorted(required(pattern) or ())
    fill = ["", " ", ": ", "12 ", "(", ")", " 2024", "\n", "ſ", "K", "İ", "ı", "é", "x"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 4)):
            lit = rng.choice(lits) if lits else "x"
            if rng.random() < 0.3:
                lit = lit.upper()
            if rng.random() < 0.2 and lit:
                k = rng.randrange(len(lit))
                lit = lit[:k] + rng.choice("sſkKiİı ") + lit[k + 1 :]
            parts += [rng.choice(fill), lit, rng.choice(fill)]
        out.append("".join(parts))
    return out


@pytest.mark.parametrize(("module", "name", "on"), _GUARDED, ids=[n for _, n, _ in _GUARDED])
def test_guarded_search_answers_as_the_pattern(module: object, name: str, on: str, blocks: list[str]) -> None:
    pattern = getattr(module, name)
    guarded = Guarded(pattern)
    assert guarded.lits, f"{name}: no necessary literals found; the guard would do nothing"
    texts = blocks + _generated(pattern, random.Random(name), 3000)
    hits = 0
    for t in texts:
        s = t.lower() if on == "low" else t
        want = pattern.search(s)
        got = guarded.search(s, s.lower()) if pattern.flags & re.IGNORECASE else guarded.search(s)
        assert (got is None) == (want is None), (name, s)
        if want is not None:
            assert got is not None and got.span() == want.span()
            hits += 1
    assert hits > 10  # the guard let through the texts the pattern matches, not only rejections


def test_required_literals_occur_in_every_match() -> None:
    rng = random.Random(7)
    for module, name, _ in _GUARDED:
        pattern = getattr(module, name)
        lits = required(pattern)
        assert lits
        for t in _generated(pattern, rng, 500):
            m = pattern.search(t.lower() if pattern.flags & re.IGNORECASE else t)
            if m is not None and not pattern.flags & re.IGNORECASE:
                assert any(x in m.group() for x in lits), (name, m.group())
    # what a pattern cannot promise, it does not claim
    assert required(re.compile(r"\d+|foo")) is None
    assert required(re.compile(r"(ab)?c")) == frozenset({"c"})
    assert required(re.compile(r"\bx(yz|w)\b")) in (frozenset({"yz", "w"}), frozenset({"x"}))
    assert required(re.compile(r"(?i:abc)d")) == frozenset({"d"})


def test_lower_casing_neither_makes_nor_unmakes_a_digit() -> None:
    # local_features looks for a date (every DATE_ANY match holds a digit) only where the block has one
    digit = re.compile(r"\d")
    odd = [c for c in map(chr, range(sys.maxunicode + 1)) if bool(digit.search(c)) != bool(digit.search(c.lower()))]
    assert odd == []


def test_date_need_holds_in_every_date_match(blocks: list[str]) -> None:
    """``cues._DATE_NEED`` (two digits around a separator, or four in a row) finds something in every
    text where ``DATE_ANY`` does: on real blocks and on generated dates, times and near misses, with
    ASCII and other digits."""
    rng = random.Random(9)
    pieces = ["1", "12", "2024", "0", "٣", "١٢", "۲۰۲۴", ".", "/", "-", ":", "h", " ", "  ", ",", "march", "mar.",
              "stycznia", "uhr", "am", "p.m.", "x", "é"]  # fmt: skip
    texts = [b.lower() for b in blocks] + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))) for _ in range(20000)]
    dates = 0
    for t in texts:
        if cues.DATE_ANY.search(t):
            dates += 1
            assert cues._DATE_NEED.search(t), t
    assert dates > 500


def _local_reference(text: str, toks: list[str], stops: frozenset[str]) -> list[float]:
    """cues.local_features as it was: every count by regex, every cue searched unguarded."""
    low = text.lower()
    n_words = len(toks)
    n_chars = len(text)
    letters = len(cues._LETTER.findall(text))
    digits = len(cues._DIGIT.findall(text))
    spaces = text.count(" ")
    punct = n_chars - letters - digits - spaces
    n_stop = sum(1 for t in toks if t in stops)
    split = text.split()
    caps = sum(1 for w in split if w[:1].isupper())
    words_ws = max(1, len(split))
    cjk = len(cues._CJK.findall(text)) / n_chars if n_chars and not text.isascii() else 0.0
    stripped = text.rstrip()
    short = n_words <= 12
    medium = n_words <= 40
    has_date = bool(cues.DATE_ANY.search(low)) if medium else False
    return [
        math.log1p(n_words), math.log1p(n_chars), n_stop / n_words if n_words else 0.0, math.log1p(n_stop),
        1.0 if cues.TERMINAL.search(stripped) else 0.0, 1.0 if stripped.endswith(":") else 0.0,
        text.count(",") / max(1, n_words), math.log1p(len(cues._SENT_END.findall(text))), caps / words_ws,
        digits / n_chars if n_chars else 0.0, punct / n_chars if n_chars else 0.0,
        1.0 if cues.SEPARATOR.search(text) else 0.0, 1.0 if cues.BULLET.match(text) else 0.0,
        1.0 if letters >= 4 and text.upper() == text else 0.0,
        min(15.0, sum(len(t) for t in toks) / n_words) / 10 if n_words else 0.0,
        1.0 if medium and cues.URL_LIKE.search(low) else 0.0, cjk,
        1.0 if n_words <= 25 and cues.COMMENT_CUE.search(low) else 0.0,
        1.0 if n_words <= 60 and cues.APPEAL_CUE.search(low) else 0.0,
        1.0 if medium and cues.LEGAL_CUE.search(low) else 0.0,
        1.0 if n_words <= 6 and cues.SHARE_CUE.match(low) else 0.0,
        1.0 if short and cues.NAV_CUE.match(low) else 0.0,
        1.0 if n_words <= 25 and cues.TEASER_CUE.search(low) else 0.0,
        1.0 if has_date else 0.0, 1.0 if has_date and n_words <= 10 else 0.0,
        1.0 if n_words <= 40 and cues.READ_TIME.search(low) else 0.0,
        1.0 if short and cues.BYLINE_CUE.match(low) else 0.0,
        1.0 if n_words <= 60 and cues.CAPTION_CUE.search(low) else 0.0,
        1.0 if short and cues.AD_CUE.match(low) else 0.0,
        1.0 if short and cues.TAGS_CUE.match(low) else 0.0,
    ]  # fmt: skip


def test_local_features_equal_the_plain_computation(blocks: list[str]) -> None:
    stops = cues.stoplist("English")
    texts = blocks + [b.upper() for b in blocks[:500]] + [w for b in blocks[:300] for w in b.split()[:3]]
    assert len(blocks) > 3000
    for t in texts:
        toks = features.tokens_of(t)
        assert cues.local_features(t, toks, stops) == _local_reference(t, toks, stops), t


def _cosines_reference(cws: Sequence[Counter[str]], members: np.ndarray) -> np.ndarray:
    """``features._cosines`` word by word over the Counters (as it was written before the arrays)."""
    ref: Counter[str] = Counter()
    for j in np.flatnonzero(members).tolist():
        ref.update(cws[j])
    ref_n2 = float(sum(v * v for v in ref.values()))
    out = np.zeros(len(cws))
    if not ref_n2:
        return out
    for i, cw in enumerate(cws):
        if not cw:
            continue
        a2 = float(sum(v * v for v in cw.values()))
        dot = float(sum(v * ref.get(k, 0) for k, v in cw.items()))
        if members[i]:  # the block is part of the reference: compare with the rest
            rest2 = ref_n2 - 2 * dot + a2
            dot -= a2
        else:
            rest2 = ref_n2
        if dot > 0 and rest2 > 0:
            out[i] = dot / math.sqrt(a2 * rest2)
    return out


def _window_mean_reference(values: np.ndarray, radius: int) -> np.ndarray:
    """``features._window_mean`` of one column as it was written (its own running sum)."""
    n = len(values)
    c = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo = np.maximum(0, idx - radius)
    hi = np.minimum(n, idx + radius + 1)
    total = c[hi] - c[lo] - values
    count = (hi - lo).astype(float) - 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def test_page_cosines_window_means_and_reasons_equal_the_plain_computation(documents: list[Document]) -> None:
    rng = np.random.default_rng(3)
    pages = 0
    for d in documents:
        an = analyse(d)
        if not an.blocks:
            continue
        pages += 1
        page = an.features
        bags = page.content_bags()
        x1 = page.x1
        for members in (x1[:, 4] > 0, rng.random(len(an.blocks)) > 0.5, np.ones(len(an.blocks), bool)):
            fast = features._cosines(bags, members)
            plain = _cosines_reference(page.content, members)
            assert np.array_equal(fast, plain), d.id
        cols = x1[:, [0, 2, 4, 10]]
        for radius in (2, 3, 5):
            both = features._window_means(cols, radius)
            for k in range(cols.shape[1]):
                assert np.array_equal(both[:, k], _window_mean_reference(cols[:, k], radius)), d.id
                assert np.array_equal(both[:, k], features._window_mean(cols[:, k], radius)), d.id
        model = load_model(an.mode)
        p1 = model.stage1.predict(x1)
        x2 = np.hstack([x1, features.stage2_features(an.infos, page, p1, an.mode)])
        contrib = model.stage2.contributions(x2)
        body = model.stage2_p(x2) >= model.threshold
        names = model.stage2.names
        assert _whys(names, x2, contrib, body) == [_why(names, x2[i], contrib[i], bool(body[i])) for i in range(len(x2))]
    assert pages > 400


def _runs_reference(flags: np.ndarray) -> np.ndarray:
    out = np.zeros(len(flags))
    i = 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j]:
            j += 1
        out[i:j] = j - i
        i = max(j, i + 1)
    return out


def _page_language_reference(tokens: list[str]) -> str:
    counts = Counter(tokens)
    best, score = "English", 0
    for lang, fw in cues._FUNCTION_SETS.items():
        s = sum(counts[w] for w in fw if w in counts)
        if s > score:
            best, score = lang, s
    return best


def test_runs_and_page_language_equal_the_plain_computation(documents: list[Document]) -> None:
    rng = np.random.default_rng(8)
    for n in range(0, 40):
        for p in (0.1, 0.5, 0.9):
            flags = rng.random(n) < p
            assert np.array_equal(features._runs(flags), _runs_reference(flags))
    langs = Counter()
    for d in documents:
        toks = [features.tokens_of(d.text[s:e]) for s, e in rules_blocks(d)]
        flat = [t for ts in toks for t in ts]
        lang = cues.page_language(iter(toks[0]) if toks else iter(()))
        assert lang == _page_language_reference(toks[0] if toks else [])
        got = cues.page_language(flat)
        assert got == _page_language_reference(flat), d.id
        langs[got] += 1
    assert len(langs) >= 3  # English and the pages' other languages


def _lexicon_reference(toks: list[list[str]], lexicon: dict[str, float]) -> np.ndarray:
    """``features.lexicon_features`` as it was written: each block's values set one by one."""
    out = np.zeros((len(toks), len(features.LEXICON)))
    for i, ts in enumerate(toks):
        vals = [lexicon.get(t, 0.0) for t in {t for t in ts if len(t) > 1 and not t.isdigit()}]
        if vals:
            out[i, 0] = math.fsum(vals) / len(vals)
            out[i, 1] = max(vals)
            out[i, 2] = min(vals)
    out[:, 3] = _window_mean_reference(out[:, 0], 3)
    return out


def test_lexicon_features_equal_the_plain_computation(documents: list[Document]) -> None:
    from wiretrace.clean import load_lexicon

    lexicon = load_lexicon()
    for d in documents:
        toks = [features.tokens_of(d.text[s:e]) for s, e in rules_blocks(d)] + [[], ["12", "a"]]
        assert np.array_equal(features.lexicon_features(toks, lexicon), _lexicon_reference(toks, lexicon)), d.id
    assert features.lexicon_features([], lexicon).shape == (0, len(features.LEXICON))


def test_bags_and_kind_columns_equal_the_plain_computation(documents: list[Document]) -> None:
    """``Bags.of`` numbers the words in order of first appearance (as one dict filled word by word did);
    the ``k_`` columns are 1.0 exactly where the block's rule kind is the column's."""
    named = 0
    for d in documents[:200]:
        an = analyse(d)
        cws = an.features.content
        vocab: dict[str, int] = {}
        ids: list[int] = []
        for cw in cws:
            ids.extend([vocab.setdefault(w, len(vocab)) for w in cw])
        bags = features.Bags.of(cws)
        assert bags.word.tolist() == ids and bags.count.tolist() == [c for cw in cws for c in cw.values()]
        assert bags.block.tolist() == [i for i, cw in enumerate(cws) for _ in cw]
        start = len(cues.LOCAL)
        kinds = an.features.x1[:, start : start + len(features.RULE_KINDS)]
        plain = [[1.0 if b.kind == k else 0.0 for k in features.RULE_KINDS] for b in an.infos]
        assert kinds.tolist() == plain, d.id
        named += int(kinds.sum())
    assert named > 50  # blocks the rules named: headlines, bylines, captions...


def test_median_equals_numpy() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 40):
        for values in (rng.integers(0, 300, n).astype(float), rng.random(n) * 1e3):
            assert features._median(values) == float(np.median(values))


def test_block_tokens_count_the_words_count_block_words_counts(blocks: list[str]) -> None:
    cjk = "東京で会議が開かれた。 서울 뉴스 O’Neil’s ‘quoted’ İstanbul ΣΟΦΟΣ"
    for t in [*blocks, cjk, cjk.upper(), ""]:
        toks, n = block_tokens(t)
        assert toks == features.tokens_of(t)
        assert n == count_block_words(t, 0, len(t)), t


def test_features_are_the_same_bits_under_any_hash_seed() -> None:
    """Two processes with other string hashes (a set of words iterates in another order) give the
    classifier the same stage-1 features, to the bit, on real documents: the lexicon's mean is an
    exactly rounded sum (``math.fsum``), not a sum in the set's order."""
    import os
    import subprocess

    texts = _plain_texts()[::8]
    assert len(texts) >= 20
    code = (
        "import hashlib, json, sys\n"
        "from wiretrace.clean import analyse\n"
        "from wiretrace.model import Document, Format\n"
        "h = hashlib.sha256()\n"
        "for i, t in enumerate(json.load(sys.stdin)):\n"
        "    h.update(analyse(Document(id=str(i), text=t, path=str(i), format=Format.TEXT)).features.x1.tobytes())\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for seed in ("1", "2", "3"):
        res = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        assert res.returncode == 0, res.stderr[-2000:]
        digests.add(res.stdout.strip())
    assert len(digests) == 1
