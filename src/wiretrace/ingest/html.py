"""HTML pages: the whole visible text in reading order, with trafilatura's verdict as hints.

``page_from_html`` is the pure core (a string in, text + hints + metadata out) so that benchmarks
and the HTTP service can call it directly. The text keeps every visible block (navigation, footers,
comments included): cleaning decides what is body, and it needs the noise to be there to mark it.

How the text is laid out: each block-level element starts a new block; blocks are joined with a
blank line; ``<br>`` is a line break inside a block (two in a row end the block); runs of
whitespace inside a block become one space. No character that is not on the page is added, except
the single space that keeps two table cells apart.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura

from wiretrace.errors import EMPTY_TEXT, InputError
from wiretrace.ingest.dates import parse_date
from wiretrace.ingest.decode import check_text_bytes, declared_charsets, decode_bytes
from wiretrace.model import Document, Format, Span

log = logging.getLogger(__name__)

HINT_KIND = "markup_body"

# Never rendered as text: code, metadata, embedded documents, and fallback content of media.
DROPPED = frozenset(
    ("script", "style", "noscript", "template", "svg", "math", "head", "title", "iframe", "frame", "noframes")
    + ("object", "embed", "video", "audio", "canvas", "datalist")
)
BLOCKS = frozenset(
    ("address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog")
    + ("dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frameset", "header")
    + ("h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "hr", "html", "legend", "li", "listing", "main", "menu")
    + ("nav", "ol", "p", "plaintext", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr")
    + ("ul", "xmp")
)
PREFORMATTED = frozenset({"pre", "listing", "plaintext", "xmp", "textarea"})
# Side by side on screen, so their texts must not run together; a space keeps them apart.
SEPARATED = frozenset({"td", "th", "option", "optgroup", "select", "textarea", "button"})

_WHITESPACE = re.compile(r"\s+")
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")

# A block counts as main content when trafilatura's lines cover this share of its characters.
MIN_COVERAGE = 0.6
# Shorter pieces ("Share", "Home") match too much by chance; they count only when equal to a block.
MIN_PIECE_CHARS = 12


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """What one HTML page yields: its visible text, the blocks judged main content, and its metadata."""

    text: str
    blocks: tuple[tuple[int, int], ...]
    hints: tuple[Span, ...]
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None


def read_html_string(
    html: str, *, doc_id: str, path: str, encoding: str = "utf-8", url: str | None = None
) -> Document:
    """A ``format="html"`` Document from an HTML string; raise InputError when it shows no text."""
    page = page_from_html(html, url=url, where=path)
    return Document(
        id=doc_id,
        text=page.text,
        path=path,
        format=Format.HTML,
        encoding=encoding,
        source=page.source,
        url=page.url,
        title=page.title,
        published=page.published,
        hints=page.hints,
    )


def read_html_bytes(
    data: bytes, *, doc_id: str, path: str, url: str | None = None, content_type: str | None = None
) -> Document:
    """Decode an HTML file or HTTP payload (using its declared charset when not UTF-8) and read it."""
    check_text_bytes(data, path=path)
    decoded = decode_bytes(data, path=path, declared=declared_charsets(data, content_type))
    if not decoded.text.strip():
        raise InputError(path, EMPTY_TEXT)
    return read_html_string(decoded.text, doc_id=doc_id, path=path, encoding=decoded.encoding, url=url)


def page_from_html(html: str, *, url: str | None = None, where: str = "<html string>") -> HtmlPage:
    """Text, main-content hints and metadata of one page. Pure: no files, no network.

    Raises InputError (naming ``where``) when lxml cannot parse the markup or the page shows no text.
    """
    root = parse_html(html, where=where)
    text, blocks = visible_text(root)
    if not text:
        raise InputError(
            where, "no visible text in the page (only markup, scripts or styles); is it a real page?"
        )
    fallback_title = _title_element(root)  # read before trafilatura, whose metadata pass may edit the tree
    extracted = _trafilatura(root, url)
    body = extracted.text if extracted is not None else ""
    metadata = extracted if extracted is not None else _metadata_only(root, url)
    title = _clean(getattr(metadata, "title", None)) or fallback_title
    published = getattr(metadata, "date", None)
    return HtmlPage(
        text=text,
        blocks=blocks,
        hints=hint_spans(text, blocks, body or ""),
        title=title,
        published=parse_date(published) if isinstance(published, str) else None,
        source=_clean(getattr(metadata, "sitename", None)),
        url=url or _clean(getattr(metadata, "url", None)),
    )


def parse_html(html: str, *, where: str = "<html string>") -> lxml.html.HtmlElement:
    """Parse markup leniently (as browsers do); raise InputError only when nothing can be built."""
    # Parsing UTF-8 bytes with a fixed encoding sidesteps lxml's refusal of str input that carries an
    # XML encoding declaration, and makes the page's own (already applied) charset declaration moot.
    data = html.encode("utf-8", errors="replace")
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as err:
        raise InputError(where, f"lxml could not parse the HTML ({err}); is it an HTML page?") from None
    if root is None:
        raise InputError(where, "lxml could not parse the HTML (no element found); is it an HTML page?")
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT":
            # libxml2 stops at such a limit and drops the rest of the page: reading on would lose text silently
            if "depth" in error.message:
                problem = (
                    "markup nested deeper than lxml's limit of 2048 levels (thousands of unclosed tags?)"
                )
            else:
                problem = f"lxml stopped parsing the HTML ({error.message})"
            raise InputError(
                where, f"{problem}; the rest of the page would be lost, so repair the HTML first"
            )
    return root


def visible_text(root: lxml.html.HtmlElement) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The page's visible text (blocks joined by blank lines) and each block's ``[start, end)``."""
    blocks = list(_blocks(root, DROPPED))
    if not blocks:
        # A few sites serve the whole page inside <noscript> (their no-JavaScript version): read that.
        blocks = list(_blocks(root, DROPPED - {"noscript"}))
    spans: list[tuple[int, int]] = []
    pos = 0
    for block in blocks:
        spans.append((pos, pos + len(block)))
        pos += len(block) + 2
    return "\n\n".join(blocks), tuple(spans)


