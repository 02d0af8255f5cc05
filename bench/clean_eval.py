"""Cleaning quality and speed: wiretrace vs trafilatura, justext and readability, on the same pages.

Two data sets, read at run time from ``../shared/data`` (never copied into the repo):

* ``trafilatura-eval``: trafilatura's own boilerplate-removal corpus (990 pages, ``evaldata.json``
  with text snippets that must appear ("with") and must not appear ("without") in the output).
  Scored as trafilatura's ``tests/eval_common.py`` does: per page TP = "with" snippets found in the
  output (whitespace-normalised substring), FP = "without" snippets found, FN = "with" missed,
  TN = "without" absent; micro-averaged precision, recall, F1.
* ``chaos``: msv-ir-research ``Extraction/chaos-all`` (360 pages from ~240 sites, human gold text =
  title + body). Scored as scrapinghub/article-extraction-benchmark does: per page, bags of tokens
  (``\\w+``) or of 4-word shingles compared with multiplicity, tp/fp/fn normalised per page, precision
  and recall averaged over pages, F1 from the averages.

Systems (``--systems``, comma-separated):

* ``wiretrace``: ``ingest.html`` (visible text + trafilatura's main-content hints) -> ``clean``;
  the output is the document's body spans joined by newlines.
* ``wiretrace+corpus``: the same, with block-level boilerplate learned over the whole data set first
  (``learn_boilerplate``: blocks recurring across pages that share nothing else). The pages of an eval
  set are not one site's crawl, so this tests the corpus signal, it does not flatter it.
* ``wiretrace-text`` / ``wiretrace-text+corpus``: plain-text mode: the page's full visible text only
  (``format="text"``, no markup, no hints, no metadata title).
* ``trafilatura``: ``trafilatura.extract(html)`` with default settings (comments included).
* ``trafilatura-eval``: ``extract(html, include_comments=False, include_tables=True)``: the settings
  trafilatura's own evaluation uses (its published F1 0.924 for 2.2.0).
* ``justext``: ``justext.justext(html, <all stoplists>, 50, 200, 0.1, 0.2, 0.2, 200, True)`` as in
  trafilatura's ``tests/evaluate.py``.
* ``readability``: readability-lxml ``Document(html).summary()``, turned into text with lxml (scoring
  its HTML output, as trafilatura's evaluate.py does, would let markup split snippets).

Title: the chaos gold text starts with the headline, and trafilatura-eval's "with" snippets hold
the headline on some pages, so both count it as part of the article. wiretrace's output is the
headline it marked ``title`` (only when the page's metadata names the title: HTML mode) followed by
the body spans, joined by newlines; ``--body-only`` leaves the headline out.

Speed: the CPU seconds (``time.process_time``) and wall seconds (``perf_counter``) each system spends
per page, around the call in one worker process, reported as pages per CPU second (= per core) and
pages per wall second; the load average is printed beside them, because the wall figure on a shared
machine says more about the other jobs than about the system. wiretrace's HTML figure includes its
ingest, which runs trafilatura's ``bare_extraction`` for the hints; plain-text mode times ``clean``
alone.

Usage::

    .venv/bin/python bench/clean_eval.py                    # everything, both data sets
    .venv/bin/python bench/clean_eval.py --limit 100 --systems wiretrace,trafilatura-eval
    .venv/bin/python bench/clean_eval.py --split test      # only pages outside the training split
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import pickle
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root, for bench.corpora
from bench.corpora import DATA, require  # noqa: E402

TRAF_EVAL = DATA / "trafilatura-eval"
CHAOS = DATA / "msv-ir-research" / "Extraction" / "chaos-all"

WIRETRACE = ("wiretrace", "wiretrace+corpus", "wiretrace-text", "wiretrace-text+corpus")
PEERS = ("trafilatura", "trafilatura-eval", "justext", "readability")
ALL_SYSTEMS = WIRETRACE + PEERS
DATASETS = ("trafilatura-eval", "chaos")

# The eval gate's fixed subset and the training split are both chosen by a hash of the page's key
# (the URL for trafilatura-eval, the file name for chaos): no human picked pages.
GATE_SIZE = 150


def page_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def gate_keys(keys: Iterable[str], size: int = GATE_SIZE) -> list[str]:
    """The eval gate's pages: the ``size`` keys with the smallest SHA-1. Never trained on."""
    return sorted(keys, key=page_hash)[:size]


