"""Shared fixtures: where the real data lives (../shared beside the repo), skipped when absent, or
failed when ``WIRETRACE_REQUIRE`` names ``data`` (tests/requirements.py). The end-of-session hooks
below fail the session when any test skipped for a required kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.requirements import ENV, need_path, required, required_kinds_named

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
CORPUS = REPO / "examples" / "corpus"


def need(path: Path) -> Path:
    __tracebackhide__ = True
    return need_path(path)


def bbc_by_category(categories: tuple[str, ...], n: int) -> dict[str, list[dict]]:
    """The first ``n`` BBC News articles of each category (id, title, text), in file order; skips the test
    with a clear message where ../shared is absent."""
    out: dict[str, list[dict]] = {c: [] for c in categories}
    with need(DATA / "bbc-news" / "bbc_docs.jsonl").open(encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["category"] in out and len(out[r["category"]]) < n:
                out[r["category"]].append({"id": r["id"].replace("/", "-"), "title": r["title"], "text": r["text"]})
    return out


def bbc_with_copies(path: Path, categories: tuple[str, ...], n: int) -> Path:
    """A JSONL input at ``path``: the first ``n`` BBC News articles of each category, each followed by a
    copy under another id (equal bodies, shared anchors: stories of several members)."""
    with path.open("w", encoding="utf-8") as f:
        for rows in bbc_by_category(categories, n).values():
            for r in rows:
                f.write(json.dumps(r) + "\n")
                f.write(json.dumps({**r, "id": r["id"] + "-copy"}) + "\n")
    return path


MRPC = DATA / "mrpc" / "msr_paraphrase_train.txt"


def mrpc_pairs_by_id(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """MRPC train pairs named by their (#1 ID, #2 ID): (label, sentence 1, sentence 2), read from
    ../shared at run time (skipped, or failed under WIRETRACE_REQUIRE, where absent); every pair named must be there."""
    need_path(MRPC)
    out = {}
    for line in MRPC.read_text(encoding="utf-8-sig").splitlines()[1:]:
        label, id1, id2, a, b = line.split("\t")
        if (id1, id2) in wanted:
            out[(id1, id2)] = (label, a, b)
    assert set(out) == wanted, "an MRPC pair named here is missing from the file"
    return out


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return need(SEEDS)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return need(DATA)


def _run_report(inputs: Path, out: Path) -> dict:
    import wiretrace
    from wiretrace.report import write_report

    rep = wiretrace.run([inputs], out=out)
    path, html = write_report(rep, out, with_text=True)
    assert html is not None and html.stat().st_size > 1000
    return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """report.json (with text) of the sample corpus, examples/corpus: one run for the whole session."""
    return _run_report(CORPUS, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def seeds_report(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """report.json (with text) of the five seed pages in ../shared/seeds: one run for the whole session."""
    return _run_report(seeds_dir, tmp_path_factory.mktemp("seeds"))


# --- end of session: no skip for a required kind, however the test skipped --------------------------
_REQUIRED_SKIPS: list[str] = []  # "node (kinds): reason" of each skip about a required kind


def pytest_configure(config: pytest.Config) -> None:
    required()  # an unknown name in WIRETRACE_REQUIRE stops the run before any test
    _REQUIRED_SKIPS.clear()


def _note_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not report.skipped:
        return
    longrepr = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    kinds = required_kinds_named(reason, required())
    if kinds:
        _REQUIRED_SKIPS.append(f"{report.nodeid or '<collection>'} ({', '.join(kinds)}): {reason}")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _REQUIRED_SKIPS and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REQUIRED_SKIPS:
        terminalreporter.section(f"{ENV} not met", sep="=", red=True, bold=True)
        for line in _REQUIRED_SKIPS:
            terminalreporter.line(f"skipped although required: {line}", red=True)
        terminalreporter.line(f"{ENV}={','.join(sorted(required()))}: the session fails", red=True)
