"""The real pile: what a user gets from ``wiretrace run`` on Reuters-21578 + BBC News (21,268 documents).

Runs the CLI as a user would (``wiretrace run PILE.jsonl --out DIR``, ``--lexical-only`` with
``--mode lexical``, HTML off unless ``--html``) with the code under test and, with ``--before SRC``,
with an earlier commit's ``src`` in the same run (``git archive COMMIT src | tar -x -C DIR``), then
prints for each:

* the run's wall and CPU seconds (the whole process) and its peak memory;
* the story-size distribution, the share of documents in stories of 50 or more, the 15 largest
  stories with three member titles each;
* relation counts, and the template pairs (one form, other facts) with a few examples;
* the **precision of each relation** on the labelled sample: ``bench/labels/pile_pairs.tsv`` holds
  ``a, b, label`` (ids and labels only, no text), labels given by reading both documents:

  - ``copy``: the same text (at most small edits, another headline or boilerplate);
  - ``reuse``: specific text of one (a sentence or more carrying its facts) stands in the other, or
    both take it from one source; new material may be added;
  - ``template``: one form (a brief's mould) filled with other facts: another company, other figures;
  - ``stock``: only formulaic sentences or stock phrases in common (a house's standard wording);
  - ``same_event``: independent reports of one event, no text in common;
  - ``unrelated``: other events.

  A relation is right when the label is one it stands for: ``duplicate`` and ``near_duplicate``:
  copy; ``contains``, ``paraphrase``, ``derivative``: copy or reuse; ``template``: template;
  ``same_story``: copy, reuse or same_event. Pairs of a run that the labels do not hold are not
  scored (the sample was drawn from the runs with ``--sample``).

``--sample N --sample-out FILE`` draws a stratified sample of each run's related pairs (at most
N / 6 per relation) and writes them with both documents' titles and texts to FILE (outside the repo:
it holds dataset text) for labelling; the labels go into ``bench/labels/pile_pairs.tsv``.

    .venv/bin/python bench/pile_eval.py --before /tmp/snap/src              # lexical, both runs
    .venv/bin/python bench/pile_eval.py --reports after=/tmp/a/report.json  # score kept reports again
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402
from versions import cli_command  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels" / "pile_pairs.tsv"
RESULTS = HERE / "results"
RIGHT = {
    "duplicate": {"copy"},
    "near_duplicate": {"copy"},
    "contains": {"copy", "reuse"},
    "paraphrase": {"copy", "reuse"},
    "derivative": {"copy", "reuse"},
    "template": {"template"},
    "same_story": {"copy", "reuse", "same_event"},
}
LABEL_NAMES = ("copy", "reuse", "template", "stock", "same_event", "unrelated")
BUCKETS = ((1, 1), (2, 4), (5, 9), (10, 49), (50, 10**9))


def run(src: str | None, jsonl: Path, out: Path, mode: str, html: bool) -> dict[str, float]:
    """``wiretrace run`` in a child process (``src`` first on the path where given); its cost."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    if src:
        env["PYTHONPATH"] = src
    cmd = cli_command("run", str(jsonl), "--out", str(out), "--quiet")
    if mode == "lexical":
        cmd.append("--lexical-only")
    if not html:
        cmd.append("--no-html")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_gib": round(after.ru_maxrss / 2**20, 2)}


def load_labels(path: Path = LABELS) -> dict[tuple[str, str], str]:
    if not path.exists():
        return {}
    out = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "a":
                continue
            a, b, label = row[0], row[1], row[2]
            if label not in LABEL_NAMES:
                sys.exit(f"bench: {path}: unknown label {label!r} for {a} {b}; expected one of {', '.join(LABEL_NAMES)}")
            out[(min(a, b), max(a, b))] = label
    return out


def wrong_pairs(name: str, report: dict, labels: dict[tuple[str, str], str]) -> None:
    """The labelled pairs a reuse relation or template got wrong: ids, relation, label, the last reason
    (to read them: bench/corpora.py loads the texts by id)."""
    print(f"\n{name}: labelled pairs related wrongly")
    for p in sorted(report["pairs"], key=lambda p: (p["relation"], p["a"], p["b"])):
        k = (min(p["a"], p["b"]), max(p["a"], p["b"]))
        if p["relation"] in RIGHT and k in labels and labels[k] not in RIGHT[p["relation"]]:
            print(f"  {p['relation']:<15} {labels[k]:<10} {p['a']} {p['b']}: {p['reasons'][-1][:150]}")


