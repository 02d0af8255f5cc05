"""The story consolidation alone, an earlier version against this tree's: the same headline and summary of
every story of a finished store, and the CPU seconds of each.

Every story of a store a whole ``wiretrace run`` left is traced once here (this tree's ``trace_story``,
one process, one BLAS thread as the trace's workers run it) only to collect the arguments it passes to
``consolidate`` (its ranked members, their documents and cleaning, the canonical document, the fallback
title); then the earlier ``consolidate`` (``--before SRC``: that tree's ``trace/consolidate.py``, loaded
beside this tree's other modules, which it imports) and this tree's are each run on all of them, the
sentence cache emptied before each, and every result compared (headline, its source, every summary
line: document, span, carriers, score). The store is copied first and only read.

    .venv/bin/python bench/consolidate_same.py --store /tmp/s16/lex/wiretrace.sqlite --lexical --before /work/s16_base/src
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from wiretrace.align import AlignConfig
from wiretrace.engine import local
from wiretrace.engine import store as st
from wiretrace.stages import RunConfig, trace_stories
from wiretrace.text import tokens
from wiretrace.trace import consolidate as this
from wiretrace.trace import provenance


def collect(folder: Path, lexical: bool) -> list[tuple[Any, ...]]:
    """The arguments of every ``consolidate`` call the trace of the store's stories makes."""
    store = st.Store(folder, readonly=True)
    members: dict[str, list[str]] = defaultdict(list)
    for d, s in store.db.execute("SELECT doc_id, story FROM assignments"):
        members[s].append(d)
    group = [(s, sorted(m)) for s, m in sorted(members.items())]
    calls: list[tuple[Any, ...]] = []
    real = provenance.consolidate

    def kept(*a: Any) -> Any:
        calls.append(a)
        return real(*a)

    provenance.consolidate = kept  # type: ignore[assignment]
    try:
        config = RunConfig(align=AlignConfig(semantic=not lexical), workers=1)
        for i in range(0, len(group), 500):
            trace_stories(local.trace_inputs(store, group[i : i + 500]), config, None)  # type: ignore[arg-type]
    finally:
        provenance.consolidate = real
        store.close()
    return calls


def timed(fn: Any, calls: list[tuple[Any, ...]]) -> tuple[list[Any], float]:
    tokens._sentences.cache_clear()
    tokens._wrap_width_cached.cache_clear()
    t = time.process_time()
    out = [fn(*a) for a in calls]
    return out, time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="a finished store's wiretrace.sqlite (copied)")
    ap.add_argument("--before", required=True, help="an earlier src folder")
    ap.add_argument("--lexical", action="store_true", help="the store was made with --lexical-only")
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("before_consolidate", Path(args.before) / "wiretrace/trace/consolidate.py")
    assert spec and spec.loader
    before = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = before
    spec.loader.exec_module(before)
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(limits=1, user_api="blas"):
        shutil.copy(args.store, Path(tmp) / "wiretrace.sqlite")
        calls = collect(Path(tmp), args.lexical)
    lone = sum(len(a[0][: (a[5].max_documents if a[5] else 40)]) == 1 for a in calls)
    print(f"{len(calls)} stories ({lone} of one document); load average {os.getloadavg()[0]:.1f}")
    with threadpool_limits(limits=1, user_api="blas"):
        rounds = [(name, *timed(fn, calls)) for name, fn in
                  (("before", before.consolidate), ("after", this.consolidate), ("before", before.consolidate), ("after", this.consolidate))]
    for name, _, cpu in rounds:
        print(f"{name:7s} consolidate CPU {cpu:6.2f} s")
    b = min(c for n, _, c in rounds if n == "before")
    a = min(c for n, _, c in rounds if n == "after")
    print(f"best of two: before {b:.2f} s, after {a:.2f} s, x{b / a:.2f} less CPU")
    differ = [i for i, (x, y) in enumerate(zip(rounds[0][1], rounds[1][1], strict=True)) if repr(x) != repr(y)]
    print(f"the same headline and summary for every story: {not differ}" + (f" (differ: {differ[:5]})" if differ else ""))


if __name__ == "__main__":
    main()