def split_of(key: str, gate: frozenset[str] = frozenset()) -> str:
    """``gate`` (the eval gate's pages), ``train`` (hash bucket 0-4 of 10 outside the gate) or ``test``.

    The cleaner's classifier is trained on ``train`` pages only (bench/clean_train.py); ``test`` and
    ``gate`` pages are never seen in training. chaos pages have no gate.
    """
    if key in gate:
        return "gate"
    return "train" if int(page_hash(key)[:8], 16) % 10 < 5 else "test"


# --- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Page:
    dataset: str
    key: str  # URL (trafilatura-eval) or file stem (chaos)
    html: bytes
    with_: tuple[str, ...] = ()  # trafilatura-eval snippets
    without: tuple[str, ...] = ()
    gold: str = ""  # chaos gold text


def trafilatura_eval_pages(keys: Iterable[str] | None = None) -> list[Page]:
    """trafilatura-eval pages in evaldata.json order (only ``keys`` when given)."""
    data = json.loads((require(TRAF_EVAL) / "evaldata.json").read_text(encoding="utf-8"))
    wanted = set(keys) if keys is not None else None
    out = []
    for url, item in data.items():
        if wanted is not None and url not in wanted:
            continue
        html = gzip.decompress((TRAF_EVAL / "html" / f"{item['file']}.gz").read_bytes())
        out.append(Page("trafilatura-eval", url, html, tuple(item["with"]), tuple(item["without"])))
    return out


def evaldata_keys() -> list[str]:
    return list(json.loads((require(TRAF_EVAL) / "evaldata.json").read_text(encoding="utf-8")))


