"""Peak memory and CPU of `wiretrace run` on one 9 MB one-line document, before vs after, in one run.

The document is generated (random words from a generated vocabulary, commas but no sentence end, one
line): the worst shape for the stages that work per word, per block and per sentence. "Before" is the
engine at commit 9737da6 (`git archive 9737da6 src`, put first on PYTHONPATH); "after" is this
checkout's src. Each run is a child process; its peak resident memory (ru_maxrss) and CPU seconds
(user + system) come from wait4. Goal: peak under 500 MB for any single document.

    .venv/bin/python bench/big_doc.py [--mb 9] [--before 9737da6] [--modes lexical,semantic]

The semantic mode needs the static token table (built once, ~35 CPU-seconds, cached under
~/.cache/wiretrace); the first semantic run builds it, so the bench warms it before measuring.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from versions import cli_command  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def make_document(path: Path, megabytes: float, seed: int = 7) -> int:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    while size < target:
        word = rng.choice(vocab) + ("," if rng.random() < 0.05 else "")
        parts.append(word)
        size += len(word) + 1
    path.write_text(" ".join(parts) + "\n", encoding="utf-8")
    return path.stat().st_size


def export_src(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], check=True, capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    tar = into / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into / "src"


def measure(src: Path, doc: Path, out: Path, mode: str) -> tuple[float, float, float, int]:
    """(peak MB, CPU s, wall s, exit code) of one `wiretrace run` child on ``src``."""
    args = [*cli_command("run", str(doc), "--out", str(out)),
            "--no-html", "-q"] + (["--lexical-only"] if mode == "lexical" else [])
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and child.stderr is not None:
        sys.stderr.write(child.stderr.read().decode(errors="replace")[-2000:])
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, wall, code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=9.0)
    ap.add_argument("--before", default="9737da6")
    ap.add_argument("--modes", default="lexical,semantic")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiretrace-bigdoc-") as tmp:
        root = Path(tmp)
        doc = root / "big.txt"
        size = make_document(doc, a.mb)
        before = export_src(a.before, root / "before")
        after = REPO / "src"
        modes = a.modes.split(",")
        if "semantic" in modes:  # build (or find) the static token table outside the measured runs
            subprocess.run([sys.executable, "-c", "from wiretrace.embed.static import StaticEmbedder; StaticEmbedder().table"],
                           env={**os.environ, "PYTHONPATH": str(after), "HF_HUB_OFFLINE": "1"}, check=True)
        print(f"one document, {size / 1e6:.1f} MB on one line; wiretrace run --no-html -q; peak = child ru_maxrss")
        for mode in modes:
            rows = {}
            for name, src in (("before", before), ("after", after)):
                rows[name] = measure(src, doc, root / f"out-{name}-{mode}", mode)
                peak, cpu, wall, code = rows[name]
                print(f"{mode:>8} {name:>6} ({a.before if name == 'before' else 'this checkout'}): "
                      f"peak {peak:7.0f} MB  CPU {cpu:6.1f} s  wall {wall:6.1f} s  exit {code}", flush=True)
            (pb, cb, _, _), (pa, ca, _, _) = rows["before"], rows["after"]
            print(f"{mode:>8} after/before: peak x{pa / pb:.2f}, CPU x{ca / cb:.2f}; "
                  f"goal peak < 500 MB: {'met' if pa < 500 else 'NOT met'}")


if __name__ == "__main__":
    main()
