"""Graded reuse on the Clough & Stevenson corpus of short answers: cut / light / heavy / non.

Reads ``../shared/data/clough-stevenson`` where it lies (``file_information.csv``, the 95 answers and
the five Wikipedia sources ``orig_task[a-e].txt``). Each answer is compared with its task's source
by ``wiretrace.compare(answer, source)`` (cleaning, verbatim and semantic alignment, relation), and
the output is read as three numbers about the answer:

* ``exact``: the pair's ``scores.lexical`` (shared word 5-grams over the smaller side's: the answer's),
  how much is copied without a change;
* ``verbatim``: share of the answer's words inside verbatim / near-verbatim passages (copied with
  small edits);
* ``covered``: share of its words inside any passage (paraphrase passages too);
* ``related``: 1 unless the relation is "unrelated".

A class comes from an ordinal rule: ``cut`` if exact >= t1, else ``light`` if verbatim >= t2, else
``heavy`` if covered >= t3 (t3 = 0: if related or covered at all), else ``non``. The thresholds
are chosen by 5-fold stratified cross-validation (a grid search for macro F1 on four folds, scored on
the fifth); the confusion matrix pools the held-out predictions. Beside it, in the same run and with
the same rule and CV, the classic baseline of the corpus' authors: word 3-gram containment of the
answer in the source (Clough & Stevenson 2011 use n-gram containment and LCS), as one score
``cut >= t1 > light >= t2 > heavy >= t3 > non``.

    .venv/bin/python bench/clough_eval.py [--cache /tmp/emb]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import DATA, require  # noqa: E402
from mrpc_eval import embedder_with_cache, stratified_folds  # noqa: E402
from wiretrace.engine.pipeline import compare  # noqa: E402
from wiretrace.model import Comparison  # noqa: E402
from wiretrace.text.tokens import words  # noqa: E402

CLOUGH = DATA / "clough-stevenson"
CLASSES = ("cut", "light", "heavy", "non")
GRID = tuple(float(x) for x in np.round(np.arange(0.0, 1.001, 0.025), 3))


@dataclass(frozen=True, slots=True)
class Answer:
    file: str
    task: str
    label: str
    text: str


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # 17 answers were saved by Windows editors


def load() -> tuple[list[Answer], dict[str, str]]:
    rows = list(csv.DictReader(require(CLOUGH / "file_information.csv").open(encoding="utf-8")))
    sources = {t: read_text(CLOUGH / f"orig_task{t}.txt") for t in sorted({r["Task"] for r in rows})}
    answers = [
        Answer(r["File"], r["Task"], r["Category"], read_text(CLOUGH / r["File"])) for r in rows if r["Category"] != "orig"
    ]
    return answers, sources


def answer_shares(pair: Comparison, answer: str) -> tuple[float, float]:
    """(verbatim, covered): shares of the answer's words inside lexical / any passages."""
    side_a = pair.a == "a"
    w = words(answer)
    if not len(w):
        return 0.0, 0.0
    starts = np.asarray(w.starts)
    ends = np.asarray(w.ends)
    lex = np.zeros(len(w), bool)
    anyp = np.zeros(len(w), bool)
    for q in pair.passages:
        s, e = q.a if side_a else q.b
        inside = (starts >= s) & (ends <= e)
        anyp |= inside
        if q.kind != "paraphrase":
            lex |= inside
    return float(lex.mean()), float(anyp.mean())


def containment(answer: str, source: str, n: int = 3) -> float:
    a, s = words(answer).tokens, words(source).tokens
    ga = {a[i : i + n] for i in range(len(a) - n + 1)}
    gs = {s[i : i + n] for i in range(len(s) - n + 1)}
    return len(ga & gs) / max(len(ga), 1)


def macro_f1_idx(y: np.ndarray, pred: np.ndarray) -> float:
    cm = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    np.add.at(cm, (y, pred), 1)
    tp = np.diag(cm)
    return float(np.mean(2 * tp / np.maximum(2 * tp + (cm.sum(0) - tp) + (cm.sum(1) - tp), 1)))


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    out = []
    for c in CLASSES:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        out.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(out))


Scores = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # exact, verbatim, covered, related


def classify(x: Scores, t: tuple[float, float, float]) -> np.ndarray:
    exact, verb, cov, related = x
    t1, t2, t3 = t
    heavy = cov >= t3 if t3 > 0 else related.astype(bool) | (cov > 0)
    return np.where(exact >= t1, 0, np.where(verb >= t2, 1, np.where(heavy, 2, 3)))