def _decode_gold(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def chaos_pages() -> list[Page]:
    out = []
    for f in sorted((require(CHAOS) / "html").glob("*.gz")):
        stem = f.name.split(".htm")[0]
        gold = CHAOS / "gold" / f"{stem}.txt"
        if gold.exists():
            out.append(
                Page("chaos", stem, gzip.decompress(f.read_bytes()), gold=_decode_gold(gold.read_bytes()))
            )
    return out


# --- scoring ---------------------------------------------------------------------------------------
def norm(text: str) -> str:
    """Whitespace-normalised, as trafilatura's eval_common.norm."""
    return re.sub(r"\s+", " ", text).strip()


def count_snippets(page: Page, result: str | None) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page, as trafilatura's eval_common.count_item."""
    if isinstance(result, str):
        resn = norm(result)
        tp = sum(1 for w in page.with_ if norm(w) in resn)
        fp = sum(1 for w in page.without if norm(w) in resn)
    else:
        tp = fp = 0
    return tp, fp, len(page.with_) - tp, len(page.without) - fp


@dataclass(slots=True)
class Confusion:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, c: tuple[int, int, int, int]) -> None:
        self.tp += c[0]
        self.fp += c[1]
        self.fn += c[2]
        self.tn += c[3]

    def scores(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0
        return p, r, f


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _ngrams(text: str, n: int) -> Counter[tuple[str, ...]]:
    toks = _TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def shingle_match(true: str, pred: str, n: int) -> tuple[float, float, float]:
    """Per-page (tp, fp, fn) over n-gram shingles with multiplicity, normalised to sum 1
    (article-extraction-benchmark's ``string_shingle_matching``)."""
    t, p = _ngrams(true, n), _ngrams(pred, n)
    tp = fp = fn = 0.0
    for k in t.keys() | p.keys():
        a, b = t.get(k, 0), p.get(k, 0)
        tp += min(a, b)
        fp += max(0, b - a)
        fn += max(0, a - b)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def aeb_scores(rows: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision over pages that predicted something, mean recall over pages with gold, F1."""

    def prec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def rec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    ps = [prec(*r) for r in rows if r[0] + r[1] > 0]
    rs = [rec(*r) for r in rows if r[0] + r[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- systems ---------------------------------------------------------------------------------------
_JT_STOPLIST: frozenset[str] | None = None


def run_trafilatura(html: bytes) -> str | None:
    import trafilatura

    return trafilatura.extract(html)  # type: ignore[no-any-return]


def run_trafilatura_eval(html: bytes) -> str | None:
    import trafilatura

    return trafilatura.extract(  # type: ignore[no-any-return]
        html, include_comments=False, include_tables=True, include_formatting=False
    )


def run_justext(html: bytes) -> str:
    global _JT_STOPLIST
    import justext
    from trafilatura.external import jt_stoplist_init

    if _JT_STOPLIST is None:
        _JT_STOPLIST = jt_stoplist_init()
    paragraphs = justext.justext(html, _JT_STOPLIST, 50, 200, 0.1, 0.2, 0.2, 200, True)
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def run_readability(html: bytes) -> str:
    import lxml.html
    from readability import Document as RDoc
    from trafilatura.utils import decode_file

    summary = RDoc(decode_file(html)).summary()
    root = lxml.html.fromstring(summary)
    for el in root.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"):
        el.tail = "\n" + (el.tail or "")
    return str(root.text_content())


PEER_RUNNERS: dict[str, Callable[[bytes], str | None]] = {
    "trafilatura": run_trafilatura,
    "trafilatura-eval": run_trafilatura_eval,
    "justext": run_justext,
    "readability": run_readability,
}


def wiretrace_output(doc: Any, cleaned: Any, with_title: bool = True) -> str:
    """The text wiretrace extracts: the body spans joined by newlines, after the headline when the
    page's metadata names one (the block cleaning marked ``title``; plain text has no metadata, and a
    first line guessed to be the headline is left out)."""
    parts = [doc.text[s:e] for s, e in cleaned.body]
    if with_title and doc.title:
        parts = [doc.text[s:e] for s, e in cleaned.spans_of("title")][:1] + parts
    return "\n".join(parts)


@dataclass(slots=True)
class PageResult:
    key: str
    outputs: dict[str, str | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process (process_time)
    errors: dict[str, str] = field(default_factory=dict)
    doc: Any = None  # the wiretrace Document (HTML mode), for the corpus pass


def _ingest(page: Page) -> Any:
    from wiretrace.ingest.html import read_html_bytes

    return read_html_bytes(page.html, doc_id=page_hash(page.key)[:16], path=page.key)


def text_document(doc: Any) -> Any:
    """Plain-text mode: the page's visible text only, no markup, hints or metadata."""
    from wiretrace.model import Document

    return Document(id=doc.id, text=doc.text, path=doc.path, format="text")


def _work_page(args: tuple[Page, tuple[str, ...], bool]) -> PageResult:
    """Phase 1 in a worker: the peers, and wiretrace's ingest (timed) unless it is cached."""
    page, systems, need_doc = args
    res = PageResult(page.key)
    for name in systems:
        if name not in PEER_RUNNERS:
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            res.outputs[name] = PEER_RUNNERS[name](page.html)
        except Exception as err:  # noqa: BLE001 - a crash counts as a full miss, as in trafilatura's eval
            res.outputs[name] = None
            res.errors[name] = f"{type(err).__name__}: {err}"[:200]
        res.seconds[name] = time.perf_counter() - t0
        res.cpu[name] = time.process_time() - c0
    if need_doc:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            res.doc = _ingest(page)
        except Exception as err:  # noqa: BLE001
            res.errors["ingest"] = f"{type(err).__name__}: {err}"[:200]
        res.seconds["ingest"] = time.perf_counter() - t0
        res.cpu["ingest"] = time.process_time() - c0
    return res


def _cache_file(cache: Path, dataset: str) -> Path:
    return cache / f"{dataset}-docs.pkl"


# key -> (sha1 of the HTML, Document or None, wall seconds, CPU seconds of the ingest)
CacheEntry = tuple[str, Any, float, float]


def load_cache(cache: Path | None, dataset: str) -> dict[str, CacheEntry]:
    """Ingested documents kept between runs (an older cache without CPU times reads as NaN CPU time)."""
    if cache is None or not _cache_file(cache, dataset).exists():
        return {}
    with _cache_file(cache, dataset).open("rb") as f:
        entries = pickle.load(f)
    return {k: v if len(v) == 4 else (*v, float("nan")) for k, v in entries.items()}


def save_cache(cache: Path | None, dataset: str, entries: dict[str, CacheEntry]) -> None:
    if cache is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    with _cache_file(cache, dataset).open("wb") as f:
        pickle.dump(entries, f)


def ingest_pages(
    pages: Sequence[Page], jobs: int, cache: Path | None = None, systems: Sequence[str] = ()
) -> tuple[dict[str, Any], dict[str, tuple[float, float]], list[PageResult]]:
    """wiretrace Documents of ``pages`` (None where unreadable) and ingest (wall, CPU) seconds, plus
    the peers' results for ``systems``; documents come from ``cache`` when it holds the same HTML."""
    cached = load_cache(cache, pages[0].dataset) if pages else {}
    docs: dict[str, Any] = {}
    secs: dict[str, tuple[float, float]] = {}
    todo = []
    for p in pages:
        hit = cached.get(p.key)
        fresh = hit is not None and hit[0] == hashlib.sha1(p.html).hexdigest()
        if fresh and hit is not None:
            docs[p.key], secs[p.key] = hit[1], (hit[2], hit[3])
        todo.append((p, tuple(systems), not fresh))
    results: list[PageResult] = []
    if any(need or s for _, s, need in todo):
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for (p, _, need), res in zip(todo, pool.map(_work_page, todo, chunksize=4), strict=True):
                results.append(res)
                if need:
                    docs[p.key] = res.doc
                    secs[p.key] = (res.seconds.get("ingest", 0.0), res.cpu.get("ingest", 0.0))
                    cached[p.key] = (hashlib.sha1(p.html).hexdigest(), res.doc, *secs[p.key])
        if cache is not None and any(need for _, _, need in todo):
            save_cache(cache, pages[0].dataset, cached)
    return docs, secs, results


def _work_clean(args: tuple[Any, frozenset[str], bool]) -> tuple[Any, float, float]:
    from wiretrace.clean import clean

    doc, boiler, with_title = args
    t0, c0 = time.perf_counter(), time.process_time()
    c = clean(doc, boilerplate=boiler)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    return (wiretrace_output(doc, c, with_title), c), dt, dc


def corpus_boilerplate(docs: Sequence[Any]) -> frozenset[str]:
    from wiretrace.clean import BlockIndex, CleanConfig, learn_boilerplate

    cfg = CleanConfig()
    index = BlockIndex.of_documents(docs, cfg)
    return learn_boilerplate(index, cfg)


@dataclass(slots=True)
class Run:
    """Every system's output and time for every page of one data set."""

    pages: list[Page]
    outputs: dict[str, dict[str, str | None]]  # system -> key -> text
    seconds: dict[str, float]  # system -> total wall seconds in its worker
    cpu: dict[str, float]  # system -> total CPU seconds in its worker
    errors: Counter[str]
    cleaned: dict[str, dict[str, Any]] = field(default_factory=dict)  # mode -> key -> Cleaned
    docs: dict[str, Any] = field(default_factory=dict)  # key -> Document (HTML)


def evaluate(
    pages: list[Page], systems: Sequence[str], jobs: int, with_title: bool = True, cache: Path | None = None
) -> Run:
    outputs: dict[str, dict[str, str | None]] = {s: {} for s in systems}
    seconds: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    peers = [s for s in systems if s in PEER_RUNNERS]
    docs, ingest_secs, results = ingest_pages(pages, jobs, cache, peers)
    for res in results:
        for name, out in res.outputs.items():
            outputs[name][res.key] = out
        seconds.update({k: v for k, v in res.seconds.items() if k != "ingest"})
        cpu.update({k: v for k, v in res.cpu.items() if k != "ingest"})
        errors.update(res.errors.keys())
    errors["ingest"] = sum(1 for p in pages if docs.get(p.key) is None)
    run = Run(pages, outputs, dict(seconds), dict(cpu), errors, docs={k: d for k, d in docs.items() if d is not None})
    modes = [s for s in systems if s in WIRETRACE]
    boiler: dict[bool, frozenset[str]] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for mode in modes:
            text_mode = mode.startswith("wiretrace-text")
            corpus = mode.endswith("+corpus")
            mdocs = {k: (text_document(d) if text_mode else d) for k, d in run.docs.items()}
            bp: frozenset[str] = frozenset()
            total = total_cpu = 0.0
            if corpus:
                t0, c0 = time.perf_counter(), time.process_time()
                if text_mode not in boiler:
                    boiler[text_mode] = corpus_boilerplate(list(mdocs.values()))
                bp = boiler[text_mode]
                total += time.perf_counter() - t0
                total_cpu += time.process_time() - c0
            keys = list(mdocs)
            run.cleaned[mode] = {}
            work = [(mdocs[k], bp, with_title) for k in keys]
            for k, ((text, c), dt, dc) in zip(keys, pool.map(_work_clean, work, chunksize=8), strict=True):
                outputs[mode][k] = text
                run.cleaned[mode][k] = c
                total += dt
                total_cpu += dc
            # HTML modes pay for ingest (visible text + trafilatura's bare_extraction for the hints)
            run.seconds[mode] = total + (0.0 if text_mode else sum(w for w, _ in ingest_secs.values()))
            run.cpu[mode] = total_cpu + (0.0 if text_mode else sum(c for _, c in ingest_secs.values()))
            for p in pages:  # a page wiretrace could not read counts as a full miss
                outputs[mode].setdefault(p.key, None)
    return run


# --- reporting -------------------------------------------------------------------------------------
def table(
    run: Run, systems: Sequence[str], dataset: str, held_out: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """One row per system; ``held_out`` (page keys outside the classifier's training split) get the
    headline metric again on their own, so wiretrace's figure on pages it never trained on shows."""
    rows = []
    n = len(run.pages)
    held = [p for p in run.pages if p.key in held_out]
    for s in systems:
        secs, cpu = run.seconds.get(s, 0.0), run.cpu.get(s, 0.0)
        row: dict[str, Any] = {
            "system": s,
            "pages": n,
            "pages_per_s_core": n / cpu if cpu else 0.0,  # per CPU second: steady on a shared machine
            "pages_per_s_wall": n / secs if secs else 0.0,  # per wall second in one worker
        }
        if dataset == "trafilatura-eval":
            cm = Confusion()
            for p in run.pages:
                cm.add(count_snippets(p, run.outputs[s].get(p.key)))
            row.update(zip(("P", "R", "F1"), cm.scores(), strict=True))
            row.update(tp=cm.tp, fp=cm.fp, fn=cm.fn, tn=cm.tn)
            cm_held = Confusion()
            for p in held:
                cm_held.add(count_snippets(p, run.outputs[s].get(p.key)))
            row["held_pages"], row["F1_held"] = len(held), cm_held.scores()[2]
        else:
            for name, ng in (("tok", 1), ("sh4", 4)):
                sc = aeb_scores(
                    [shingle_match(p.gold, run.outputs[s].get(p.key) or "", ng) for p in run.pages]
                )
                row.update(zip((f"{name}_P", f"{name}_R", f"{name}_F1"), sc, strict=True))
            held_rows = [shingle_match(p.gold, run.outputs[s].get(p.key) or "", 4) for p in held]
            row["held_pages"], row["sh4_F1_held"] = len(held), aeb_scores(held_rows)[2] if held_rows else 0.0
        row["errors"] = run.errors.get(s, 0) + (run.errors.get("ingest", 0) if s in WIRETRACE else 0)
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]], dataset: str, label: str) -> None:
    print(f"\n== {dataset} ({label}, {rows[0]['pages'] if rows else 0} pages) ==")
    if dataset == "trafilatura-eval":
        print(
            f"{'system':<24}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}{'F1 held':>8}"
            f"{'p/s/core CPU':>14}{'p/s wall':>10}{'errors':>8}"
        )
        for r in rows:
            print(
                f"{r['system']:<24}{r['P']:7.3f}{r['R']:7.3f}{r['F1']:7.3f}{r['tp']:6d}{r['fp']:6d}{r['fn']:6d}"
                f"{r['F1_held']:8.3f}{r['pages_per_s_core']:14.1f}{r['pages_per_s_wall']:10.1f}{r['errors']:8d}"
            )
    else:
        print(
            f"{'system':<24}{'tok P':>7}{'tok R':>7}{'tok F1':>7}{'sh4 P':>7}{'sh4 R':>7}{'sh4 F1':>7}{'sh4 held':>9}"
            f"{'p/s/core CPU':>14}{'p/s wall':>10}{'errors':>8}"
        )
        for r in rows:
            print(
                f"{r['system']:<24}{r['tok_P']:7.3f}{r['tok_R']:7.3f}{r['tok_F1']:7.3f}"
                f"{r['sh4_P']:7.3f}{r['sh4_R']:7.3f}{r['sh4_F1']:7.3f}{r['sh4_F1_held']:9.3f}"
                f"{r['pages_per_s_core']:14.1f}{r['pages_per_s_wall']:10.1f}{r['errors']:8d}"
            )
    held = rows[0]["held_pages"] if rows else 0
    print(f"held = the {held} pages outside the classifier's training split (bench/clean_train.py never read them)")


