"""How well wiretrace's whole pipeline finds the exact duplicates real corpora ship with, and at what cost.

For each corpus (Reuters-21578, BBC News, and both together) the records are written to a temporary
JSONL file and ``wiretrace run`` is started in a fresh child process, once in the default mode and
once with ``--lexical-only``. The child's wall time, CPU time and peak RSS come from ``os.wait4``.
Its ``report.json`` is then scored against the ground truth: every pair of records whose
whitespace-normalised texts are identical should be related as ``duplicate`` (or at least
``near_duplicate``).

A reported duplicate whose raw texts differ is counted as a false positive, with the reason shown:
wiretrace compares cleaned bodies, so two pages that differ only in a title line or in text it removes
are the same body to it (legitimate); the count of those is printed apart.

    .venv/bin/python bench/dedup_eval.py                       # all corpora, both modes
    .venv/bin/python bench/dedup_eval.py --corpus bbc --mode lexical
    .venv/bin/python bench/dedup_eval.py --corpus both --report before=K/before/report.json after=K/after/report.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
from wiretrace.text.tokens import words  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WIRETRACE = REPO / ".venv" / "bin" / "wiretrace"
RESULTS = REPO / "bench" / "results"
MODES = {"default": [], "lexical": ["--lexical-only"]}
Pair = tuple[str, str]
# A reported duplicate whose raw texts differ only where wiretrace does not compare (the title line,
# text cleaning removes) has the same body: a legitimate "duplicate", not a false one.
LEGIT = ("first line (title) only", "equal after cleaning")
KEEP_HELP = "keep each run's output folder under this folder (to re-score later with --rescore)"


def run_wiretrace(jsonl: Path, out: Path, extra: list[str], timeout: float) -> dict:
    """One ``wiretrace run`` in a fresh child: its summary, wall time, CPU time and peak RSS."""
    if not WIRETRACE.exists():
        sys.exit(f"bench: {WIRETRACE} not found; run `make venv` in {REPO} first")
    cmd = [str(WIRETRACE), "run", str(jsonl), "--out", str(out), "--no-html", "-q", "--json", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, env=env)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                _, _, usage = os.wait4(child.pid, 0)
                print(f"bench: {' '.join(cmd)} ran past {timeout:.0f} s and was stopped", file=sys.stderr)
                return {
                    "command": " ".join(cmd),
                    "timed_out": True,
                    "wall_s": round(time.perf_counter() - t0, 1),
                    "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                    "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
                    "load_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
                }
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out_text, err_text = stdout.read().decode(), stderr.read().decode()
    if child.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} exited {child.returncode}:\n{err_text[-2000:]}")
    return {
        "command": " ".join(cmd),
        "summary": json.loads(out_text.strip().splitlines()[-1]),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "load_1min": [
            round(load0, 2),
            round(os.getloadavg()[0], 2),
        ],  # before, after: other work on the machine
    }


def machine() -> dict:
    """Where and on what code the figures were taken (the wiretrace package the children import:
    PYTHONPATH=SNAPSHOT/src measures a snapshot instead of the working tree)."""
    import wiretrace

    src = Path(wiretrace.__file__).resolve().parents[1]

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout.strip()

    info = {
        "node": platform.node(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "wiretrace": str(src),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    if src == REPO / "src":
        info["commit"] = git("rev-parse", "--short", "HEAD")
        info["dirty_src"] = bool(git("status", "--porcelain", "src"))
    return info


def first_difference(a: str, b: str) -> str:
    """The first differing words of two texts, diff style: ``word 12: -"x" +"y"``."""
    wa, wb = a.split(), b.split()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag != "equal":
            left, right = " ".join(wa[i1:i2])[:60], " ".join(wb[j1:j2])[:60]
            return f'word {i1}: -"{left}" +"{right}"'
    return "no difference"


def body_text(record: dict, doc: dict | None) -> str:
    """The text wiretrace kept as the document's body (its ``body`` spans), white space folded."""
    if doc is None:
        return ""
    text = record["text"] or ""
    return corpora.normalise(" ".join(text[s:e] for s, e in doc["body"]))