def fit_rule(x: Scores, y: np.ndarray) -> tuple[float, float, float]:
    """The (t1, t2, t3) with the best macro F1; ties go to the middle of the tied set."""
    best: list[tuple[float, float, float]] = []
    best_f = -1.0
    for t in itertools.product(GRID, GRID, GRID):
        f = macro_f1_idx(y, classify(x, t))
        if f > best_f + 1e-12:
            best_f, best = f, [t]
        elif f >= best_f - 1e-12:
            best.append(t)
    return best[len(best) // 2]


def cross_validate(x: Scores, y: np.ndarray) -> tuple[np.ndarray, list[float], list[tuple[float, float, float]]]:
    folds = stratified_folds(y)
    pred = np.zeros(len(y), dtype=int)
    f1s = []
    chosen = []
    for k in range(int(folds.max()) + 1):
        tr, te = folds != k, folds == k
        t = fit_rule((x[0][tr], x[1][tr], x[2][tr], x[3][tr]), y[tr])
        pred[te] = classify((x[0][te], x[1][te], x[2][te], x[3][te]), t)
        f1s.append(macro_f1([CLASSES[i] for i in y[te]], [CLASSES[i] for i in pred[te]]))
        chosen.append(t)
    return pred, f1s, chosen


def confusion(y: np.ndarray, pred: np.ndarray) -> str:
    lines = ["gold \\ predicted " + "".join(c.rjust(7) for c in CLASSES)]
    for i, c in enumerate(CLASSES):
        row = Counter(pred[y == i].tolist())
        lines.append(c.ljust(17) + "".join(str(row.get(j, 0)).rjust(7) for j in range(len(CLASSES))))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="folder of a wiretrace store to keep sentence vectors in between runs")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--show", action="store_true", help="print every answer's scores")
    args = ap.parse_args()

    answers, sources = load()
    emb, close = embedder_with_cache(args.cache)
    t0 = time.perf_counter()
    rows = []
    for ans in answers:
        pair = compare(ans.text, sources[ans.task], embedder=emb)
        verb, cov = answer_shares(pair, ans.text)
        rows.append((ans, pair.relation or "unrelated", verb, cov, containment(ans.text, sources[ans.task]), pair.scores.lexical))
    close()
    elapsed = time.perf_counter() - t0
    y = np.array([CLASSES.index(a.label) for a, *_ in rows])
    verb = np.array([r[2] for r in rows])
    cov = np.array([r[3] for r in rows])
    related = np.array([r[1] != "unrelated" for r in rows])
    c3 = np.array([r[4] for r in rows])
    exact = np.array([r[5] for r in rows])
    print(f"Clough & Stevenson: {len(rows)} answers ({', '.join(f'{c} {int((y == i).sum())}' for i, c in enumerate(CLASSES))}), "
          f"compare() on each in {elapsed:.1f} s ({emb.embedded} sentences embedded)")
    if args.show:
        for (a, rel, v, c, g3, ex) in rows:
            print(f"  {a.file:<16} {a.label:<6} {rel:<15} exact {ex:.2f} verbatim {v:.2f} covered {c:.2f} 3-gram {g3:.2f}")
    print("\nrelation given by compare(), by class:")
    for i, c in enumerate(CLASSES):
        rels = Counter(r[1] for r, yy in zip(rows, y, strict=True) if yy == i)
        print(f"  {c:<6} " + ", ".join(f"{k} {v}" for k, v in rels.most_common()))
    out: dict[str, object] = {}
    for name, x in {
        "wiretrace compare() (exact, verbatim, covered, relation)": (exact, verb, cov, related),
        "baseline: word 3-gram containment": (c3, c3, c3, np.ones(len(c3), bool)),
    }.items():
        pred, f1s, chosen = cross_validate(x, y)
        acc = float((pred == y).mean())
        pooled = macro_f1([CLASSES[i] for i in y], [CLASSES[i] for i in pred])
        print(f"\n{name}: 5-fold CV macro F1 {np.mean(f1s):.4f} ± {np.std(f1s):.4f} (pooled held-out macro F1 {pooled:.4f}, accuracy {acc:.4f})")
        print("  thresholds (t1, t2, t3) chosen per fold: " + "; ".join(f"{a:.3f}, {b:.3f}, {c:.3f}" for a, b, c in chosen))
        print(confusion(y, pred))
        out[name] = {"macro_f1": float(np.mean(f1s)), "pooled_macro_f1": pooled, "accuracy": acc, "thresholds": chosen}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
