"""HTML inputs: the visible text and its layout, main-content hints, metadata and charsets."""

from __future__ import annotations

import gzip
import html as stdlib_html
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.floors import floor
from tests.requirements import need_path

from wiretrace.errors import InputError
from wiretrace.ingest import read_html_string, read_inputs
from wiretrace.ingest.html import HINT_KIND, page_from_html
from wiretrace.model import Document, Skipped, Span

SHARED = (Path(__file__).resolve().parents[2] / "../shared").resolve()
EVAL = SHARED / "data/trafilatura-eval"
CHAOS = SHARED / "data/msv-ir-research/Extraction/chaos-all"

PAGE = """<!DOCTYPE html>
<html><head><title>Harbour Gazette | Lantern night</title>
<meta property="og:site_name" content="Harbour Gazette">
<meta property="article:published_time" content="2021-05-06T08:00:00Z">
<style>p { color: red }</style><script>var secret = "never shown";</script></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article>
<h1>Lantern night lights up the old harbour</h1>
<p>More than   two hundred
 lanterns drifted across the water on Saturday &amp; the crowd cheered as the last boat came in.</p>
<p>Organisers said the event raised &pound;4,000<br>for the lifeboat station.<!-- a comment --></p>
<p>Bo<b>ld</b> and <i>italic</i> words stay in one block<script>ignored()</script> with their tail.</p>
<table><tr><td>Boats</td><td>12</td></tr><tr><td>Lanterns</td><td>230</td></tr></table>
<pre>line one
  line two</pre>
</article>
<footer><p>Contact the newsroom</p></footer>
<noscript>Enable JavaScript</noscript>
</body></html>"""

BLOCKS = [
    "Home",
    "News",
    "Lantern night lights up the old harbour",
    "More than two hundred lanterns drifted across the water on Saturday & the crowd cheered as the last boat came in.",
    "Organisers said the event raised \u00a34,000\nfor the lifeboat station.",
    "Bold and italic words stay in one block with their tail.",
    "Boats 12",
    "Lanterns 230",
    "line one\nline two",
    "Contact the newsroom",
]


def _assert_valid_hints(doc: Document) -> None:
    end = 0
    for span in doc.hints:
        assert span.kind == HINT_KIND
        assert end <= span.start < span.end <= len(doc.text), (span, len(doc.text))
        assert doc.text[span.start : span.end].strip() == doc.text[span.start : span.end]
        end = span.end


def _hinted(doc: Document) -> str:
    return " ".join(" ".join(doc.text[s.start : s.end].split()) for s in doc.hints)


def _norm(value: str) -> str:
    return " ".join(value.replace("\u00ad", "").split())


def test_visible_text_keeps_every_block_in_reading_order() -> None:
    doc = read_html_string(PAGE, doc_id="lanterns", path="pages/lanterns.html")
    assert doc.text == "\n\n".join(BLOCKS)
    assert (doc.id, doc.path, doc.format, doc.encoding) == (
        "lanterns",
        "pages/lanterns.html",
        "html",
        "utf-8",
    )
    for hidden in ("never shown", "ignored", "color", "a comment", "Enable JavaScript", "Harbour Gazette"):
        assert hidden not in doc.text


def test_hints_mark_the_article_blocks_and_not_the_navigation() -> None:
    doc = read_html_string(PAGE, doc_id="lanterns", path="lanterns.html")
    _assert_valid_hints(doc)
    hinted = {doc.text[s.start : s.end] for s in doc.hints}
    assert BLOCKS[3] in hinted and BLOCKS[4] in hinted and BLOCKS[5] in hinted
    assert not hinted & {"Home", "News", "Contact the newsroom"}


