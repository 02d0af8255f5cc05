"""The semantic pass's screen (``screen.settled_cells``) alone, on the calls a real run makes: an older
version against this tree, the same calls, in one script run.

The relate stage runs once (default mode) on the first ``--limit`` documents of a corpus, with
``settled_cells`` recorded (its profiles as plain fields, its cells, bounds and answers); then each
version replays every recorded call in a fresh subprocess (the older one with ``--before SRC`` first on
``PYTHONPATH``), twice, and prints the CPU seconds of each pass, whether every answer equals the
recorded one, and whether ``feature_matrix`` gives the very same numbers on the first 200 calls' rows
and columns in both versions. ``--rounds`` alternates the versions that many times (a shared machine's
load moves between runs). Each profile is a fresh object per call here (a real run keeps them across
pairs), so a version that caches work on the profile is measured cold.

    .venv/bin/python bench/screen_replay.py --before /work/s17_base/src --corpus bbc --limit 900
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("tokens", "grams", "content", "numbers", "names", "n_words", "chars", "stems", "negated")


def record(jsonl: Path, out: Path) -> int:
    import stages
    import wiretrace.align.semantic as sem

    calls = []
    inner = sem.settled_cells

    def plain(p):  # type: ignore[no-untyped-def]
        return tuple(getattr(p, f) for f in FIELDS)

    def recorded(pa, pb, xs, ys, top, p):  # type: ignore[no-untyped-def]
        got = inner(pa, pb, xs, ys, top, p)
        calls.append(({k: plain(v) for k, v in pa.items()}, {k: plain(v) for k, v in pb.items()}, xs.copy(), ys.copy(), top.copy(), p, got.copy()))
        return got

    sem.settled_cells = recorded
    with tempfile.TemporaryDirectory() as tmp:
        stages.run_stages(jsonl, Path(tmp) / "out", False, 0)
    out.write_bytes(pickle.dumps(calls))
    return len(calls)


def replay(calls_file: Path, features_out: Path) -> None:
    import time

    import numpy as np

    from wiretrace.align import screen
    from wiretrace.align.features import SentenceProfile

    calls = pickle.loads(calls_file.read_bytes())
    calls = [
        ({k: SentenceProfile(**dict(zip(FIELDS, v, strict=True))) for k, v in pa.items()},
         {k: SentenceProfile(**dict(zip(FIELDS, v, strict=True))) for k, v in pb.items()}, xs, ys, top, p, want)
        for pa, pb, xs, ys, top, p, want in calls
    ]
    cpu = []
    same = 0
    for _ in range(2):
        c0 = time.process_time()
        got = [screen.settled_cells(pa, pb, xs, ys, top, p) for pa, pb, xs, ys, top, p, _ in calls]
        cpu.append(time.process_time() - c0)
        same = sum(np.array_equal(g, c[6]) for g, c in zip(got, calls, strict=True))
    feats = []
    for pa, pb, *_ in calls[:200]:
        rows, cols = sorted(pa), sorted(pb)
        cos = np.full((len(rows), len(cols)), 0.7)
        feats.append(screen.feature_matrix([pa[r] for r in rows], [pb[c] for c in cols], cos))
    features_out.write_bytes(pickle.dumps(feats))
    settled = sum(int(g.sum()) for g in got)
    print(f"{len(calls)} calls, {settled:,} of {sum(len(g) for g in got):,} cells settled; CPU s {cpu[0]:.2f} / {cpu[1]:.2f}; "
          f"answers equal to the recorded ones: {same}/{len(calls)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="an older src folder")
    ap.add_argument("--corpus", default="bbc", choices=["bbc", "both"])
    ap.add_argument("--limit", type=int, default=900, help="first N documents of the corpus")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--_replay", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._replay:
        replay(Path(args._replay[0]), Path(args._replay[1]))
        return
    import corpora

    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "docs.jsonl"
        n = corpora.write_jsonl(corpora.corpus(args.corpus)[: args.limit], jsonl)
        calls = Path(tmp) / "calls.pkl"
        print(f"recorded {record(jsonl, calls)} settled_cells calls on the first {n} {args.corpus} documents (this tree)")
        feats: dict[str, Path] = {}
        for r in range(args.rounds):
            for name, path in (("before", args.before), ("after", str(REPO / "src"))):
                env = dict(os.environ, PYTHONPATH=path)
                feats[name] = Path(tmp) / f"{name}.pkl"
                print(f"round {r + 1}, {name:6} ({path}): ", end="", flush=True)
                subprocess.run([sys.executable, __file__, "--before", args.before, "--_replay", str(calls), str(feats[name])], env=env, check=True)
        import numpy as np

        a, b = (pickle.loads(feats[n].read_bytes()) for n in ("before", "after"))
        print(f"feature_matrix identical on {len(a)} calls: {all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))}")


if __name__ == "__main__":
    main()
