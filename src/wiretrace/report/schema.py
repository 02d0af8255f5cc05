"""The JSON Schema (draft 2020-12) of the report contract ``wiretrace.report/1``.

``schema.json`` beside this file describes what :func:`wiretrace.report.json.report_to_json` writes:
required keys, types, the enums of :mod:`wiretrace.model` (relations, passage kinds, directions, edge
directions, noise kinds, formats) and ``[start, end)`` offsets as pairs of non-negative integers. Every
object is closed, so a new key is a visible change of the schema. tests/report/test_schema.py validates
the demo's and the seeds' reports against it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "schema.json"


@cache
def _text() -> str:
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The report's JSON Schema, parsed (a fresh copy each call: callers may change it)."""
    parsed: dict[str, Any] = json.loads(_text())
    return parsed
