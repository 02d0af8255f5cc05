"""The HTML report: one self-contained page, everything from the report escaped, offsets honoured."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.report.html import Mark, render_html, segment

# Invented texts. Offsets below are computed with str.index so the fixture stays right when edited.
TEXT_A = (
    "Harbour Gazette\n\n"
    "Lighthouse keepers vote to strike <script>alert(1)</script>\n\n"
    "By Nell Ardent\n\n"
    "The keepers of the three northern lighthouses voted on Tuesday to stop work for two days. "
    "Their union said pay had not risen in six winters. "
    'The harbour board called the vote "regrettable" and asked for talks.\n\n'
    "Photo: the north light at dusk\n\n"
    "Subscribe for daily harbour news."
)
TEXT_B = (
    "Coast Wire\n\n"
    "Keepers of the three northern lighthouses voted on Tuesday to stop work for two days. "
    "The union said that pay had not risen in six winters. "
    "Boat crews said they would support the keepers.\n\n"
    "Read more: ferry timetable changes\n\n"
    '" onmouseover="x'
)
TEXT_C = "Tide Times\n\nLamp crews on the northern coast walked out this week over wages, officials said."


def _at(text: str, part: str) -> list[int]:
    s = text.index(part)
    return [s, s + len(part)]


def _removed(text: str, part: str, kind: str) -> dict[str, object]:
    s, e = _at(text, part)
    return {"start": s, "end": e, "kind": kind}


def _report() -> dict[str, object]:
    a_body = _at(
        TEXT_A, "The keepers of the three" + TEXT_A.split("The keepers of the three")[1].split("\n\n")[0]
    )
    b_body = _at(TEXT_B, "Keepers of the three" + TEXT_B.split("Keepers of the three")[1].split("\n\n")[0])
    return {
        "schema": "wiretrace.report/1",
        "documents": [
            {
                "id": "gazette-1",
                "source": "Harbour Gazette",
                "url": "https://gazette.example/strike",
                "title": "Lighthouse keepers vote <script>alert(2)</script>",
                "published": "2031-03-04",
                "chars": len(TEXT_A),
                "text": TEXT_A,
                "format": "html",
                "encoding": "utf-8",
                "path": "in/gazette-1.html",
                "body": [a_body],
                "removed": [
                    _removed(TEXT_A, "Harbour Gazette", "boilerplate"),
                    _removed(TEXT_A, "By Nell Ardent", "byline"),
                    _removed(TEXT_A, "Photo: the north light at dusk", "caption"),
                    _removed(TEXT_A, "Subscribe for daily harbour news.", "appeal"),
                    _removed(TEXT_A, "Lighthouse keepers vote to strike", "mystery_kind"),
                ],
            },
            {
                "id": "wire-7",
                "source": "Coast Wire",
                "url": None,
                "title": "Keepers walk out",
                "published": "2031-03-05",
                "chars": len(TEXT_B),
                "text": TEXT_B,
                "body": [b_body],
                "removed": [_removed(TEXT_B, "Read more: ferry timetable changes", "teasers")],
            },
            {
                "id": "tide-3",
                "source": "Tide Times",
                "title": "Lamp crews walk out",
                "published": None,
                "chars": len(TEXT_C),
                "text": TEXT_C,
                "body": [[12, len(TEXT_C)]],
                "removed": [],
            },
        ],
        "pairs": [
            {
                "a": "wire-7",
                "b": "gazette-1",
                "relation": "derivative",
                "direction": "a<-b",
                "scores": {"lexical": 0.61, "semantic": 0.93, "a_covered": 0.7, "b_covered": 0.55},
                "reasons": ["minhash", "ngram"],
                "passages": [
                    {
                        "a": _at(TEXT_B, "of the three northern lighthouses voted on Tuesday"),
                        "b": _at(TEXT_A, "of the three northern lighthouses voted on Tuesday"),
                        "kind": "verbatim",
                        "score": 1.0,
                    },
                    {
                        "a": _at(TEXT_B, "The union said that pay had not risen"),
                        "b": _at(TEXT_A, "Their union said pay had not risen"),
                        "kind": "paraphrase",
                        "score": 0.8,
                    },
                    # overlaps passage 1 on both sides
                    {
                        "a": _at(TEXT_B, "voted on Tuesday to stop work"),
                        "b": _at(TEXT_A, "voted on Tuesday to stop work"),
                        "kind": "near_verbatim",
                        "score": 0.9,
                    },
                ],
            }
        ],
        "stories": [
            {
                "id": "s-keepers",
                "title": "Lighthouse keepers strike over pay",
                "documents": ["gazette-1", "wire-7"],
                "origin": "gazette-1",
                "origin_evidence": ["earliest published"],
                "edges": [
                    {
                        "child": "wire-7",
                        "parent": "gazette-1",
                        "relation": "derivative",
                        "evidence": ["70% of A covered"],
                    }
                ],
                "canonical": {"document": "gazette-1", "spans": [a_body]},
                "additions": [
                    {
                        "document": "wire-7",
                        "spans": [_at(TEXT_B, "Boat crews said they would support the keepers.")],
                    }
                ],
                "span": {"first": "2031-03-04", "last": "2031-03-05"},
            },
            {
                "id": "s-tide",
                "title": "Lamp crews",
                "documents": ["tide-3"],
                "origin": "tide-3",
                "edges": [],
                "canonical": {"document": "tide-3", "spans": [[12, len(TEXT_C)]]},
                "additions": [],
            },
        ],
        "skipped": [{"path": "in/broken.warc", "reason": "not a WARC file <b>"}],
        "summary": {"documents": 3, "stories": 2, "pairs": 1, "skipped": 1, "relations": {"derivative": 1}},
    }


class _Tree(HTMLParser):
    """Records, for each text run, the attributes of every open element around it."""

    VOID = {"meta", "br", "input", "img", "link", "hr", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.runs: list[tuple[str, list[dict[str, str]]]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        self.runs.append((data, [a for _, a in self.stack]))


def _parse(html: str) -> _Tree:
    t = _Tree()
    t.feed(html)
    t.close()
    return t


def _inside(tree: _Tree, pred) -> str:  # type: ignore[no-untyped-def]
    return "".join(text for text, attrs in tree.runs if any(pred(a) for a in attrs))


HTML = render_html(_report())
TREE = _parse(HTML)


def test_one_self_contained_document() -> None:
    assert HTML.lstrip().lower().startswith("<!doctype html>")
    assert HTML.count("<html") == 1 and HTML.rstrip().endswith("</html>")
    for tag, attrs in TREE.tags:
        for key in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key, "")), (tag, attrs)
    assert "<link" not in HTML and "@import" not in HTML


def test_headline_and_every_document_id_appear() -> None:
    assert "Lighthouse keepers strike over pay" in HTML
    for ident in ("gazette-1", "wire-7", "tide-3"):
        assert ident in HTML
    assert "in/broken.warc" in HTML and "not a WARC file &lt;b&gt;" in HTML


def test_stories_largest_first_with_tree_and_additions() -> None:
    assert HTML.index("Lighthouse keepers strike over pay") < HTML.index(">Lamp crews<")
    assert "Boat crews said they would support the keepers." in HTML
    assert "earliest published" in HTML and "70% of A covered" in HTML


def test_removed_spans_sit_in_their_kind_class() -> None:
    doc = [a for tag, a in TREE.tags if a.get("id") == "doc-0"]
    assert doc
    for part, kind in [
        ("By Nell Ardent", "byline"),
        ("Photo: the north light at dusk", "caption"),
        ("Subscribe for daily harbour news.", "appeal"),
        ("Lighthouse keepers vote to strike", "mystery_kind"),
        ("Read more: ferry timetable changes", "teasers"),
    ]:
        held = _inside(TREE, lambda a, k=kind: f"k-{k}" in a.get("class", "").split())
        assert part in held, kind
        assert f'data-label="{kind}"' in HTML


def test_passages_numbered_alike_on_both_sides() -> None:
    for num, part_a, part_b in [
        ("1", "of the three northern lighthouses", "of the three northern lighthouses"),
        ("2", "The union said that pay had not risen", "Their union said pay had not risen"),
    ]:
        ids = {a.get("id", "") for _, a in TREE.tags if a.get("data-passage") == num}
        assert {"p0-a-" + num, "p0-b-" + num} <= ids
        in_a = _inside(
            TREE, lambda a, n=num: a.get("data-passage") == n and a.get("href", "").startswith("#p0-b-")
        )
        in_b = _inside(
            TREE, lambda a, n=num: a.get("data-passage") == n and a.get("href", "").startswith("#p0-a-")
        )
        assert part_a in in_a and part_b in in_b
    assert 'class="ps pk-verbatim"' in HTML and 'class="ps pk-paraphrase"' in HTML


def test_untrusted_text_is_inert() -> None:
    assert "<script>alert" not in HTML
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in HTML  # article text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in HTML  # title
    assert '" onmouseover="x' not in HTML
    assert all("onmouseover" not in a for _, a in TREE.tags)
    assert HTML.count("<script>") == 1  # our own inline script only


def test_rendered_document_text_is_the_original_text() -> None:
    # The document's text block, with labels drawn by CSS, holds exactly the raw text.
    for i, text in enumerate((TEXT_A, TEXT_B, TEXT_C)):
        t = _Tree()
        body = HTML.split(f'id="doc-{i}"', 1)[1].split('<div class="txt doctext">', 1)[1]
        t.feed(body.split("</div>", 1)[0])
        assert "".join(r for r, _ in t.runs) == text


def test_absent_optional_keys_and_bad_offsets() -> None:
    out = render_html(
        {
            "documents": [
                {
                    "id": "x",
                    "text": "abc",
                    "body": [[2, 99], [5, 1], "no"],
                    "removed": [{"start": -4, "end": 1, "kind": None}],
                }
            ],
            "pairs": [{"a": "x", "b": "ghost", "passages": [{"a": [0, 2], "b": None}]}],
            "stories": [{"documents": ["x", "ghost"], "edges": [{"child": "x", "parent": "x"}]}],
        }
    )
    assert "ghost" in out and "<html" in out
    assert "wiretrace" in render_html({})


def test_overlapping_marks_keep_every_character() -> None:
    text = "abcdefghij"
    pieces = segment(text, [Mark(2, 6, "one", "1"), Mark(4, 9, "two", "2"), Mark(0, 3, "three")])
    assert "".join(p.text for p in pieces) == text
    assert [(p.text, p.cls, p.label) for p in pieces] == [
        ("ab", "three", ""),
        ("cdef", "one", "1"),
        ("ghi", "two", "2"),
        ("j", "", ""),
    ]


_marks = st.lists(
    st.builds(Mark, st.integers(-5, 60), st.integers(-5, 60), st.sampled_from(["x", "y", "z"]), st.just("")),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=50), marks=_marks, lo=st.integers(-3, 55), hi=st.integers(-3, 55))
def test_segments_cover_range_exactly(text: str, marks: list[Mark], lo: int, hi: int) -> None:
    pieces = segment(text, marks, lo, hi)
    hi_c = max(0, min(hi, len(text)))
    lo_c = max(0, min(lo, hi_c))
    assert "".join(p.text for p in pieces) == text[lo_c:hi_c]
    assert all(p.text for p in pieces)
    pos = lo_c
    for p in pieces:  # every character of a piece has that piece's mark as its first covering mark
        for x in range(pos, pos + len(p.text)):
            covering = [i for i, m in enumerate(marks) if m.start <= x < m.end]
            assert p.mark == (covering[0] if covering else -1)
        pos += len(p.text)
    assert sum(p.first for p in pieces) == len({p.mark for p in pieces if p.mark >= 0})


def test_headline_summary_and_unknown_direction_are_shown() -> None:
    report = _report()
    s = report["stories"][0]
    s["headline"] = "Northern lighthouse keepers walk out"
    s["summary"] = [{"document": "gazette-1", "span": _at(TEXT_A, "Their union said pay had not risen in six winters."),
                     "sources": ["gazette-1", "wire-7"], "score": 0.8}]  # no "text": taken from the document
    s["edges"][0]["direction"] = "none"
    s["origin"] = None
    tree = _parse(render_html(report))
    summary = _inside(tree, lambda a: a.get("class") == "summary-lines")
    assert "Their union said pay had not risen in six winters." in summary and "carried by 2 pages" in summary
    html = render_html(report)
    assert "<h3>Northern lighthouse keepers walk out</h3>" in html
    assert "direction unknown" in html and "origin undetermined" in html


# ---------------------------------------------------------------- a bounded overview at any size


def _big_report(n_docs: int, big: int, text: str) -> dict[str, object]:
    """A generated report: one story of ``big`` members (a chain three wide), stories of three, singletons."""
    docs = [{"id": f"d{i:06d}", "source": f"Outlet {i % 50}", "title": f"Title {i}", "published": f"2031-01-{1 + i % 28:02d}",
             "chars": len(text), "text": text, "body": [[0, len(text)]], "removed": []} for i in range(n_docs)]
    ids = [d["id"] for d in docs]
    pairs, stories = [], []

    def story(sid: str, members: list[str]) -> dict[str, object]:
        edges = [{"child": m, "parent": members[(k - 1) // 3], "relation": ("derivative", "template")[k % 2],
                  "direction": "child<-parent", "evidence": ["dates: earlier " * 40]} for k, m in enumerate(members[1:], 1)]
        for e in edges:
            pairs.append({"a": e["child"], "b": e["parent"], "relation": e["relation"], "direction": "a<-b",
                          "scores": {"lexical": 0.9}, "passages": [{"a": [0, 50], "b": [0, 50], "kind": "verbatim"}]})
        return {"id": sid, "title": f"Story {sid} <script>alert(3)</script>", "documents": members, "origin": members[0],
                "edges": edges, "canonical": {"document": members[0], "spans": [[0, len(text)]]},
                "additions": [{"document": m, "spans": [[0, len(text)]]} for m in members[1:]]}

    stories.append(story("s-big", ids[:big]))
    at = big
    while at + 3 <= n_docs // 2:
        stories.append(story(f"s-{at}", ids[at : at + 3]))
        at += 3
    stories += [{"id": f"s-{i}", "documents": [i], "origin": i, "edges": []} for i in ids[at:]]
    return {"documents": docs, "pairs": pairs, "stories": stories}


def test_overview_stays_bounded_on_20000_documents() -> None:
    from wiretrace.report import html as H

    report = _big_report(20_000, 2_000, "Harbour pilots voted to strike on Tuesday. " * 40)
    out = render_html(report, site="site/")
    assert len(out.encode("utf-8")) <= 5_000_000
    tree = _parse(out)
    rows = [a for tag, a in tree.tags if tag == "tr" and "rank-row" in a.get("class", "")]
    assert len(rows) == H.TABLE_ROWS and rows[0]["data-docs"] == "2000"  # the largest first
    stories = [a for tag, a in tree.tags if tag == "article"]
    assert len(stories) == H.FEATURED
    assert len([a for tag, a in tree.tags if tag == "details" and "doc" in a.get("class", "").split()]) <= H.MAX_DOCS
    assert len([a for tag, a in tree.tags if tag == "details" and "pair" in a.get("class", "").split()]) <= H.MAX_PAIRS
    assert 'href="site/index.html"' in out and 'href="site/search.html"' in out
    assert "<script>alert(3)" not in out and "&lt;script&gt;alert(3)&lt;/script&gt;" in out
    big = out.split('id="story-0"', 1)[1].split("</article>", 1)[0]
    drawn = big.count('class="node')
    assert 0 < drawn <= H.TREE_NODES  # the 2,000-member tree is collapsed
    assert "more pages below (collapsed)" in big
    assert "template" in big  # an unknown relation renders like the known ones


def test_overview_bounded_whatever_the_text() -> None:
    """Text that escapes to five times its length, long ids and reasons: still under 5 MB."""
    report = _big_report(3_000, 600, "<&>\"'" * 20_000)
    report["skipped"] = [{"path": f"in/{i}.warc" * 20, "reason": "<b>broken</b>" * 50} for i in range(5_000)]
    out = render_html(report)
    assert len(out.encode("utf-8")) <= 5_000_000
    assert "<b>broken" not in out and "&lt;b&gt;broken" in out
    assert "site/" not in out  # no browser beside it: no links into one