def test_metadata_comes_from_the_markup() -> None:
    doc = read_html_string(PAGE, doc_id="lanterns", path="lanterns.html", url="https://example.org/lanterns")
    assert doc.title == "Lantern night lights up the old harbour"
    assert doc.source == "Harbour Gazette"
    assert doc.published == "2021-05-06"
    assert doc.url == "https://example.org/lanterns"
    bare = read_html_string("<title>Only a title</title><p>Short.</p>", doc_id="t", path="t.html")
    assert bare.title == "Only a title" and bare.text == "Short."


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        (
            "<html><head><title>T</title></head><body><script>x()</script> \n </body></html>",
            "no visible text",
        ),
        ("<!-- only a comment -->", "lxml could not parse"),
        (
            "<p>Before the unclosed tags.</p>" + "<div>" * 3000 + "<p>Lost.</p>",
            "nested deeper than lxml's limit",
        ),
    ],
)
def test_a_page_without_visible_text_is_an_input_error(markup: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        read_html_string(markup, doc_id="empty", path="feeds/empty.html")
    assert caught.value.path == "feeds/empty.html" and problem in caught.value.problem


def test_an_html_file_without_text_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><body><div><span> </span></div><style>b{}</style></body></html>", encoding="utf-8")
    [item] = list(read_inputs([path]))
    assert isinstance(item, Skipped) and item.path == str(path) and "no visible text" in item.reason


def test_a_page_served_only_inside_noscript_is_still_read() -> None:
    doc = read_html_string(
        "<body><noscript><p>Plain version of the page.</p></noscript></body>", doc_id="n", path="n"
    )
    assert doc.text == "Plain version of the page."


def _eval_pages(
    tmp_path: Path, names: list[str], suffix: str = ".html"
) -> tuple[list[Document], dict[str, dict]]:
    need_path(EVAL)
    labels = {v["file"]: v for v in json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8")).values()}
    for index, name in enumerate(names):
        (tmp_path / f"page{index:02d}{suffix}").write_bytes(
            gzip.decompress((EVAL / "html" / f"{name}.gz").read_bytes())
        )
    items = list(read_inputs([tmp_path]))
    assert all(isinstance(i, Document) for i in items), items
    docs = [i for i in items if isinstance(i, Document)]
    return docs, {doc.id: labels[names[int(doc.id[4:])]] for doc in docs}


# Pages from trafilatura's evaluation set, each with snippets of its main text ("with").
MAIN_TEXT_PAGES = [
    "0a12df42d1764095989ab078ee0f940b.html",
    "0a29620f9c4347758c146ed06dab6f3e.html",
    "0a3108e507c54157a95fe7a1338f5e9c.html",
    "0a4a8ab61c054192b1ec70cc3570cf45.html",
    "0a6291ebbce449b3b04256b43c73e39d.html",
    "0a962f6bcd5649f7a7e6effa338df80d.html",
    "1337kultur.de.picard.html",
    "1hundetagebuch.wordpress.com.langer.html",
]


def test_real_pages_keep_their_text_and_hints_cover_the_main_text(tmp_path: Path) -> None:
    docs, labels = _eval_pages(tmp_path, MAIN_TEXT_PAGES)
    assert len(docs) == len(MAIN_TEXT_PAGES)
    found = covered = pages_fully_covered = 0
    for doc in docs:
        assert doc.format == "html" and doc.hints
        _assert_valid_hints(doc)
        text, hinted = _norm(doc.text), _norm(_hinted(doc))
        snippets = [_norm(s) for s in labels[doc.id]["with"] if _norm(s) in text]
        assert snippets, doc.id  # the full text holds the main text
        found += len(snippets)
        covered += sum(s in hinted for s in snippets)
        pages_fully_covered += all(s in hinted for s in snippets)
        assert len(doc.text) > len(hinted)  # navigation and footers stay in the text, outside the hints
    assert covered >= floor("ingest_html", "hint_snippets_covered") * found, (covered, found)
    assert pages_fully_covered >= floor("ingest_html", "hint_pages_fully_covered") * len(docs), pages_fully_covered


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("nmb-media.de.ebay.html", "cp1252"),  # no charset declared, not UTF-8
        ("automobilwoche.de-VW-Betriebsversammlung.html", "cp1252"),  # declares windows-1252
        ("landwirt.com.sensortechnik.html", "iso8859-1"),  # declares iso-8859-1, no 0x80-0x9F bytes
        (
            "Unijne fundusze coraz bli\u017cej. Sejm zag\u0142osowa\u0142 _za_ - Polityka - rp.pl.html",
            "cp1250",
        ),
        ("maescot.de.schafskunde.html", "utf-8-replace"),  # UTF-8 with one stray byte
        ("Osthessen-news.de-Buergermeisterwahl.html", "utf-8-sig"),
    ],
)
def test_legacy_charsets_decode_to_the_right_text(tmp_path: Path, name: str, encoding: str) -> None:
    [doc], labels = _eval_pages(tmp_path, [name])
    assert doc.encoding == encoding
    assert not doc.text.startswith("\ufeff")
    for snippet in labels[doc.id]["with"]:
        assert _norm(snippet) in _norm(doc.text), snippet
    assert "\u00c3" not in doc.text  # no UTF-8 read as a single-byte charset ("Ã¤" for "ä")


