"""What a test may skip for, and what must fail it instead: ``WIRETRACE_REQUIRE``.

A test that needs something the machine may lack (the shared data beside the repo, Java and pyspark,
Debian's chromium and playwright) calls :func:`missing` with its kind and the reason. By default it
skips, saying what to install. With ``WIRETRACE_REQUIRE`` naming the kind (a comma list of ``data``,
``spark``, ``browser``, or ``all``), it fails with the same message: CI sets it, so a gate that did
not run can never leave CI green (``.ci/run``).

Every skip message starts with a tag (``[needs data]`` ...). At the end of the session
(tests/conftest.py) any skip tagged with, or naming, a required kind fails the session as well: a
test that skips on its own, without going through :func:`missing`, is caught there.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

ENV = "WIRETRACE_REQUIRE"
KINDS = ("data", "spark", "browser")
INSTALL = {
    "data": "put the shared folder (seeds/, data/) beside the repository as ../shared",
    "spark": "run `make venv` (pyspark comes with the lock) and `apt-get install -y openjdk-17-jre-headless`",
    "browser": "run `make chromium` (Debian's chromium) and `make venv` (playwright and uvicorn from the lock)",
}
# What a skip reason of each kind names, tagged or not (the end-of-session check reads them).
NAMES = {
    "data": re.compile(r"\[needs data\]|\.\./shared|shared/(data|seeds)|/seeds\b", re.IGNORECASE),
    "spark": re.compile(r"\[needs spark\]|pyspark|\bjava\b|\bspark\b", re.IGNORECASE),
    "browser": re.compile(r"\[needs browser\]|chromium|playwright|\bbrowser\b", re.IGNORECASE),
}


def required(value: str | None = None) -> frozenset[str]:
    """The kinds ``WIRETRACE_REQUIRE`` (or ``value``) names; an unknown name is a usage error."""
    raw = os.environ.get(ENV, "") if value is None else value
    names = {n.strip().lower() for n in raw.split(",") if n.strip()}
    if "all" in names:
        return frozenset(KINDS)
    unknown = sorted(names - set(KINDS))
    if unknown:
        raise pytest.UsageError(
            f"{ENV}={raw!r} names {', '.join(unknown)}: give a comma list of {', '.join(KINDS)} or all"
        )
    return frozenset(names)


def tag(kind: str) -> str:
    return f"[needs {kind}]"


def missing(kind: str, why: str, *, module_level: bool = False) -> NoReturn:
    """Skip for ``why`` (tagged with ``kind``), or fail when ``WIRETRACE_REQUIRE`` names ``kind``."""
    __tracebackhide__ = True  # the skip or failure is reported at the test's line, not here
    if kind not in KINDS:
        raise ValueError(f"unknown requirement kind {kind!r}: one of {', '.join(KINDS)}")
    message = f"{tag(kind)} {why} (to run it: {INSTALL[kind]})"
    if kind in required():
        pytest.fail(f"{message}; {ENV}={os.environ.get(ENV, '')} makes this a failure, not a skip", pytrace=False)
    pytest.skip(message, allow_module_level=module_level)


def need_path(path: Path, why: str = "real-data tests need ../shared beside the repo") -> Path:
    """``path`` if it exists; otherwise a data skip (or failure) naming it."""
    __tracebackhide__ = True
    if not path.exists():
        missing("data", f"{path} not found: {why}")
    return path


def need_module(kind: str, name: str, why: str, *, module_level: bool = False) -> ModuleType:
    """The imported module ``name``; otherwise a skip (or failure) of ``kind`` saying ``why``."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(name)
    except ImportError as err:
        missing(kind, f"{why} ({err})", module_level=module_level)


def required_kinds_named(reason: str, kinds: frozenset[str]) -> list[str]:
    """The kinds among ``kinds`` that a skip reason is about."""
    return [k for k in KINDS if k in kinds and NAMES[k].search(reason)]
