"""The quality floors of tests/floors.toml: ``floor("eval_gate", "html")``."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

FLOORS_FILE = Path(__file__).with_name("floors.toml")


@cache
def floors() -> dict[str, dict[str, float]]:
    with FLOORS_FILE.open("rb") as f:
        return tomllib.load(f)


def floor(section: str, name: str) -> float:
    """The floor ``name`` of ``section``; a missing one names the file to add it to."""
    try:
        value = floors()[section][name]
    except KeyError:
        raise KeyError(f"no floor [{section}] {name} in {FLOORS_FILE}: add it there, with its comment") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"[{section}] {name} in {FLOORS_FILE} is {value!r}, not a number")
    return value