def test_htm_pages_hints_cover_the_human_gold_text(tmp_path: Path) -> None:
    need_path(CHAOS)
    pages = sorted((CHAOS / "html").glob("*.htm.gz"))[:6]
    for page in pages:
        (tmp_path / page.name.removesuffix(".gz")).write_bytes(gzip.decompress(page.read_bytes()))
    docs = [d for d in read_inputs([tmp_path]) if isinstance(d, Document)]
    assert len(docs) == len(pages)
    lines = in_text = in_hints = 0
    for doc in docs:
        _assert_valid_hints(doc)
        gold = next(read_inputs([CHAOS / "gold" / f"{doc.id}.txt"]))
        assert isinstance(gold, Document)
        text, hinted = _norm(doc.text), _norm(_hinted(doc))
        for line in gold.text.splitlines():
            if len(_norm(line)) >= 30:
                lines += 1
                in_text += _norm(line) in text
                in_hints += _norm(line) in hinted
    assert in_text >= floor("ingest_html", "gold_lines_in_text") * lines, (in_text, lines)
    assert in_hints >= floor("ingest_html", "gold_lines_in_hints") * lines, (in_hints, lines)


# Random small trees: hints must stay well-formed whatever the markup.
_TAGS = [
    "p",
    "div",
    "span",
    "b",
    "li",
    "ul",
    "td",
    "tr",
    "table",
    "h2",
    "pre",
    "script",
    "br",
    "a",
    "section",
]
_WORDS = st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=40)


def _render(tree: object) -> str:
    if isinstance(tree, str):
        return stdlib_html.escape(tree)
    tag, children = tree  # type: ignore[misc]
    if tag == "br":
        return "<br>"
    return f"<{tag}>" + "".join(_render(c) for c in children) + f"</{tag}>"


_TREES = st.recursive(
    _WORDS,
    lambda inner: st.tuples(st.sampled_from(_TAGS), st.lists(inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=80, deadline=None)
@given(tree=st.lists(_TREES, min_size=1, max_size=4))
def test_hints_of_any_page_lie_inside_the_text_and_never_overlap(tree: list[object]) -> None:
    markup = "<html><body>" + "".join(_render(t) for t in tree) + "</body></html>"
    try:
        page = page_from_html(markup)
    except InputError as err:
        assert "no visible text" in err.problem or "could not parse" in err.problem
        return
    assert page.text and page.text == page.text.strip()
    assert "\n\n\n" not in page.text
    for start, end in page.blocks:
        block = page.text[start:end]
        assert block and block == block.strip() and "\n\n" not in block
    previous = Span(0, 0)
    for span in page.hints:
        assert span.kind == HINT_KIND and previous.end <= span.start < span.end <= len(page.text)
        assert (span.start, span.end) in page.blocks
        previous = span