def removed_differing(ra: dict, rb: dict, da: dict | None, db: dict | None) -> tuple[list[str], set[str]]:
    """The kinds and texts of the removed spans found on one side only: what cleaning made equal."""
    spans = []
    for r, d in ((ra, da), (rb, db)):
        text = r["text"] or ""
        spans.append(
            {
                (corpora.normalise(text[x["start"] : x["end"]]), x["kind"])
                for x in (d or {}).get("removed", [])
            }
        )
    texts_a, texts_b = {t for t, _ in spans[0]}, {t for t, _ in spans[1]}
    only = texts_a ^ texts_b
    return sorted({k for side in spans for t, k in side if t in only}), only


def body_words(record: dict, doc: dict | None) -> int:
    text = record["text"] or ""
    return sum(len(words(text, s, e)) for s, e in (doc or {}).get("body", []))


def _first_line(record: dict) -> tuple[str, str]:
    """(first line case-folded, the rest), white space folded."""
    first, _, rest = (record["text"] or "").strip().partition("\n")
    return corpora.normalise(first).casefold(), corpora.normalise(rest)


def why_differ(ra: dict, rb: dict, da: dict | None, db: dict | None) -> tuple[str, str]:
    """(kind, detail) for a reported duplicate whose normalised texts differ."""
    ta, tb = corpora.normalise(ra["text"] or ""), corpora.normalise(rb["text"] or "")
    detail = first_difference(ta, tb)
    (first_a, rest_a), (first_b, rest_b) = _first_line(ra), _first_line(rb)
    titles = all(
        first == corpora.normalise(r.get("title") or "").casefold()
        for first, r in ((first_a, ra), (first_b, rb))
    )
    if titles and rest_a == rest_b:
        # Only where the first line is the record's title (BBC): a Reuters body opens with its own text.
        return "first line (title) only", detail
    body_a, body_b = body_text(ra, da), body_text(rb, db)
    if body_a == body_b:
        kinds, only = removed_differing(ra, rb, da, db)
        detail = f"{detail}; the differing text was removed as {'/'.join(kinds) or '?'}"
        # A sign-off ("Reuter" / "REUTER N") removed on one side is noise; a removed line with figures
        # or several words ("Pay 31 May", a price row) is content the cleaner took out of the body.
        if all(len(t.split()) <= 2 and not any(ch.isdigit() for ch in t) for t in only):
            return "equal after cleaning", detail
        return "equal after cleaning, content lines removed", detail
    if words(body_a).tokens == words(body_b).tokens:
        # wiretrace's body hash is over case-folded words: these bodies differ only in case or punctuation
        return "body words equal (case/punctuation differ)", first_difference(body_a, body_b)
    return "bodies differ", first_difference(body_a, body_b)


def score(records: list[dict], report: dict, examples: int = 5) -> dict:
    by_id = {str(r["id"]): r for r in records}
    docs = {d["id"]: d for d in report["documents"]}
    groups = corpora.exact_duplicate_groups(records)
    truth = corpora.true_pairs(groups)
    rel: dict[Pair, str] = {}
    for p in report["pairs"]:
        a, b = p["a"], p["b"]
        rel[(a, b) if a < b else (b, a)] = p["relation"]
    dup = {k for k, r in rel.items() if r == "duplicate"}
    near = {k for k, r in rel.items() if r == "near_duplicate"}
    fps = sorted(dup - truth)
    kinds: Counter[str] = Counter()
    shown: list[dict[str, str]] = []
    for a, b in fps:
        kind, detail = why_differ(by_id[a], by_id[b], docs.get(a), docs.get(b))
        kinds[kind] += 1
        if len(shown) < examples or (
            kind not in LEGIT and sum(e["kind"] not in LEGIT for e in shown) < examples
        ):
            shown.append({"a": a, "b": b, "kind": kind, "first_difference": detail})
    missed = sorted(truth - dup)
    missed_info: list[dict] = []
    for a, b in missed:
        da, db = docs.get(a), docs.get(b)
        removed = sorted({x["kind"] for d in (da, db) for x in (d or {}).get("removed", [])})
        missed_info.append(
            {
                "a": a,
                "b": b,
                "related_as": rel.get((a, b)),
                "chars": len(by_id[a]["text"] or ""),
                "body_words": [body_words(by_id[a], da), body_words(by_id[b], db)],
                "words": len(words(by_id[a]["text"] or "")),
                "removed_kinds": removed,
            }
        )
    return {
        "documents": len(records),
        "groups": len(groups),
        "true_pairs": len(truth),
        "duplicate": len(dup),
        "near_duplicate": len(near),
        "true_in_duplicate": len(dup & truth),
        "true_in_dup_or_near": len((dup | near) & truth),
        "recall_duplicate": round(len(dup & truth) / len(truth), 4) if truth else None,
        "recall_dup_or_near": round(len((dup | near) & truth) / len(truth), 4) if truth else None,
        "false_positive_duplicates": len(fps),
        "false_positive_kinds": dict(kinds),
        "legitimate_fp": sum(kinds[k] for k in LEGIT),
        "fp_examples": shown,
        "true_pairs_related_otherwise": dict(Counter(str(rel.get(k)) for k in truth - dup)),
        "missed_body_emptied": sum(1 for m in missed_info if 0 in m["body_words"]),
        "missed": missed_info,
        "relations": report["summary"]["relations"],
    }


