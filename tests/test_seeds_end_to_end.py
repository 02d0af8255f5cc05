"""The issue's acceptance test: the five seed pages of one wire story, end to end.

Reads ../shared/seeds (never copied into the repo). Assertions are on behaviour a user sees in
report.json: one story, the relation of each page to the wire text, the removed noise, the origin.
"""

from __future__ import annotations

import pytest
from tests.floors import floor


def _id(prefix: str, ids: list[str]) -> str:
    return next(i for i in ids if i.startswith(prefix))


@pytest.fixture(scope="module")
def report(seeds_report: dict) -> dict:
    return seeds_report  # tests/conftest.py: one run, shared with the schema test


def _pair(report: dict, x: str, y: str) -> dict:
    for p in report["pairs"]:
        if {p["a"], p["b"]} == {x, y}:
            return p
    raise AssertionError(f"no pair between {x} and {y}: {[(p['a'], p['b'], p['relation']) for p in report['pairs']]}")


def _removed_text(doc: dict, kind: str) -> str:
    return "\n".join(doc["text"][r["start"] : r["end"]] for r in doc["removed"] if r["kind"] == kind)


def _body_text(doc: dict) -> str:
    return "\n".join(doc["text"][s:e] for s, e in doc["body"])


def test_schema_and_all_in_one_story(report: dict) -> None:
    assert report["schema"] == "wiretrace.report/1"
    ids = [d["id"] for d in report["documents"]]
    assert len(ids) == 5
    story = next(s for s in report["stories"] if len(s["documents"]) > 1)
    assert sorted(story["documents"]) == sorted(ids)


def test_wire_copies_are_duplicates(report: dict) -> None:
    ids = [d["id"] for d in report["documents"]]
    p = _pair(report, _id("001", ids), _id("003", ids))
    assert p["relation"] == "near_duplicate"
    least = floor("seeds", "wire_copy_covered")
    assert p["scores"]["a_covered"] >= least and p["scores"]["b_covered"] >= least, p["scores"]
    assert any(q["kind"] == "verbatim" for q in p["passages"])


def test_page_with_second_article_contains_wire_text(report: dict) -> None:
    ids = [d["id"] for d in report["documents"]]
    d000 = next(d for d in report["documents"] if d["id"].startswith("000"))
    p = _pair(report, _id("000", ids), _id("003", ids))
    assert p["relation"] == "contains" and p["a"].startswith("000")
    other = _removed_text(d000, "other_article")
    assert "Maginnis" in other and "AFN" in other
    assert "Maginnis" not in _body_text(d000)
    assert "Patrushev" in _body_text(d000)


def test_spun_page_is_a_paraphrase(report: dict) -> None:
    ids = [d["id"] for d in report["documents"]]
    p = _pair(report, _id("002", ids), _id("003", ids))
    assert p["relation"] == "paraphrase"
    assert sum(q["kind"] == "paraphrase" for q in p["passages"]) >= floor("seeds", "paraphrase_passages")


def test_rewrite_with_new_material_is_derivative(report: dict) -> None:
    ids = [d["id"] for d in report["documents"]]
    p = _pair(report, _id("004", ids), _id("003", ids))
    assert p["relation"] == "derivative" and p["a"].startswith("004") and p["direction"] == "a<-b"
    story = next(s for s in report["stories"] if len(s["documents"]) > 1)
    d004 = next(d for d in report["documents"] if d["id"].startswith("004"))
    added = [a for a in story["additions"] if a["document"] == d004["id"]]
    assert added, "004's new material must be among the story's additions"
    text = "\n".join(d004["text"][s:e] for s, e in added[0]["spans"])
    assert "Biden" in text
    assert "Patrushev" not in text  # the wire material it shares is not an addition


def test_noise_is_removed(report: dict) -> None:
    docs = {d["id"][:3]: d for d in report["documents"]}
    assert "donation" in _removed_text(docs["001"], "appeal")
    assert "Recommended Stories" in _removed_text(docs["003"], "teasers")
    assert "Leave a Reply" in _removed_text(docs["002"], "comments")
    # The appeal glued to the first body sentence is cut at the sentence boundary.
    body001 = _body_text(docs["001"])
    assert body001.startswith("A top Russian security official declared Monday")
    assert "difference" not in body001


def test_origin_carries_the_full_wire_text(report: dict) -> None:
    story = next(s for s in report["stories"] if len(s["documents"]) > 1)
    origin = story["origin"]
    assert origin[:3] == "003"  # the AP text under its own dateline
    docs = {d["id"]: d for d in report["documents"]}
    body = _body_text(docs[origin])
    assert "Shanghai Cooperation Organization" in body and "Nikolai Patrushev" in body
    assert story["canonical"]["document"] == origin
    assert {e["child"] for e in story["edges"]} == set(story["documents"]) - {origin}


def test_spans_are_valid(report: dict) -> None:
    for d in report["documents"]:
        spans = sorted([tuple(b) for b in d["body"]] + [(r["start"], r["end"]) for r in d["removed"]])
        for (_s1, e1), (s2, _) in zip(spans, spans[1:], strict=False):
            assert e1 <= s2
        assert all(0 <= s < e <= d["chars"] for s, e in spans)
    for p in report["pairs"]:
        da = next(d for d in report["documents"] if d["id"] == p["a"])
        db = next(d for d in report["documents"] if d["id"] == p["b"])
        for q in p["passages"]:
            assert 0 <= q["a"][0] < q["a"][1] <= da["chars"]
            assert 0 <= q["b"][0] < q["b"][1] <= db["chars"]
