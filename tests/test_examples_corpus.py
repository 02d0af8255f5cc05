"""The sample corpus end to end, checked against the table in examples/README.md (its contract)."""

from __future__ import annotations

import re

import pytest
from tests.conftest import CORPUS

README = CORPUS.parent / "README.md"
ACCEPT = {
    "duplicate": {"duplicate", "near_duplicate"},
    "near_duplicate": {"near_duplicate", "duplicate"},
    "contains": {"contains"},
    "paraphrase": {"paraphrase"},
    "derivative": {"derivative"},
    "same_story": {"same_story"},
}


def _table() -> list[dict[str, str]]:
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `([^`]+)`[^|]*\| (\w+|—) \| [^|]+\| [^|]+\| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rel = re.sub(r"[*()]|\s.*", "", m.group(3).strip()) or m.group(3)
            rows.append({"id": m.group(1), "story": m.group(2), "relation": rel, "noise": m.group(4)})
    return rows


ROWS = _table()


@pytest.fixture(scope="module")
def report(demo_report: dict) -> dict:
    return demo_report  # tests/conftest.py: one run, shared with the schema test


def test_table_parsed() -> None:
    assert len(ROWS) == 20


def test_every_document_read(report: dict) -> None:
    assert {d["id"] for d in report["documents"]} == {r["id"] for r in ROWS}
    assert report["skipped"] == []


def test_stories_and_origins(report: dict) -> None:
    by_story: dict[str, set[str]] = {}
    for r in ROWS:
        if r["story"] != "—":
            by_story.setdefault(r["story"], set()).add(r["id"])
    got = {frozenset(s["documents"]): s for s in report["stories"]}
    for name, members in by_story.items():
        assert frozenset(members) in got, f"story {name} not found as one cluster"
        origin = next(r["id"] for r in ROWS if r["story"] == name and r["relation"] == "origin")
        assert got[frozenset(members)]["origin"] == origin
    singles = [r["id"] for r in ROWS if r["story"] == "—"]
    for s in singles:
        assert frozenset([s]) in got, f"{s} must stay alone"


@pytest.mark.parametrize("row", [r for r in ROWS if r["relation"] in ACCEPT], ids=lambda r: r["id"][:40])
def test_relation_to_origin(report: dict, row: dict[str, str]) -> None:
    origin = next(r["id"] for r in ROWS if r["story"] == row["story"] and r["relation"] == "origin")
    pair = next((p for p in report["pairs"] if {p["a"], p["b"]} == {row["id"], origin}), None)
    assert pair is not None, f"{row['id']} has no pair with its origin {origin}"
    assert pair["relation"] in ACCEPT[row["relation"]]
    if pair["relation"] in ("contains", "derivative"):
        assert pair["a"] == row["id"], "the container / derivative is side a"


NOISE = ("title_repeat", "caption", "teasers", "comments", "other_article", "appeal")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"][:40])
def test_listed_noise_is_removed(report: dict, row: dict[str, str]) -> None:
    doc = next(d for d in report["documents"] if d["id"] == row["id"])
    kinds = {r["kind"] for r in doc["removed"]}
    for k in NOISE:
        if re.search(rf"\b{k}\b", row["noise"]):
            assert k in kinds, f"{row['id']}: {k} not marked (got {sorted(kinds)})"
