"""The local engine's executor: worker processes give the same report as one process, the stage
sequence is written once, and a bad worker count is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.requirements import need_path as need

from wiretrace.engine import local as engine
from wiretrace.engine.executor import LocalExecutor, resolve_workers
from wiretrace.engine.pipeline import RunConfig, Stats, run
from wiretrace.errors import ConfigError
from wiretrace.report import report_to_json

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
CORPUS = REPO / "examples" / "corpus"


def _report(path: Path, workers: int, tmp: Path) -> tuple[str, Stats]:
    stats = Stats()
    # Small batches, so that every stage has several and the workers really share them.
    report = run(path, RunConfig(workers=workers, batch=3), out=tmp / f"w{workers}", stats=stats)
    return json.dumps(report_to_json(report), sort_keys=True), stats


@pytest.mark.parametrize("corpus", ["seeds", "examples"])
def test_workers_give_the_report_of_one_process(corpus: str, tmp_path: Path) -> None:
    path = SEEDS if corpus == "seeds" else CORPUS
    need(path)
    one, s1 = _report(path, 1, tmp_path)
    assert s1.workers == 1
    for w in (2, 3):
        many, sw = _report(path, w, tmp_path)
        assert sw.workers == w
        assert many == one, f"{w} workers gave another report than one process on {corpus}"
    assert json.loads(one)["pairs"], "the corpus should relate some pairs"


def test_workers_count_cpu_and_embeddings(tmp_path: Path) -> None:
    need(SEEDS)
    _, one = _report(SEEDS, 1, tmp_path)
    _, two = _report(SEEDS, 2, tmp_path)
    # The workers' CPU is counted in the stages they ran (reported back with each batch).
    assert two.cpu_s["clean"] > 0 and two.cpu_s["relate"] > 0
    # Every sentence is embedded at least once either way; two workers whose batches share a document
    # may each embed its sentences within a run (the store keeps one copy: see the next test).
    assert two.embedded >= one.embedded > 0


def test_worker_vectors_reach_the_store(tmp_path: Path) -> None:
    """Sentences the workers embedded are kept in the store, so a second run embeds none of them."""
    need(SEEDS)
    out = tmp_path / "store"
    first = Stats()
    run(SEEDS, RunConfig(workers=2, batch=2), out=out, stats=first)
    assert first.embedded > 0
    from wiretrace.engine import store as st
    s = st.Store(out)
    try:
        assert 0 < len(s.embedding_cache()) <= first.embedded  # one copy of each distinct sentence
        s.set_stage(s.all_ids(), st.SKETCHED)  # relate everything again from the stored sketches
        with s.db:
            s.db.execute("DELETE FROM pairs")
        again = engine.finish(s, RunConfig(workers=2, batch=2))
    finally:
        s.close()
    assert again.embedded == 0


def test_stage_sequence_is_written_once() -> None:
    assert engine.SEQUENCE[0] == "ingest"
    assert list(engine.LOCAL) == list(engine.SEQUENCE[1:])
    from wiretrace.engine.spark import SparkStages

    for name in engine.SEQUENCE:
        assert callable(getattr(SparkStages, name)), f"the Spark engine has no stage {name!r}"


def test_bad_worker_counts_are_refused() -> None:
    with pytest.raises(ConfigError, match="workers"):
        RunConfig(workers=-1)
    with pytest.raises(ConfigError, match="workers"):
        resolve_workers(-2)
    assert resolve_workers(0) >= 1
    assert LocalExecutor(3).workers == 3


def test_executor_keeps_order_and_runs_in_other_processes() -> None:
    with LocalExecutor(2) as ex:
        out = list(ex.map(_pid_and_square, ([i] for i in range(12)), shared=10))
    assert [x for x, _ in out] == [10 + i * i for i in range(12)]
    import os

    assert os.getpid() not in {p for _, p in out}
    with LocalExecutor(1) as ex:
        here = list(ex.map(_pid_and_square, [[3]], shared=0))
    assert here == [(9, os.getpid())]


def _pid_and_square(shared: int, batch: list[int], env: object) -> tuple[int, int]:
    import os

    return shared + batch[0] * batch[0], os.getpid()


def test_cli_workers_option(tmp_path: Path) -> None:
    wt = REPO / ".venv" / "bin" / "wiretrace"
    exe = [str(wt)] if wt.exists() else [sys.executable, "-m", "wiretrace"]
    r = subprocess.run([*exe, "run", str(CORPUS), "--out", str(tmp_path / "o"), "--workers", "2", "--no-html", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["workers"] == 2
    bad = subprocess.run([*exe, "run", str(CORPUS), "--out", str(tmp_path / "p"), "--workers", "-1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "workers" in (bad.stderr + bad.stdout)


def test_service_writer_runs_the_engine_with_workers_from_threads(tmp_path: Path) -> None:
    """The HTTP service's writer goes through ``engine.finish``; from a process running threads its
    workers start from the fork server, and the stories equal a ``run`` of the same documents."""
    import threading

    from wiretrace.engine.writer import Writer
    from wiretrace.ingest import IngestConfig, read_inputs
    from wiretrace.model import Document

    need(SEEDS)
    docs = [d for d in read_inputs([str(SEEDS)], IngestConfig()) if isinstance(d, Document)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # a second thread, as the service has
    other.start()
    config = RunConfig(workers=2, batch=2)
    w = Writer(tmp_path / "svc", config)
    try:
        outcome = w.submit(list(enumerate(docs)))
        assert outcome.failed is None, outcome.failed
        served = sorted(tuple(s.documents) for s in w.store.stories())
        assert w.executor.worker_cpu > 0, "the batches should have run in worker processes"
    finally:
        w.close()
        stop.set()
    ran = run(SEEDS, RunConfig(workers=1), out=tmp_path / "run")
    assert served == sorted(tuple(s.documents) for s in ran.stories)
    assert w.executor.workers == 2
