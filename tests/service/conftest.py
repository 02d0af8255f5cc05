"""The sample corpus's store, built once per test session and shared by the API and browser tests.

Tests that write get a copy (``fresh_store``), so the shared store stays as ``wiretrace run`` left it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.conftest import CORPUS

STORE_FILE = "wiretrace.sqlite"


def corpus_store_dir(factory: pytest.TempPathFactory) -> Path:
    """Build (or reuse, within this session) the store of ``wiretrace run examples/corpus``."""
    import wiretrace

    folder = factory.getbasetemp() / "corpus-store"
    if not (folder / STORE_FILE).exists():
        wiretrace.run([CORPUS], out=folder)
    return folder


def copy_store(src: Path, dst: Path) -> Path:
    """A consistent copy of a store (SQLite's backup API: safe while others have it open)."""
    dst.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(src / STORE_FILE)) as a, closing(sqlite3.connect(dst / STORE_FILE)) as b:
        a.backup(b)
    return dst


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus_store_dir(tmp_path_factory)


@pytest.fixture
def fresh_store(corpus_store: Path, tmp_path: Path) -> Path:
    return copy_store(corpus_store, tmp_path / "store")
