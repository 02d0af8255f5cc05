"""JSONL inputs: one document per line, and one Skipped per bad line while the rest is read."""

from __future__ import annotations

import json
from pathlib import Path

from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.model import Document, Skipped

ARTICLE = "<html><body><nav>Menu</nav><article><h1>Quay works begin</h1><p>{}</p></article></body></html>"
PARAGRAPH = (
    "Builders started on the quay wall this week and expect the work to last until the autumn storms. " * 3
)


def _write(path: Path, lines: list[str | dict[str, object]], newline: str = "\n") -> Path:
    path.write_bytes(
        newline.join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode() + b"\n"
    )
    return path


def test_jsonl_lines_round_trip(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "feed.jsonl",
        [
            {
                "id": "a1",
                "text": "First line\r\nsecond  line\n",
                "url": "https://example.org/a1",
                "source": "Wire",
            },
            "",
            "   ",
            {"id": 42, "text": "Numbered id", "title": " A title ", "published": "2020-01-02T03:04:05Z"},
            {"id": "h1", "html": ARTICLE.format(PARAGRAPH), "published": "March 3, 2021"},
            {"id": "d1", "text": "Odd date", "published": "sometime soon"},
        ],
        newline="\r\n",
    )
    docs = list(read_inputs([path]))
    assert all(isinstance(d, Document) for d in docs)
    a1, n42, h1, d1 = docs
    assert isinstance(a1, Document) and isinstance(n42, Document) and isinstance(h1, Document)
    assert isinstance(d1, Document)
    assert (a1.id, a1.text, a1.format, a1.path) == ("a1", "First line\r\nsecond  line\n", "jsonl", str(path))
    assert (a1.url, a1.source, a1.title, a1.published) == ("https://example.org/a1", "Wire", None, None)
    assert (n42.id, n42.title, n42.published) == ("42", "A title", "2020-01-02")
    assert h1.format == "jsonl" and h1.text.startswith("Menu\n\nQuay works begin\n\n")
    assert h1.published == "2021-03-03" and h1.title == "Quay works begin"
    assert h1.hints and all(0 <= s.start < s.end <= len(h1.text) for s in h1.hints)
    assert "Menu" not in {h1.text[s.start : s.end] for s in h1.hints}
    assert d1.published is None


def test_bad_lines_are_skipped_with_their_line_number_and_the_rest_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "mixed.jsonl",
        [
            {"id": "ok1", "text": "Fine"},
            '{"id": "broken", "text": "no closing brace"',
            {"text": "Who am I?"},
            {"id": "x", "body": "wrong field"},
            '["an", "array"]',
            {"id": ["list"], "text": "bad id"},
            {"id": "blank", "text": "  \n "},
            {"id": "h", "html": "<p> </p>"},
            {"id": "ok2", "text": "Also fine"},
        ],
    )
    items = list(read_inputs([path]))
    docs = [i.id for i in items if isinstance(i, Document)]
    assert docs == ["ok1", "ok2"]
    skipped = {i.path: i.reason for i in items if isinstance(i, Skipped)}
    assert (
        skipped[f"{path}:2"].startswith("invalid JSON: ")
        and "each line must be one JSON object" in skipped[f"{path}:2"]
    )
    assert "missing 'id'" in skipped[f"{path}:3"]
    assert "no 'text' or 'html' field" in skipped[f"{path}:4"]
    assert "JSON array, not an object" in skipped[f"{path}:5"]
    assert "'id' is a JSON array" in skipped[f"{path}:6"]
    assert skipped[f"{path}:7"] == "empty 'text'"
    assert "field 'html': no visible text" in skipped[f"{path}:8"]
    assert len(skipped) == 7


def test_invalid_utf8_skips_only_its_line_and_names_the_byte_offset(tmp_path: Path) -> None:
    good = b'{"id": "g1", "text": "caf\xc3\xa9"}\n'
    bad = b'{"id": "b1", "text": "caf\xe9"}\n'
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(good + bad + good.replace(b"g1", b"g2"))
    items = list(read_inputs([path]))
    assert [i.id for i in items if isinstance(i, Document)] == ["g1", "g2"]
    [skip] = [i for i in items if isinstance(i, Skipped)]
    assert skip.path == f"{path}:2"
    offset = len(good) + bad.index(b"\xe9")
    assert skip.reason.startswith(f"undecodable bytes at offset {offset}: not UTF-8")


def test_a_line_over_the_size_limit_is_skipped_alone(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "big.jsonl",
        [{"id": "s", "text": "short"}, {"id": "l", "text": "x" * 500}, {"id": "t", "text": "tail"}],
    )
    items = list(read_inputs([path], IngestConfig(max_doc_bytes=200)))
    assert [i.id for i in items if isinstance(i, Document)] == ["s", "t"]
    [skip] = [i for i in items if isinstance(i, Skipped)]
    assert skip.path == f"{path}:2"
    assert skip.reason.startswith("line is ") and "over the 200 bytes limit" in skip.reason
    assert "IngestConfig.max_doc_bytes" in skip.reason


def test_a_repeated_id_is_a_duplicate_naming_the_first_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dups.jsonl",
        [{"id": "same", "text": "one"}, {"id": "other", "text": "two"}, {"id": "same", "text": "three"}],
    )
    items = list(read_inputs([path]))
    assert [i.text for i in items if isinstance(i, Document)] == ["one", "two"]
    [skip] = [i for i in items if isinstance(i, Skipped)]
    assert skip.path == f"{path}:3"
    assert skip.reason == (
        f"duplicate id 'same' (already read from {path}:1); rename the file or give the JSONL line another id"
    )


def test_lone_surrogates_and_nul_characters_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"id": "s", "text": "bad \\ud800 half"}\n{"id": "n", "text": "nul \\u0000 inside"}\n{"id": "k", "text": "ok"}\n',
        encoding="utf-8",
    )
    items = list(read_inputs([path]))
    assert [i.id for i in items if isinstance(i, Document)] == ["k"]
    reasons = {i.path: i.reason for i in items if isinstance(i, Skipped)}
    assert "lone surrogate \\ud800" in reasons[f"{path}:1"]
    assert "NUL" in reasons[f"{path}:2"]