def hint_spans(text: str, blocks: Iterable[tuple[int, int]], extracted: str) -> tuple[Span, ...]:
    """The blocks of ``text`` whose content trafilatura kept (``extracted``), as markup_body spans.

    A block counts when, whitespace aside, it equals one of trafilatura's lines (or a list item or
    table cell of one), lies inside one, or is covered for MIN_COVERAGE of its characters by them
    (pieces shorter than MIN_PIECE_CHARS only count where they equal a block or a line of one).
    """
    blocks = list(blocks)
    pieces = _pieces(extracted)
    if not pieces or not blocks:
        return ()
    normal = [_normalise(text[start:end]) for start, end in blocks]
    joined_pieces = "\n".join(pieces)
    hit = [bool(n) and (n in pieces or (len(n) >= MIN_PIECE_CHARS and n in joined_pieces)) for n in normal]
    covered = _coverage(normal, hit, pieces)
    for index, (start, end) in enumerate(blocks):
        if not hit[index] and "\n" in text[start:end]:
            # a block broken by <br> or <pre> lines: trafilatura writes each line apart, and short
            # lines only count when equal to one of its lines
            lines = (_normalise(line) for line in text[start:end].split("\n"))
            covered[index] = max(covered[index], sum(len(line) for line in lines if line in pieces))
    return tuple(
        Span(start, end, HINT_KIND)
        for (start, end), n, is_hit, cover in zip(blocks, normal, hit, covered, strict=True)
        if is_hit or (n and cover >= MIN_COVERAGE * len(n))
    )


