"""``LocalExecutor.map``'s ``ahead`` (batches in flight per worker) and ``aside`` (the driver's own work
done while the workers run): neither changes the results or their order; ``aside`` runs exactly once,
before the first result is taken, whatever the number of workers and batches. And the sketch writer's
writes halve toward the end of the clean+sketch pass, its last one no larger than a batch."""

from __future__ import annotations

import os
import time

import pytest

from wiretrace.engine.executor import Env, LocalExecutor
from wiretrace.engine.local import SKETCH_WRITE


def _square(shared: int, batch: list[int], env: Env) -> list[tuple[int, int]]:
    time.sleep(0.01 * (batch[0] % 3))  # batches finish out of order
    return [(x, x * x + shared) for x in batch]


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("ahead", [0, 1, 2, 4])
@pytest.mark.parametrize("n", [0, 1, 2, 9])
def test_ahead_and_aside_keep_the_results(workers: int, ahead: int, n: int) -> None:
    batches = [[i, i + 100] for i in range(n)]
    calls: list[int] = []
    taken: list[int] = []

    def aside() -> None:
        calls.append(len(taken))

    with LocalExecutor(workers) as ex:
        for r in ex.map(_square, iter(batches), 7, ahead=ahead, aside=aside):
            taken.append(r[0][0])
            assert r == _square(7, [r[0][0], r[0][0] + 100], Env(None))  # type: ignore[arg-type]
    assert taken == list(range(n))
    assert calls == [0]  # once, before the first result


def _pid(shared: None, batch: int, env: Env) -> int:
    return os.getpid()


def test_aside_runs_here_while_the_workers_run() -> None:
    seen: list[int] = []
    with LocalExecutor(2) as ex:
        pids = list(ex.map(_pid, range(6), None, ahead=0, aside=lambda: seen.append(os.getpid())))
    assert seen == [os.getpid()]
    assert os.getpid() not in pids


def test_the_sketch_writes_halve_to_the_last_batch() -> None:
    from wiretrace.engine import local

    class Fake:
        def __init__(self) -> None:
            self.writes: list[int] = []

    fake = Fake()
    writer = local._SketchWriter.__new__(local._SketchWriter)
    writer.sketches, writer.rows, writer.vectors, writer.summaries, writer.first = [], [], {}, [], None

    def flush() -> None:
        if writer.sketches:
            fake.writes.append(len(writer.sketches))
        writer.sketches = []

    writer.flush = flush  # type: ignore[method-assign]
    total, batch, back = 2225 + 3 * SKETCH_WRITE, 140, 0
    while back < total:
        n = min(batch, total - back)
        back += n
        writer.add([None] * n, {}, [], total - back)  # type: ignore[list-item]
    writer.flush()
    assert sum(fake.writes) == total
    assert all(w <= SKETCH_WRITE + batch for w in fake.writes)
    assert fake.writes[-1] <= batch
    assert len(fake.writes) <= total // SKETCH_WRITE + 1 + 8