def dump(run: Run, systems: Sequence[str], folder: Path) -> None:
    """Per-page outputs and misses for error analysis (outside the repo: dataset text)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{run.pages[0].dataset}.jsonl").open("w", encoding="utf-8") as f:
        for p in run.pages:
            row: dict[str, Any] = {"key": p.key}
            for s in systems:
                out = run.outputs[s].get(p.key)
                if p.dataset == "trafilatura-eval":
                    resn = norm(out or "")
                    row[s] = {
                        "missed": [w for w in p.with_ if norm(w) not in resn],
                        "leaked": [w for w in p.without if norm(w) in resn],
                    }
                else:
                    row[s] = {"sh4": shingle_match(p.gold, out or "", 4)}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--limit", type=int, default=0, help="only the first N pages of each data set (quick runs)"
    )
    ap.add_argument(
        "--systems", default=",".join(ALL_SYSTEMS), help=f"comma-separated, from {', '.join(ALL_SYSTEMS)}"
    )
    ap.add_argument(
        "--datasets", default=",".join(DATASETS), help=f"comma-separated, from {', '.join(DATASETS)}"
    )
    ap.add_argument(
        "--split",
        choices=("all", "train", "test", "gate"),
        default="all",
        help="trafilatura-eval pages of one split only (gate = the eval gate's subset)",
    )
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    ap.add_argument("--body-only", action="store_true", help="wiretrace's output without the headline")
    ap.add_argument("--dump", type=Path, help="write per-page misses/leaks here (keep it outside the repo)")
    ap.add_argument("--json", type=Path, help="write the result tables as JSON here")
    ap.add_argument("--cache", type=Path, help="keep wiretrace's ingested pages here between runs (outside the repo)")
    args = ap.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    bad = [s for s in systems if s not in ALL_SYSTEMS]
    if bad:
        ap.error(f"unknown system(s) {bad}; choose from {', '.join(ALL_SYSTEMS)}")
    datasets = [d for d in args.datasets.split(",") if d]
    versions = _versions()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(
        "wiretrace output: "
        + ("body spans joined by newlines" if args.body_only else "headline (where the page's metadata names it) + body spans")
    )
    print(
        f"jobs: {args.jobs} worker processes; p/s/core CPU = pages / CPU seconds the system spent in its worker "
        "(process_time), p/s wall = pages / wall seconds of the same calls"
    )
    print(_load())
    results: dict[str, Any] = {"versions": versions, "headline": not args.body_only}
    for ds in datasets:
        gate: frozenset[str] = frozenset()
        if ds == "trafilatura-eval":
            keys = evaldata_keys()
            gate = frozenset(gate_keys(keys))
            label = "all pages" if args.split == "all" else f"{args.split} split"
            if args.split != "all":
                keys = [k for k in keys if split_of(k, gate) == args.split]
            if args.limit:
                keys = keys[: args.limit]
            pages = trafilatura_eval_pages(keys)
        elif ds == "chaos":
            pages = chaos_pages()
            label = "all pages" if args.split in ("all", "gate") else f"{args.split} split"
            if args.split in ("train", "test"):
                pages = [p for p in pages if split_of(p.key) == args.split]
            if args.limit:
                pages = pages[: args.limit]
        else:
            ap.error(f"unknown data set {ds!r}; choose from {', '.join(DATASETS)}")
        t0 = time.perf_counter()
        run = evaluate(pages, systems, args.jobs, not args.body_only, args.cache)
        held = frozenset(p.key for p in pages if split_of(p.key, gate if ds == "trafilatura-eval" else frozenset()) != "train")
        rows = table(run, systems, ds, held)
        print_table(rows, ds, label)
        print(f"(wall {time.perf_counter() - t0:.0f} s; {_load()})")
        results[ds] = rows
        if args.dump:
            dump(run, systems, args.dump)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def _load() -> str:
    """The machine's load average: wall-clock speed on a shared machine is only read beside it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for lib in ("wiretrace", "trafilatura", "justext", "readability-lxml"):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


if __name__ == "__main__":
    sys.exit(main())