ONE_EVENT = {"copy", "reuse", "same_event"}


def _day(published: str | None) -> int | None:
    try:
        return date.fromisoformat(published[:10]).toordinal() if published else None
    except ValueError:
        return None


def story_pairs(report: dict, labels: dict[tuple[str, str], str]) -> dict[str, float]:
    """The labelled pairs read as a clustering check: a pair of one event (copy, reuse, same_event)
    should share a story, a pair of other matters (template, stock, unrelated) should not."""
    story_of = {d: s["id"] for s in report["stories"] for d in s["documents"]}
    c: Counter[str] = Counter()
    for (a, b), lab in labels.items():
        if a in story_of and b in story_of:
            same = story_of[a] == story_of[b]
            c[("right_" if lab in ONE_EVENT else "wrong_") + ("together" if same else "apart")] += 1
    out: dict[str, float] = {k: c[k] for k in ("right_together", "right_apart", "wrong_together", "wrong_apart")}
    out["recall"] = round(c["right_together"] / max(1, c["right_together"] + c["right_apart"]), 3)
    out["precision"] = round(c["right_together"] / max(1, c["right_together"] + c["wrong_together"]), 3)
    return out


def summarise(name: str, report: dict, labels: dict[tuple[str, str], str], cost: dict[str, float] | None) -> dict:
    docs = {d["id"]: d for d in report["documents"]}
    n = len(docs)
    stories = sorted(report["stories"], key=lambda s: (-len(s["documents"]), s["id"]))
    sizes = [len(s["documents"]) for s in stories]
    dist = {f"{lo}-{hi}" if hi < 10**9 else f"{lo}+": sum(1 for x in sizes if lo <= x <= hi) for lo, hi in BUCKETS}
    in50 = sum(x for x in sizes if x >= 50)
    rel = Counter(p["relation"] for p in report["pairs"])
    precision: dict[str, dict[str, object]] = {}
    for r, ok in RIGHT.items():
        scored = [labels[k] for p in report["pairs"] if p["relation"] == r and (k := (min(p["a"], p["b"]), max(p["a"], p["b"]))) in labels]
        if scored:
            right = sum(lab in ok for lab in scored)
            precision[r] = {"labelled": len(scored), "right": right, "precision": round(right / len(scored), 3),
                            "labels": dict(Counter(scored))}
    print(f"\n== {name}: {n} documents, {len(stories)} stories" + (f"; run {cost['wall_s']} s wall, {cost['cpu_s']} CPU s, peak {cost['peak_rss_gib']} GiB" if cost else ""))
    print("story sizes:", ", ".join(f"{k}: {v}" for k, v in dist.items()))
    print(f"documents in stories of 50+: {in50} ({in50 / n:.2%}); largest: {sizes[:10]}")
    print("relations:", ", ".join(f"{k} {v}" for k, v in sorted(rel.items(), key=lambda kv: -kv[1])))
    print("precision on the labelled sample:")
    for r, v in precision.items():
        print(f"  {r:<15} {v['right']}/{v['labelled']} = {v['precision']:.3f}   labels {v['labels']}")
    together = story_pairs(report, labels)
    print(f"labelled pairs by story: one event (copy, reuse, same_event) together {together['right_together']}, "
          f"apart {together['right_apart']} (recall {together['recall']:.3f}); other matters (template, stock, "
          f"unrelated) together {together['wrong_together']} (precision of 'together' {together['precision']:.3f})")
    print("15 largest stories (days from first to last member dated, three member titles):")
    for s in stories[:15]:
        titles = " | ".join((docs[d].get("title") or d)[:48] for d in s["documents"][:3])
        days = sorted(d for m in s["documents"] if (d := _day(docs[m].get("published"))) is not None)
        span = f"{days[-1] - days[0]:>3} d" if days else "undated"
        print(f"  {len(s['documents']):>5}  {span:>7}  {titles}")
    tmpl = [p for p in report["pairs"] if p["relation"] == "template"]
    for p in tmpl[:3]:
        print(f"  template: {docs[p['a']].get('title')} ~ {docs[p['b']].get('title')}: {p['reasons'][-1][:140]}")
    return {"documents": n, "stories": len(stories), "sizes": dist, "in_50_plus": in50, "share_50_plus": in50 / n,
            "largest": sizes[:15], "relations": dict(rel), "precision": precision, "stories_on_labels": together, "cost": cost}


