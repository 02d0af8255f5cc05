"""The report's JSON Schema (src/wiretrace/report/schema.json) against real reports: the demo's
(examples/corpus) and the seeds' (../shared/seeds), from the session's one run of each; a template pair
from ``compare``; and reports broken on purpose, which must fail."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from tests.conftest import REPO
from tests.test_template import RESULTS_A, RESULTS_B

from wiretrace.engine.pipeline import compare
from wiretrace.model import EdgeDirection, Format, NoiseKind, PassageKind, Relation
from wiretrace.report.codecs import pair_to_json
from wiretrace.report.schema import schema

SCHEMA_FILE = REPO / "src" / "wiretrace" / "report" / "schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def _errors(validator: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_the_packaged_schema_is_the_file_and_draft_2020_12() -> None:
    assert schema() == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema()["properties"]["schema"] == {"const": "wiretrace.report/1"}


def test_the_enums_are_the_models(validator: jsonschema.Draft202012Validator) -> None:
    defs = schema()["$defs"]
    assert defs["relation"]["enum"] == [r.value for r in Relation]
    assert "template" in defs["relation"]["enum"]
    assert defs["passage_kind"]["enum"] == [k.value for k in PassageKind]
    assert defs["direction"]["enum"] == ["a<-b", "a->b", "none"]
    assert defs["edge_direction"]["enum"] == [d.value for d in EdgeDirection]
    assert defs["noise_kind"]["enum"] == [k.value for k in NoiseKind]
    assert defs["format"]["enum"] == [f.value for f in Format]


def test_the_demo_report_is_valid(validator: jsonschema.Draft202012Validator, demo_report: dict) -> None:
    assert _errors(validator, demo_report) == []
    assert demo_report["pairs"] and all("text" in d for d in demo_report["documents"])


def test_the_seeds_report_is_valid(validator: jsonschema.Draft202012Validator, seeds_report: dict) -> None:
    assert _errors(validator, seeds_report) == []
    assert len(seeds_report["documents"]) == 5


def test_a_report_without_text_is_valid(validator: jsonschema.Draft202012Validator, demo_report: dict) -> None:
    bare = copy.deepcopy(demo_report)
    for d in bare["documents"]:
        del d["text"]  # `run` without --with-text
    assert _errors(validator, bare) == []


def test_a_template_pair_with_its_slots_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    pair = pair_to_json(compare(RESULTS_A, RESULTS_B))
    assert pair["relation"] == "template" and pair["slots"]
    report = {"schema": "wiretrace.report/1", "documents": [], "pairs": [pair], "stories": [], "skipped": [],
              "summary": {"documents": 0, "stories": 0, "stories_with_several_documents": 0, "pairs": 1,
                          "relations": {"template": 1}, "skipped": 0}}
    assert _errors(validator, report) == []
    report["pairs"][0]["relation"] = "derivative"  # slots belong to template pairs only
    assert any("'template' was expected" in e for e in _errors(validator, report))


def _broken(report: dict, how: str) -> dict:
    bad = copy.deepcopy(report)
    pair, doc, story = bad["pairs"][0], bad["documents"][0], bad["stories"][0]
    if how == "relation":
        pair["relation"] = "copy"
    elif how == "missing key":
        del pair["direction"]
    elif how == "extra key":
        doc["language"] = "en"
    elif how == "passage kind":
        pair["passages"][0]["kind"] = "summary"
    elif how == "negative offset":
        doc["body"][0] = [-1, doc["body"][0][1]]
    elif how == "offset triple":
        pair["passages"][0]["a"] = [0, 5, 9]
    elif how == "float offset":
        doc["body"][0] = [0.5, doc["body"][0][1]]
    elif how == "noise kind":
        doc["removed"] = [{"start": 0, "end": 3, "kind": "advert"}]
    elif how == "edge direction":
        story["edges"][0]["direction"] = "a<-b"
    elif how == "schema version":
        bad["schema"] = "wiretrace.report/2"
    elif how == "date":
        doc["published"] = "19 September 2022"
    elif how == "summary relation":
        bad["summary"]["relations"]["reprint"] = 1
    elif how == "no documents key":
        del bad["documents"]
    return bad


@pytest.mark.parametrize(
    ("how", "where"),
    [
        ("relation", "pairs/0/relation"), ("missing key", "pairs/0"), ("extra key", "documents/0"),
        ("passage kind", "pairs/0/passages/0/kind"), ("negative offset", "documents/0/body/0/0"),
        ("offset triple", "pairs/0/passages/0/a"), ("float offset", "documents/0/body/0/0"),
        ("noise kind", "documents/0/removed/0/kind"), ("edge direction", "stories/0/edges/0/direction"),
        ("schema version", "schema"), ("date", "documents/0/published"), ("summary relation", "summary/relations"),
        ("no documents key", ""),
    ],
)
def test_a_broken_report_fails(validator: jsonschema.Draft202012Validator, seeds_report: dict, how: str, where: str) -> None:
    errors = _errors(validator, _broken(seeds_report, how))
    assert errors, f"{how}: the schema accepted it"
    assert all(e.startswith(f"{where}: ") for e in errors), errors