def table(rows: list[dict]) -> str:
    cols = [
        ("corpus", "corpus", "<"),
        ("mode", "mode", "<"),
        ("docs", "documents", ">"),
        ("true", "true_pairs", ">"),
        ("dup", "duplicate", ">"),
        ("near", "near_duplicate", ">"),
        ("R dup", "recall_duplicate", ">"),
        ("R dup|near", "recall_dup_or_near", ">"),
        ("FP dup", "false_positive_duplicates", ">"),
        ("FP legit", "legitimate_fp", ">"),
        ("wall s", "wall_s", ">"),
        ("docs/s", "docs_per_s", ">"),
        ("CPU s", "cpu_s", ">"),
        ("peak MiB", "peak_rss_mib", ">"),
    ]
    cells = [[h for h, _, _ in cols]] + [[_fmt(r.get(k), k) for _, k, _ in cols] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    lines = []
    for n, c in enumerate(cells):
        lines.append(
            "  ".join(
                v.ljust(w) if al == "<" else v.rjust(w)
                for v, w, (_, _, al) in zip(c, widths, cols, strict=True)
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v: object, key: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not key.startswith("recall"):
        return f"{v:.1f}"
    if isinstance(v, float):
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--corpus", nargs="+", choices=["reuters", "bbc", "both"], default=["bbc", "reuters", "both"]
    )
    ap.add_argument("--mode", nargs="+", choices=list(MODES), default=list(MODES))
    ap.add_argument(
        "--timeout", type=float, default=1500, help="seconds one wiretrace run may take (default 1500)"
    )
    ap.add_argument("--keep", type=Path, help=KEEP_HELP)
    ap.add_argument(
        "--rescore",
        type=Path,
        metavar="KEPT",
        help="score again the reports kept under KEPT by an earlier --keep run (timings from its results JSON)",
    )
    ap.add_argument(
        "--report",
        nargs="+",
        metavar="NAME=REPORT",
        help="score kept report.json files of another script's runs of --corpus (e.g. pile_eval.py --keep's "
        "before/ and after/ on both), side by side, without running wiretrace",
    )
    args = ap.parse_args()
    if args.report:
        score_reports(args.corpus[0] if len(args.corpus) == 1 else "both", args.report)
        return
    if args.rescore:
        rescore(args.rescore)
        return

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="wiretrace-bench-") as tmp:
        for name in args.corpus:
            records = corpora.corpus(name)
            jsonl = Path(tmp) / f"{name}.jsonl"
            corpora.write_jsonl(records, jsonl)
            for mode in args.mode:
                out = (args.keep or Path(tmp)) / f"{name}-{mode}"
                print(
                    f"running wiretrace on {name} ({len(records)} docs, {mode}) ...",
                    file=sys.stderr,
                    flush=True,
                )
                run = run_wiretrace(jsonl, out, MODES[mode], args.timeout)
                row = {"corpus": name, "mode": mode, "documents": len(records), **run}
                if not run.get("timed_out"):
                    row.update(score(records, json.loads((out / "report.json").read_text(encoding="utf-8"))))
                    row["docs_per_s"] = round(len(records) / run["wall_s"], 1)
                    print(
                        f"  done in {run['wall_s']} s, peak {run['peak_rss_mib']} MiB",
                        file=sys.stderr,
                        flush=True,
                    )
                rows.append(row)
    render(rows, machine(), datetime.now(UTC).isoformat(timespec="seconds"))


def score_reports(corpus: str, named: list[str]) -> None:
    """Recall and misses of reports written by other runs over ``corpus`` (``NAME=path/report.json``)."""
    records = corpora.corpus(corpus)
    for item in named:
        name, _, path = item.partition("=")
        s = score(records, json.loads(Path(path).read_text(encoding="utf-8")))
        print(f"{name}: {corpus}, {s['true_pairs']} true pairs: recall duplicate {s['recall_duplicate']:.4f} "
              f"({s['true_in_duplicate']}), duplicate or near {s['recall_dup_or_near']:.4f} ({s['true_in_dup_or_near']}); "
              f"false duplicates {s['false_positive_duplicates']} ({s['legitimate_fp']} legitimate)")
        for m in s["missed"]:
            print(f"  missed {m['a']} ~ {m['b']}: related as {m['related_as']}, body words after cleaning {m['body_words']}")


def rescore(kept: Path) -> None:
    """Score the kept reports again (after a change to this script), with the timings measured then."""
    src = RESULTS / "dedup_eval.json"
    if not src.exists():
        sys.exit(f"bench: {src} not found; run dedup_eval.py with --keep first")
    old = json.loads(src.read_text(encoding="utf-8"))
    rows, records = [], {}
    for run in old["runs"]:
        row = {k: v for k, v in run.items() if k in RUN_KEYS}
        report = kept / f"{run['corpus']}-{run['mode']}" / "report.json"
        if not run.get("timed_out"):
            if not report.exists():
                sys.exit(f"bench: {report} not found; give the folder the earlier run was given with --keep")
            if run["corpus"] not in records:
                records[run["corpus"]] = corpora.corpus(run["corpus"])
            row.update(score(records[run["corpus"]], json.loads(report.read_text(encoding="utf-8"))))
        rows.append(row)
    m = old.get("machine") or {}
    render(rows, m if "node" in m else machine(), old["date"])


# What a run measured, as opposed to how its report scored.
RUN_KEYS = (
    "corpus",
    "mode",
    "documents",
    "command",
    "summary",
    "wall_s",
    "cpu_s",
    "peak_rss_mib",
    "load_1min",
    "timed_out",
    "docs_per_s",
)


def render(rows: list[dict], machine_info: dict, date: str) -> None:
    """Print the table and the per-run details; write bench/results/dedup_eval.json."""
    m = machine_info
    code = (
        f"commit {m['commit']}{' + uncommitted src' if m['dirty_src'] else ''}"
        if "commit" in m
        else m["wiretrace"]
    )
    print(
        f"\nwiretrace exact-duplicate recall on real corpora ({m['node']}, {m['cores']} cores, wiretrace {code}, {date})\n"
    )
    print(table(rows))
    print("\nR dup: share of true pairs related as duplicate; R dup|near: as duplicate or near_duplicate.")
    print(
        "FP dup: pairs related as duplicate whose whitespace-normalised texts differ; FP legit: of those, the"
    )
    print(
        "ones equal once the first line (title) is dropped, or once cleaned to the body where cleaning removed"
    )
    print("only short lines without figures (sign-offs).")
    for r in rows:
        if r.get("timed_out"):
            print(
                f"\n{r['corpus']} / {r['mode']}: stopped after {r['wall_s']} s (--timeout)\n  {r['command']}"
            )
            continue
        print(f"\n{r['corpus']} / {r['mode']}: relations {r['relations']}")
        print(f"  {r['command']}\n  1-min load average before/after: {r.get('load_1min')}")
        print(f"  false-positive kinds: {r['false_positive_kinds'] or 'none'}")
        for ex in r["fp_examples"]:
            print(f"  FP {ex['a']} ~ {ex['b']}: {ex['kind']}; {ex['first_difference']}")
        print(f"  true pairs not related as duplicate: {r['true_pairs_related_otherwise'] or 'none'}")
        if r["missed"]:
            print(
                f"  of the {len(r['missed'])} missed pairs, {r['missed_body_emptied']} have a side whose whole body "
                "cleaning removed (no body words left: no exact/LSH key, no pair)"
            )
        for miss in r["missed"][:8]:
            print(
                f"  missed {miss['a']} ~ {miss['b']} ({miss['words']} words, body words after cleaning "
                f"{miss['body_words']}, removed as {'/'.join(miss['removed_kinds']) or '-'}): related as {miss['related_as']}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / "dedup_eval.json"
    payload = {"date": date, "machine": m, "runs": rows}
    dest.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {dest}")


if __name__ == "__main__":
    main()
