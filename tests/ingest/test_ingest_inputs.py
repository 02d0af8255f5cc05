"""read_inputs: walking folders, recognising files, and one clear Skipped reason per bad input."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from wiretrace.errors import ConfigError
from wiretrace.ingest import IngestConfig, read_inputs
from wiretrace.model import Document, Skipped

DEFAULT = IngestConfig()
STORY = "Council approves the new sea wall\n\nThe vote passed with a large majority on Tuesday.\n"


def _one(path: Path, config: IngestConfig = DEFAULT) -> Document | Skipped:
    [item] = list(read_inputs([path], config))
    return item


def _skip_reason(path: Path, config: IngestConfig = DEFAULT) -> str:
    item = _one(path, config)
    assert isinstance(item, Skipped), item
    assert item.path == str(path)
    return item.reason


@pytest.mark.parametrize("value", [0, -5, "10", 1.5, True, None])
def test_config_rejects_a_bad_size_limit_naming_field_and_fix(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        IngestConfig(max_doc_bytes=value)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("ingest: max_doc_bytes=") and "a positive number of bytes" in message


def test_folders_are_walked_in_sorted_order_skipping_hidden_and_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deeper").mkdir(parents=True)
    (tmp_path / ".cache").mkdir()
    for name in ["b/z.txt", "a/deeper/m.htm", "a/k.TXT", "top.txt", ".hidden.txt", ".cache/x.txt"]:
        (tmp_path / name).write_text(
            STORY if not name.endswith("htm") else f"<p>{STORY}</p>", encoding="utf-8"
        )
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / "data.csv").write_text("a,b", encoding="utf-8")
    items = list(read_inputs([tmp_path]))
    assert all(isinstance(i, Document) for i in items)
    assert [i.path for i in items] == [
        os.path.join(str(tmp_path), p) for p in ["a/deeper/m.htm", "a/k.TXT", "b/z.txt", "top.txt"]
    ]
    assert [i.id for i in items if isinstance(i, Document)] == ["m", "k", "z", "top"]
    assert [i.format for i in items if isinstance(i, Document)] == ["html", "text", "text", "text"]


def test_the_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text(STORY, encoding="utf-8")
    items = list(read_inputs([tmp_path, tmp_path / "one.txt", str(tmp_path) + "/./one.txt"]))
    assert [i.id for i in items if isinstance(i, Document)] == ["one"] and len(items) == 1
    assert [i.id for i in read_inputs(str(tmp_path / "one.txt"))] == ["one"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \r\n\t\n", "empty file (only whitespace)"),
        ("nul.txt", b"text\x00more text", "binary file (not text): NUL byte at offset 4; "),
        (
            "controls.txt",
            bytes(range(1, 9)) * 20 + b"some words",
            "binary file (not text): 94% control characters in the first 170 bytes",
        ),
        (
            "zipped.html",
            gzip.compress(b"<p>hi</p>"),
            "binary file (not text): gzip-compressed data; gunzip it first",
        ),
        ("wide.txt", "hi".encode("utf-16"), "UTF-16 text"),
        (
            "mixed.txt",
            b"ok \x81\x8d\x9d bytes",
            "undecodable bytes at offset 3: not UTF-8 or cp1252; convert the file to UTF-8",
        ),
        (
            "notes.xyz",
            b"text",
            "unsupported file type '.xyz'; give .txt, .html/.htm, .jsonl/.jsonl.gz or .warc/.warc.gz",
        ),
        ("page.html.gz", b"text", "unsupported file type '.html.gz'"),
        ("Makefile", b"text", "unsupported file type (no suffix)"),
    ],
)
def test_each_bad_file_is_skipped_with_a_reason_naming_the_problem(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert _skip_reason(path).startswith(reason)


def test_a_missing_path_is_skipped_and_the_stream_goes_on(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(STORY, encoding="utf-8")
    items = list(read_inputs([tmp_path / "nowhere.txt", tmp_path / "real.txt"]))
    assert isinstance(items[0], Skipped) and items[0].reason == "no such file or folder; check the path"
    assert isinstance(items[1], Document) and items[1].id == "real"
    assert list(read_inputs([""])) == [Skipped("", 'empty path; give a file or a folder ("." for this one)')]


def test_a_file_over_the_size_limit_is_skipped_with_both_sizes(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("word " * 600, encoding="utf-8")
    assert _skip_reason(path, IngestConfig(max_doc_bytes=1_000)) == (
        "file is 3.0 KB, over the 1.0 KB limit for one document (IngestConfig.max_doc_bytes)"
    )
    assert isinstance(_one(path, IngestConfig(max_doc_bytes=3_000)), Document)


def test_the_default_limit_reads_in_megabytes() -> None:
    from wiretrace.ingest.decode import size_problem

    assert size_problem("file", 52_400_000, IngestConfig().max_doc_bytes) == (
        "file is 52.4 MB, over the 10.0 MB limit for one document (IngestConfig.max_doc_bytes)"
    )


def test_one_stem_in_two_folders_gives_two_documents_with_path_ids(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "story.txt"
    second = tmp_path / "b" / "story.html"
    first.write_text(STORY, encoding="utf-8")
    second.write_text(f"<p>{STORY}</p>", encoding="utf-8")
    items = list(read_inputs([tmp_path]))
    assert [(i.id, i.path) for i in items if isinstance(i, Document)] == [("a/story", str(first)), ("b/story", str(second))]


def test_seen_ids_skip_other_paths_and_let_the_same_path_through(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    again = list(read_inputs([path], seen_ids={"story": str(path)}))
    assert isinstance(again[0], Document) and again[0].id == "story"
    # another file holds the stem in the store: this one is read under its path, not refused
    [other] = list(read_inputs([path], seen_ids={"story": "archive/2020/story.txt"}))
    assert isinstance(other, Document) and other.id == "story.txt"  # "story" is taken, so is the path without suffix
    jsonl = tmp_path / "feed.jsonl"
    jsonl.write_text('{"id": "story", "text": "other"}\n{"id": "fresh", "text": "new"}\n', encoding="utf-8")
    items = list(read_inputs([jsonl], seen_ids={"story": "elsewhere.txt"}))
    assert (
        isinstance(items[0], Skipped) and items[0].path == f"{jsonl}:1" and "elsewhere.txt" in items[0].reason
    )
    assert isinstance(items[1], Document) and items[1].id == "fresh"


def test_an_unreadable_file_is_skipped(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file: permissions cannot be tested")
    path = tmp_path / "locked.txt"
    path.write_text(STORY, encoding="utf-8")
    path.chmod(0)
    assert _skip_reason(path).startswith("cannot read the file: Permission denied")
