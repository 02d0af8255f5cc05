"""tests/floors.toml: it parses, every floor is a number with its comment (what it measures, the value
last measured, the commit and date), sits at or below what was measured, and is asserted by some test
(no orphans, no floor asked for that the file lacks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.floors import FLOORS_FILE, floor, floors

TESTS = Path(__file__).resolve().parent
USE = re.compile(r"""\bfloor\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")
MEASURED = re.compile(r"Last measured (\d+(?:\.\d+)?) at ([0-9a-f]{7,40}) \((\d{4}-\d{2}-\d{2})\)")


def _declared() -> set[tuple[str, str]]:
    return {(section, name) for section, values in floors().items() for name in values}


def _used() -> set[tuple[str, str]]:
    used: set[tuple[str, str]] = set()
    for path in TESTS.rglob("*.py"):
        if path.name not in ("floors.py", "test_floors.py"):
            used |= set(USE.findall(path.read_text(encoding="utf-8")))
    return used


def _comments() -> dict[tuple[str, str], str]:
    """The comment lines right above each floor, joined."""
    out: dict[tuple[str, str], str] = {}
    section, above = "", []
    for line in FLOORS_FILE.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"\[(\w+)\]", line.strip()):
            section, above = m.group(1), []
        elif line.startswith("#"):
            above.append(line.lstrip("# "))
        elif m := re.match(r"(\w+)\s*=", line):
            out[(section, m.group(1))] = " ".join(above)
            above = []
        else:
            above = []
    return out


def test_every_floor_is_used_and_every_used_floor_exists() -> None:
    declared, used = _declared(), _used()
    assert declared, f"{FLOORS_FILE} holds no floor"
    assert declared - used == set(), f"floors no test asserts (orphans): {sorted(declared - used)}"
    assert used - declared == set(), f"floors asked for but missing from {FLOORS_FILE}: {sorted(used - declared)}"


def test_each_floor_says_what_it_measures_and_when_it_was_measured() -> None:
    comments = _comments()
    assert set(comments) == _declared()
    for (section, name), text in comments.items():
        m = MEASURED.search(text)
        assert m, f"[{section}] {name}: its comment lacks 'Last measured VALUE at COMMIT (YYYY-MM-DD)'"
        assert len(text) > len(m.group(0)) + 20, f"[{section}] {name}: say what it measures"
        assert floor(section, name) <= float(m.group(1)), f"[{section}] {name} sits above its last measured value"


def test_a_floor_missing_from_the_file_is_named() -> None:
    with pytest.raises(KeyError, match=r"no floor \[eval_gate\] nope in .*floors.toml"):
        floor("eval_gate", "nope")