def _blocks(root: lxml.html.HtmlElement, dropped: frozenset[str]) -> Iterator[str]:
    # An explicit stack, not recursion: real pages nest deeper than Python's recursion limit.
    parts: list[str | None] = []  # None is a <br>
    pre_depth = 0

    def add_text(value: str | None) -> None:
        if not value:
            return
        if pre_depth:
            lines = value.split("\n")
            for i, line in enumerate(lines):
                if i:
                    parts.append(None)
                parts.append(line)
        else:
            parts.append(value)

    stack: list[tuple[lxml.etree._Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if closing:
            if tag in BLOCKS:
                yield from _flush(parts)
            elif tag in SEPARATED:
                parts.append(" ")
            if tag in PREFORMATTED:
                pre_depth -= 1
            add_text(element.tail)
            continue
        if not tag or tag in dropped:  # comments, processing instructions, scripts...: only the tail shows
            add_text(element.tail)
            continue
        if tag == "br":
            parts.append(None)
            add_text(element.tail)
            continue
        if tag in BLOCKS:
            yield from _flush(parts)
        elif tag in SEPARATED:
            parts.append(" ")
        if tag in PREFORMATTED:
            pre_depth += 1
        add_text(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    yield from _flush(parts)


def _flush(parts: list[str | None]) -> Iterator[str]:
    """Turn the pending inline pieces into blocks; a blank line (two <br> in a row) splits them."""
    if not parts:
        return
    lines: list[str] = []
    current: list[str] = []
    for part in parts:
        if part is None:
            lines.append(_WHITESPACE.sub(" ", "".join(current)).strip())
            current = []
        else:
            current.append(part)
    lines.append(_WHITESPACE.sub(" ", "".join(current)).strip())
    parts.clear()
    block: list[str] = []
    for line in lines:
        if line:
            block.append(line)
        elif block:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def _normalise(value: str) -> str:
    """Compare texts as trafilatura writes them: NFC, no invisible characters, single spaces."""
    value = unicodedata.normalize("NFC", value)
    if not value.isprintable():
        value = "".join(ch for ch in value if ch.isprintable() or ch.isspace())
    return " ".join(value.split())


def _pieces(extracted: str) -> set[str]:
    """trafilatura's lines, plus list items without their marker and table rows split into cells."""
    pieces: set[str] = set()
    for raw in extracted.splitlines():
        line = _normalise(raw)
        if not line:
            continue
        pieces.add(line)
        unmarked = _LIST_MARKER.sub("", line, count=1)
        pieces.add(unmarked)
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line)]
            cells = [c for c in cells if c and set(c) != {"-"}]
            pieces.update(cells)
            pieces.add(" ".join(cells))
    pieces.discard("")
    return pieces


def _coverage(normal: list[str], hit: list[bool], pieces: set[str]) -> list[int]:
    """Characters of each block covered by pieces found inside it (union of occurrences)."""
    covered = [0] * len(normal)
    matched = {n for n, is_hit in zip(normal, hit, strict=True) if is_hit}
    todo = [p for p in pieces if len(p) >= MIN_PIECE_CHARS and p not in matched]
    if not todo:
        return covered
    # One search per piece over all blocks, separated by a character no normalised text holds.
    joined = "\x00".join(normal)
    starts: list[int] = []
    pos = 0
    for n in normal:
        starts.append(pos)
        pos += len(n) + 1
    ranges: dict[int, list[tuple[int, int]]] = {}
    for piece in todo:
        at = joined.find(piece)
        while at >= 0:
            index = bisect_right(starts, at) - 1
            if not hit[index]:
                offset = at - starts[index]
                ranges.setdefault(index, []).append((offset, offset + len(piece)))
            at = joined.find(piece, at + 1)
    for index, found in ranges.items():
        total, end = 0, 0
        for s, e in sorted(found):
            if e > end:
                total += e - max(s, end)
                end = e
        covered[index] = total
    return covered


def _trafilatura(root: lxml.html.HtmlElement, url: str | None) -> trafilatura.settings.Document | None:
    """trafilatura's main text and metadata in one pass (it copies the tree before changing it)."""
    try:
        result = trafilatura.bare_extraction(
            root,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            output_format="python",
        )
    except Exception as err:  # noqa: BLE001 - hints are advice: a crash in the extractor must not lose the page
        log.warning("trafilatura failed on %s: %s; the page is read without main-content hints", url, err)
        return None
    return result if isinstance(result, trafilatura.settings.Document) else None


def _metadata_only(root: lxml.html.HtmlElement, url: str | None) -> object:
    """Metadata when trafilatura found no main text (it then returns nothing at all)."""
    try:
        return trafilatura.extract_metadata(root, default_url=url)
    except Exception as err:  # noqa: BLE001 - same reason as above: metadata is optional
        log.warning("trafilatura metadata failed on %s: %s", url, err)
        return None


def _title_element(root: lxml.html.HtmlElement) -> str | None:
    element = root.find(".//title")
    return _clean(element.text_content()) if element is not None else None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None
