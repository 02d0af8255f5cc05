"""The issue's acceptance test: the five seed pages of one wire story, end to end.

Reads ../shared/seeds (never copied into the repo). Assertions are on behaviour a user sees in
report.json: one story, the relation of each page to the wire text, the removed noise, the origin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import SEEDS, need

import wiretrace
from wiretrace.report import write_report


def _id(prefix: str, ids: list[str]) -> str:
    return next(i for i in ids if i.startswith(prefix))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    need(SEEDS)
    out = tmp_path_factory.mktemp("seeds")
    rep = wiretrace.run([SEEDS], out=out)
    json_path, html_path = write_report(rep, out, with_text=True)
    assert html_path is not None and html_path.stat().st_size > 1000
    return json.loads(Path(json_path).read_text(encoding="utf-8"))


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
    assert p["relation"] in ("duplicate", "near_duplicate")
    assert p["scores"]["a_covered"] > 0.9 and p["scores"]["b_covered"] > 0.9
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
    assert sum(q["kind"] == "paraphrase" for q in p["passages"]) >= 5


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
    assert origin[:3] in ("001", "003", "000")
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
