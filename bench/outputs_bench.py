"""What the HTML outputs (``index.html`` and the static story browser ``site/``) cost, before and after.

For each code version (a ``src`` folder: the working tree's, and a fixed commit's unpacked with
``git archive COMMIT src | tar -x -C DIR``) this script runs ``wiretrace run`` as a subprocess on one
JSONL twice into fresh folders: with ``--no-html`` and with the HTML outputs (the default). It prints
the wall and CPU seconds of each (CPU of the child process tree), their ratio (the goal: <= 1.15), the
size of ``index.html``, the file count and bytes of ``site/``, and how long headless Chromium (Debian's,
driven by playwright) takes to render ``index.html``, the browser's first page, its biggest story's
page and a keyword search. Then it runs the same command a second time into the HTML folder (nothing
new) and counts the site files rewritten.

    .venv/bin/python bench/outputs_bench.py                               # Reuters + BBC, --lexical-only
    .venv/bin/python bench/outputs_bench.py --before-src /tmp/snap16/src --save-before bench/results/outputs_before.json
    .venv/bin/python bench/outputs_bench.py --before-json bench/results/outputs_before.json   # reuse a stored "before"
    .venv/bin/python bench/outputs_bench.py --jsonl /tmp/pile/bbc.jsonl --mode default

The "before" HTML run takes 17 to 36 minutes on Reuters + BBC (with the machine's load); ``--before-json``
prints a figure measured once (with its date and machine load) beside this run's "after", and says so.
``--scale N`` also draws ``index.html`` from a generated report of N documents (no dataset text).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typing import Any

from versions import cli_command  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
CHROMIUM = Path("/usr/bin/chromium")
RENDER_TIMEOUT_S = 120


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cli(src: Path, args: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src), HF_HUB_OFFLINE="1")
    cpu0, t0 = _children_cpu(), time.perf_counter()
    res = subprocess.run(cli_command("run", *args), env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if res.returncode != 0:
        raise SystemExit(f"outputs_bench: wiretrace run failed ({src}): {res.stderr[-2000:]}")
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


def folder_size(path: Path) -> tuple[int, int]:
    files = size = 0
    for root, _, names in os.walk(path):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(root, n))
    return files, size


def _newest_mtimes(path: Path) -> dict[str, float]:
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            p = os.path.join(root, n)
            out[p] = os.path.getmtime(p)
    return out


def render_times(out: Path) -> dict[str, Any]:
    """Seconds from navigation to a rendered page in headless Chromium (None: not rendered in time)."""
    if not CHROMIUM.exists():
        return {"note": f"no chromium at {CHROMIUM}"}
    from playwright.sync_api import sync_playwright

    times: dict[str, Any] = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])

        def timed(name: str, url: str, ready: str | None = None, action: Any = None) -> Any:
            page = b.new_page(viewport={"width": 1300, "height": 900})
            try:
                t0 = time.perf_counter()
                page.goto(url, wait_until="load", timeout=RENDER_TIMEOUT_S * 1000)
                if ready:
                    page.wait_for_selector(ready, timeout=RENDER_TIMEOUT_S * 1000)
                times[name] = round(time.perf_counter() - t0, 2)
                if action is not None:
                    t1 = time.perf_counter()
                    action(page)
                    times[name + "_action"] = round(time.perf_counter() - t1, 2)
                return page
            except Exception as e:  # a timeout is a figure too
                times[name] = None
                times[name + "_error"] = type(e).__name__
                return None

        index = out / "index.html"
        if index.exists():
            timed("index_html", index.as_uri(), "h1")
        site = out / "site" / "index.html"
        if site.exists():
            page = timed("site_list", site.as_uri(), "tr.story-row")
            big = None
            if page is not None:
                big = page.locator("tr.story-row a.headline").first.get_attribute("href")
                page.close()
            if big:
                timed("site_big_story", (out / "site" / big).as_uri(), "h1.story-title")

            def search(page: Any) -> None:
                page.fill("#q", "oil")
                page.press("#q", "Enter")
                page.wait_for_selector("#results tr.story-row, #results .empty", timeout=RENDER_TIMEOUT_S * 1000)

            if (out / "site" / "search.html").exists():
                timed("site_search", (out / "site" / "search.html").as_uri(), "#q", search)
        b.close()
    return times


def measure(name: str, src: Path, jsonl: Path, mode: str, work: Path, again: bool = True) -> dict[str, Any]:
    flags = ["--lexical-only"] if mode == "lexical" else []
    print(f"[{name}] run --no-html ...", flush=True)
    plain = run_cli(src, [str(jsonl), "--out", str(work / f"{name}-nohtml"), "--quiet", "--no-html", *flags])
    print(f"[{name}]   {plain}", flush=True)
    out = work / f"{name}-html"
    print(f"[{name}] run with HTML ...", flush=True)
    html = run_cli(src, [str(jsonl), "--out", str(out), "--quiet", *flags])
    print(f"[{name}]   {html}", flush=True)
    files, size = folder_size(out / "site") if (out / "site").exists() else (0, 0)
    index = out / "index.html"
    rerun: dict[str, float] | None = None
    rewritten = None
    if again:  # the "before" code rewrites every page on every run (export_site writes them all)
        before = _newest_mtimes(out / "site")
        time.sleep(1.1)
        print(f"[{name}] run again (nothing new) ...", flush=True)
        rerun = run_cli(src, [str(jsonl), "--out", str(out), "--quiet", *flags])
        after = _newest_mtimes(out / "site")
        rewritten = sum(1 for p, t in after.items() if before.get(p) != t)
    print(f"[{name}] render in chromium ...", flush=True)
    render = render_times(out)
    shutil.rmtree(work / f"{name}-nohtml", ignore_errors=True)
    return {
        "src": str(src), "no_html": plain, "html": html,
        "ratio_wall": round(html["wall_s"] / plain["wall_s"], 3), "ratio_cpu": round(html["cpu_s"] / plain["cpu_s"], 3),
        "index_html_bytes": index.stat().st_size if index.exists() else None,
        "site_files": files, "site_bytes": size,
        "again": rerun, "again_site_files_rewritten": rewritten,
        "render_s": render,
        "measured": datetime.now(UTC).isoformat(timespec="seconds"), "load_avg": os.getloadavg()[0],
    }


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.1f} MB"


def _s(v: Any) -> str:
    return "not rendered" if v is None else f"{v:.2f} s"


def show(rows: dict[str, dict[str, Any]]) -> None:
    names = list(rows)
    line = "{:<34}" + "{:>26}" * len(names)
    print()
    print(line.format("", *names))
    def row(label: str, f: Any) -> None:
        print(line.format(label, *(f(rows[n]) for n in names)))
    row("run --no-html wall / CPU", lambda r: f"{r['no_html']['wall_s']} / {r['no_html']['cpu_s']} s")
    row("run with HTML wall / CPU", lambda r: f"{r['html']['wall_s']} / {r['html']['cpu_s']} s")
    row("HTML / no-HTML (wall, CPU)", lambda r: f"x{r['ratio_wall']:.3f}, x{r['ratio_cpu']:.3f}")
    row("index.html", lambda r: _mb(r["index_html_bytes"]))
    row("site/ files, size", lambda r: f"{r['site_files']}, {_mb(r['site_bytes'])}")
    row("again (nothing new) wall", lambda r: f"{r['again']['wall_s']} s" if r["again"] else "not run")
    row("  site files rewritten", lambda r: str(r["again_site_files_rewritten"]))
    for key in ("index_html", "site_list", "site_big_story", "site_search", "site_search_action"):
        row(f"render {key}", lambda r, k=key: _s(r["render_s"].get(k)) if k in r["render_s"] else "-")
    row("measured (load avg)", lambda r: f"{r['measured'][:16]} ({r['load_avg']:.1f})")
    print("\ngoals: HTML/no-HTML <= x1.15 wall, index.html <= 5 MB, each page rendered in <= 2 s")


def synthetic_overview(n_docs: int) -> dict[str, Any]:
    """index.html drawn from a generated report of ``n_docs`` documents (no dataset text): one story of
    2,000 members, stories of 2 to 9 members over half the documents, the rest single; texts of 2,000
    characters. Prints its size and the seconds to draw it."""
    import random

    from wiretrace.report.html import render_html

    rng = random.Random(16)
    text = "Harbour pilots voted on Tuesday to stop work for two days over pay and hours. " * 26
    docs = [{"id": f"d{i:07d}", "source": f"Outlet {i % 997}", "title": f"Title {i}", "published": f"20{10 + i % 20}-0{1 + i % 9}-1{i % 9}",
             "chars": len(text), "text": text, "body": [[0, len(text)]], "removed": [{"start": 0, "end": 20, "kind": "title"}]}
            for i in range(n_docs)]
    stories, pairs, at = [], [], 0

    def story(members: list[str]) -> dict[str, Any]:
        edges = [{"child": m, "parent": members[(k - 1) // 3], "relation": "derivative", "direction": "child<-parent",
                  "evidence": ["dates: earlier"]} for k, m in enumerate(members[1:], 1)]
        pairs.extend({"a": e["child"], "b": e["parent"], "relation": "derivative", "direction": "a<-b", "scores": {},
                      "passages": [{"a": [0, 80], "b": [0, 80], "kind": "verbatim"}]} for e in edges)
        return {"id": "s-" + members[0], "title": f"Story of {members[0]}", "documents": members, "origin": members[0],
                "edges": edges, "canonical": {"document": members[0], "spans": [[0, len(text)]]},
                "additions": [{"document": m, "spans": [[0, 200]]} for m in members[1:]]}

    ids = [d["id"] for d in docs]
    stories.append(story(ids[:2000]))
    at = 2000
    while at < n_docs // 2:
        k = rng.randint(2, 9)
        stories.append(story(ids[at : at + k]))
        at += k
    stories += [{"id": "s-" + i, "documents": [i], "origin": i, "edges": []} for i in ids[at:]]
    t0 = time.perf_counter()
    html = render_html({"documents": docs, "pairs": pairs, "stories": stories}, site="site/")
    return {"documents": n_docs, "stories": len(stories), "pairs": len(pairs),
            "index_html_bytes": len(html.encode("utf-8")), "render_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jsonl", type=Path, default=Path("/tmp/pile/both.jsonl"))
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--before-src", type=Path, help="src folder of the 'before' code (git archive 9737da6 src)")
    ap.add_argument("--before-json", type=Path, help="print a stored 'before' result instead of measuring it")
    ap.add_argument("--save-before", type=Path, help="store the 'before' result measured here")
    ap.add_argument("--skip-after", action="store_true")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    ap.add_argument("--scale", type=int, default=0, help="also draw index.html from a generated report of N documents")
    args = ap.parse_args()
    if args.scale:
        sys.path.insert(0, str(REPO / "src"))
        got = synthetic_overview(args.scale)
        print(f"index.html of a generated report: {got['documents']} documents, {got['stories']} stories, "
              f"{got['pairs']} pairs -> {got['index_html_bytes'] / 1e6:.2f} MB in {got['render_s']} s")
        if args.skip_after and not (args.before_src or args.before_json):
            return
    if not args.jsonl.exists():
        raise SystemExit(f"outputs_bench: {args.jsonl} is missing; write it with bench/corpora.py (write_jsonl)")
    work = args.work or Path(tempfile.mkdtemp(prefix="wiretrace-outputs-"))
    rows: dict[str, dict[str, Any]] = {}
    if args.before_json:
        stored = json.loads(args.before_json.read_text(encoding="utf-8"))
        stored["label"] = f"before (stored {stored['measured'][:16]})"
        rows["before (stored)"] = stored
        print(f"'before' read from {args.before_json}, measured {stored['measured']} from {stored['src']}")
    elif args.before_src:
        rows["before"] = measure("before", args.before_src, args.jsonl, args.mode, work, again=False)
        if args.save_before:
            args.save_before.parent.mkdir(parents=True, exist_ok=True)
            args.save_before.write_text(json.dumps(rows["before"], indent=1), encoding="utf-8")
    if not args.skip_after:
        rows["after"] = measure("after", REPO / "src", args.jsonl, args.mode, work)
    show(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "outputs_bench.json").write_text(json.dumps(
        {"jsonl": str(args.jsonl), "mode": args.mode, "results": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
