"""WARC inputs: HTML responses become documents; broken archives keep what was read."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.ingest.warc import MAX_ID_CHARS, record_id
from wiretrace.model import Document, Skipped

PAGE = (
    "<html><head><title>{title}</title></head><body><nav>Sections</nav><article><h1>{title}</h1>"
    "<p>{body}</p><p>{body}</p></article><footer>Imprint</footer></body></html>"
)
BODY = "The ferry company announced a winter timetable with two extra crossings on weekdays. "


def _page(title: str, charset: str = "utf-8") -> bytes:
    return PAGE.format(title=title, body=BODY * 2).encode(charset)


def _write_warc(path: Path, records: list[tuple[Any, ...]], gzip: bool = True) -> Path:
    """records: (uri, record type, status line, payload[, Content-Type]), after a warcinfo record."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "wiretrace tests"}))
    for uri, rec_type, status, payload, *rest in records:
        content_type = rest[0] if rest else "text/html; charset=utf-8"
        if rec_type == "request":
            http = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Accept", "text/html")], is_http_request=True)
        else:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                uri,
                rec_type,
                payload=io.BytesIO(payload),
                http_headers=http,
                warc_headers_dict={"WARC-Date": "2021-03-04T05:06:07Z"},
            )
        )
    path.write_bytes(buffer.getvalue())
    return path


RECORDS = [
    ("https://news.example.com/2021/ferry-timetable?page=1", "response", "200 OK", _page("Winter timetable")),
    ("https://news.example.com/2021/ferry-timetable?page=1", "request", "200 OK", b""),
    ("https://news.example.com/feed.json", "response", "200 OK", b'{"not": "html"}', "application/json"),
    ("https://news.example.com/old", "response", "301 Moved Permanently", b"<p>Moved</p>"),
    ("https://news.example.com/missing", "response", "404 Not Found", _page("Not found")),
    (
        "http://caf\u00e9.example.org/m\u00fcnchen",
        "response",
        "200 OK",
        _page("Caf\u00e9 in M\u00fcnchen", "cp1252"),
        "text/html; charset=windows-1252",
    ),
    ("https://news.example.com/2021/ferry-timetable?page=1", "response", "200 OK", _page("Second capture")),
]


@pytest.mark.parametrize("gzip", [True, False])
def test_html_responses_become_documents(tmp_path: Path, gzip: bool) -> None:
    path = _write_warc(tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc"), RECORDS, gzip=gzip)
    items = list(read_inputs([path]))
    docs = [i for i in items if isinstance(i, Document)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [d.id for d in docs] == ["news-example-com-2021-ferry-timetable-page-1", "caf-example-org-m-nchen"]
    first, cafe = docs
    assert first.format == "warc" and first.path == str(path)
    assert first.url == "https://news.example.com/2021/ferry-timetable?page=1"
    assert first.published == "2021-03-04"  # the page has no date: the capture date stands in
    assert first.title == "Winter timetable"
    assert first.text.startswith("Sections\n\nWinter timetable\n\n") and first.text.endswith("\n\nImprint")
    assert first.hints and all(0 <= s.start < s.end <= len(first.text) for s in first.hints)
    assert cafe.encoding == "cp1252" and "Caf\u00e9 in M\u00fcnchen" in cafe.text
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {f"{path}#6", f"{path}#8"}
    assert reasons[f"{path}#6"].startswith("HTTP status 404")
    assert reasons[f"{path}#8"].startswith(
        "duplicate id 'news-example-com-2021-ferry-timetable-page-1' (already read from " + f"{path}#2)"
    )


@pytest.mark.parametrize("gzip", [True, False])
def test_a_truncated_warc_keeps_the_records_before_the_break(tmp_path: Path, gzip: bool) -> None:
    pages = [(f"https://example.net/story/{n}", "response", "200 OK", _page(f"Story {n}")) for n in range(4)]
    whole = _write_warc(tmp_path / "whole.warc", pages, gzip=gzip).read_bytes()
    cut = tmp_path / ("cut.warc.gz" if gzip else "cut.warc")
    cut.write_bytes(whole[: int(len(whole) * 0.7)])
    items = list(read_inputs([cut]))
    docs = [i for i in items if isinstance(i, Document)]
    assert 1 <= len(docs) < 4
    assert [d.id for d in docs] == [f"example-net-story-{n}" for n in range(len(docs))]
    assert isinstance(items[-1], Skipped) and items[-1].path == str(cut)
    assert items[-1].reason.startswith(f"corrupt WARC after record {len(docs) + 1}: ")  # warcinfo is record 1
    assert len([i for i in items if isinstance(i, Skipped)]) == 1


def test_a_file_that_is_not_a_warc_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("these are notes, not an archive\n", encoding="utf-8")
    [item] = list(read_inputs([path]))
    assert isinstance(item, Skipped) and item.path == str(path)
    assert item.reason.startswith("not a readable WARC file (") and ".warc.gz" in item.reason


def test_a_record_over_the_size_limit_is_skipped_alone(tmp_path: Path) -> None:
    records = [
        ("https://example.net/small", "response", "200 OK", _page("Small")),
        ("https://example.net/large", "response", "200 OK", _page("Large") + b"<p>padding</p>" * 400),
    ]
    path = _write_warc(tmp_path / "sizes.warc.gz", records)
    items = list(read_inputs([path], IngestConfig(max_doc_bytes=2_000)))
    assert [i.id for i in items if isinstance(i, Document)] == ["example-net-small"]
    [skip] = [i for i in items if isinstance(i, Skipped)]
    assert skip.path == f"{path}#3"
    assert skip.reason.startswith("the page is 6.") and "over the 2.0 KB limit" in skip.reason


def test_record_ids_are_readable_bounded_and_distinct() -> None:
    assert (
        record_id("https://www.example.com/news/2021/a-story.html")
        == "www-example-com-news-2021-a-story-html"
    )
    assert record_id("http://example.com:8080/x") == "example-com-8080-x"
    long_uri = "https://example.com/" + "segment/" * 30
    long_id = record_id(long_uri)
    assert len(long_id) <= MAX_ID_CHARS and long_id == record_id(long_uri)
    assert long_id != record_id(long_uri + "more")
    taken: dict[str, str] = {}
    first = record_id("https://example.com/a-b", taken)
    second = record_id("https://example.com/a/b", taken)  # same slug, other page
    assert first == "example-com-a-b" and second != first and second.startswith("example-com-a-b-")
    assert record_id("https://example.com/a-b", taken) == first
