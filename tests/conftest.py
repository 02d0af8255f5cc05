"""Shared fixtures: where the real data lives (../shared beside the repo), skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
CORPUS = REPO / "examples" / "corpus"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not found: real-data tests need ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return need(SEEDS)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return need(DATA)