def sample(reports: dict[str, dict], n: int, out: Path, texts: dict[str, dict], labels: dict, seed: int = 7) -> None:
    """Up to n / 6 pairs per relation from each run, pairs already labelled left out, for labelling."""
    rng = random.Random(seed)
    per = max(1, n // 6)
    chosen: dict[tuple[str, str], dict] = {}
    for report in reports.values():
        by_rel: dict[str, list[dict]] = {}
        for p in report["pairs"]:
            by_rel.setdefault(p["relation"], []).append(p)
        for _, ps in sorted(by_rel.items()):
            ps = sorted(ps, key=lambda p: (p["a"], p["b"]))
            rng.shuffle(ps)
            k = 0
            for p in ps:
                key = (min(p["a"], p["b"]), max(p["a"], p["b"]))
                if key in labels or key in chosen:
                    continue
                chosen[key] = p
                k += 1
                if k >= per:
                    break
    items = list(chosen.items())
    rng.shuffle(items)
    with out.open("w", encoding="utf-8") as f:
        for (a, b), _p in items:
            f.write(json.dumps({"a": a, "b": b, "title_a": texts[a].get("title"), "text_a": texts[a]["text"],
                                "title_b": texts[b].get("title"), "text_b": texts[b]["text"]}) + "\n")
    print(f"\nwrote {len(items)} pairs to label to {out} (the run's relation is not in the file)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=("lexical", "default"), default="lexical")
    ap.add_argument("--html", action="store_true", help="write the HTML outputs too (as a user's run does)")
    ap.add_argument("--before", help="an earlier commit's src folder, run first in the same process tree")
    ap.add_argument("--reports", nargs="*", default=(), help="NAME=report.json: score kept reports, no runs")
    ap.add_argument("--keep", help="folder to keep the runs' outputs in (default: a temporary one)")
    ap.add_argument("--wrong", action="store_true", help="list the labelled pairs each run relates wrongly (ids and reasons)")
    ap.add_argument("--sample", type=int, default=0, help="write this many related pairs to label")
    ap.add_argument("--sample-out", default="/tmp/pile_sample.jsonl")
    args = ap.parse_args()

    records = corpora.corpus("both")
    texts = {r["id"]: r for r in records}  # type: ignore[misc]
    labels = load_labels()
    print(f"pile_eval: Reuters-21578 + BBC News, {len(records)} documents, mode {args.mode}; {len(labels)} labelled pairs in {LABELS.relative_to(HERE.parent)}")
    reports: dict[str, dict] = {}
    costs: dict[str, dict[str, float] | None] = {}
    for spec in args.reports:
        name, path = spec.split("=", 1)
        reports[name] = json.loads(Path(path).read_text(encoding="utf-8"))
        costs[name] = None
    if not args.reports:
        with tempfile.TemporaryDirectory(prefix="pile-") as tmp:
            base = Path(args.keep or tmp)
            base.mkdir(parents=True, exist_ok=True)
            jsonl = base / "both.jsonl"
            corpora.write_jsonl(records, jsonl)
            runs = ([("before", args.before)] if args.before else []) + [("after", str(HERE.parent / "src"))]
            for name, src in runs:
                out = base / name
                costs[name] = run(src, jsonl, out, args.mode, args.html)
                reports[name] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    results = {name: summarise(name, rep, labels, costs.get(name)) for name, rep in reports.items()}
    if args.wrong:
        for name, rep in reports.items():
            wrong_pairs(name, rep, labels)
    if "before" in results and "after" in results and results["before"]["cost"] and results["after"]["cost"]:
        b, a = results["before"]["cost"], results["after"]["cost"]
        print(f"\nafter / before: wall x{a['wall_s'] / b['wall_s']:.2f}, CPU x{a['cpu_s'] / b['cpu_s']:.2f}")
    if args.sample:
        sample(reports, args.sample, Path(args.sample_out), texts, labels)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pile_eval.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
