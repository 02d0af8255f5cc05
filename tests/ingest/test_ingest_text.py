"""Plain-text inputs: the seed pages, titles and dates, and exact round trips of the raw text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.requirements import need_path

from wiretrace.ingest import read_inputs
from wiretrace.ingest.text import guess_published, guess_title
from wiretrace.model import Document, Skipped

SHARED = (Path(__file__).resolve().parents[2] / "../shared").resolve()
SEEDS = SHARED / "seeds"


def _documents(items: list[Document | Skipped]) -> list[Document]:
    assert all(isinstance(i, Document) for i in items), [i for i in items if isinstance(i, Skipped)]
    return [i for i in items if isinstance(i, Document)]


def test_seeds_become_five_text_documents_with_their_exact_text() -> None:
    need_path(SEEDS)
    files = sorted(SEEDS.glob("*.txt"))
    docs = _documents(list(read_inputs([SEEDS])))
    assert len(docs) == 5 == len(files)
    assert [d.id for d in docs] == [f.stem for f in files]
    for doc, file in zip(docs, files, strict=True):
        assert doc.format == "text"
        assert doc.text == file.read_bytes().decode("utf-8")
        assert doc.path == str(file)
        assert doc.source is None and doc.url is None
        first_line = next(line for line in doc.text.splitlines() if line.strip())
        assert doc.title is not None and first_line.strip().endswith(doc.title)
    by_id = {d.id: d for d in docs}
    dated = by_id["003_3dceb87ed35c7edd"]
    assert dated.published == "2022-09-19"
    # its first line is "date 2022-09-19 <headline>": the stamp is not part of the title
    assert "2022" not in (dated.title or "") and not (dated.title or "").startswith("date")
    assert dated.title == by_id["000_f56fe64bd9364f9e"].title  # the same wire headline


@pytest.mark.parametrize(
    ("text", "title", "published"),
    [
        (
            "date 2021-03-04 Lanterns return to the harbour\n\nBody.",
            "Lanterns return to the harbour",
            "2021-03-04",
        ),
        (
            "Published: Sept. 9, 2020 | Ferry timetable changes\nBody.",
            "Ferry timetable changes",
            "2020-09-09",
        ),
        (
            "\n\n  Tide tables for spring  \nUpdated 14 March 2019\nBody.",
            "Tide tables for spring",
            "2019-03-14",
        ),
        (
            "2018-07-01\nOnly the date stands on the first line\nBody.",
            "Only the date stands on the first line",
            "2018-07-01",
        ),
        ("No date anywhere near the top\nBody of it.", "No date anywhere near the top", None),
        (
            "Impossible day 2022-02-30 in the headline\nBody.",
            "Impossible day 2022-02-30 in the headline",
            None,
        ),
        ("x" * 201 + "\nBody.", None, None),
        ("One\nTwo\nThree\nFour\nFive\nJanuary 5, 2020 is too far down", "One", None),
    ],
)
def test_title_and_date_are_read_from_the_top_lines(
    text: str, title: str | None, published: str | None
) -> None:
    assert guess_title(text) == title
    assert guess_published(text) == published


def test_raw_text_is_kept_byte_for_byte(tmp_path: Path) -> None:
    raw = "Harbour news\r\n\r\nTwo  spaces,\ta tab\r\nand a trailing space \r\n"
    (tmp_path / "crlf.txt").write_bytes(raw.encode("utf-8"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "Caf\u00e9 owners meet\n".encode())
    (tmp_path / "legacy.txt").write_bytes("Caf\u00e9 \u201cquoted\u201d \u20ac5\n".encode("cp1252"))
    docs = {d.id: d for d in _documents(list(read_inputs([tmp_path])))}
    assert docs["crlf"].text == raw and docs["crlf"].encoding == "utf-8"
    assert docs["bom"].text == "Caf\u00e9 owners meet\n" and docs["bom"].encoding == "utf-8-sig"
    assert (
        docs["legacy"].text == "Caf\u00e9 \u201cquoted\u201d \u20ac5\n"
        and docs["legacy"].encoding == "cp1252"
    )


# Text a person could have saved: no C0 controls but tab, newline, carriage return and form feed.
_TEXTLIKE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 12, 13)] + ["\x7f"],
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(_TEXTLIKE, min_size=1, max_size=300))
def test_any_text_file_round_trips_exactly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(text.encode("utf-8"))
    [item] = list(read_inputs([path]))
    if not text.strip():
        assert isinstance(item, Skipped) and item.reason.startswith("empty file")
    else:
        assert isinstance(item, Document)
        assert item.text == text.removeprefix("\ufeff")
        assert item.title is None or item.title in item.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_give_a_document_or_a_reason_never_an_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    [item] = list(read_inputs([path]))
    if isinstance(item, Skipped):
        assert item.path == str(path) and item.reason
    else:
        assert item.text.strip()
        assert item.text == data.decode(
            item.encoding.removesuffix("-replace"), errors="replace"
        ).removeprefix("\ufeff")
