"""Train the cleaner's block classifier and write its weights, ``src/wiretrace/clean/data/``.

Training data: the ``train`` split (a fixed hash rule, ``clean_eval.split_of``) of the two data sets
``bench/clean_eval.py`` measures on; the ``test`` split and the eval gate's 150 pages are never read
here beyond their keys. Labels per block:

* trafilatura-eval: a block holding a "with" snippet is body; a block that a "without" snippet
  fills (>= 30% of its characters, or the block is short) is noise; other blocks carry no label.
* chaos: a block whose word trigrams are mostly (>= 0.6) in the human gold text is body, mostly not
  (<= 0.2) is noise; short blocks are body when they equal a gold line and noise when none of their
  words is in the gold.

The two data sets get equal total weight; a chaos block weighs by its words (the metric counts
words). Two stacked logistic regressions per mode ("html": with markup hints, "text": the visible
text only); stage 2 is trained on out-of-fold stage-1 probabilities. In ``--tree-modes`` (plain
text) stage 2's p(body) is blended (``--blend``) with gradient-boosted trees over the same features
(scikit-learn here, exported as node arrays that ``clean.classifier.Trees`` evaluates with numpy).
The threshold maximises the mean of the two data sets' F1 on the training pages (with trees, on
out-of-fold stage-2 probabilities: trees fit their own rows too closely).

``--modes text`` retrains plain-text mode only: HTML mode keeps its weights, and the lexicon stays the
one the weights files have (its features read it); out-of-fold lexicons still feed the training rows.

The weights are data (``wiretrace.clean.weights``): ``html.json`` and ``text.json`` (one mode's model
each, indented, sorted keys) and ``lexicon.tsv`` (``word<TAB>weight`` lines), each with a meta block:
format version, feature names in order, the SHA-256 of the training split's page keys, and the
thresholds and F1 this script reports.

    .venv/bin/python bench/clean_train.py --cache /tmp/wiretrace-clean-cache [--modes text]
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import clean_eval as ce  # noqa: E402

from wiretrace.clean import HARD_KINDS, analyse, weights  # noqa: E402
from wiretrace.clean.classifier import Linear, Trees  # noqa: E402
from wiretrace.clean.features import (  # noqa: E402
    LEXICON,
    STAGE1,
    BlockInfo,
    PageFeatures,
    lexicon_features,
    lexicon_words,
    stage2_features,
    stage2_names,
)  # noqa: E402
from wiretrace.model import Document  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "wiretrace" / "clean" / "data"
FOLDS = 5  # stage 2 and the lexicon features are trained on out-of-fold values
# a change to either invalidates the cached training data (delete the cache after changing the labels)
SOURCES = tuple(sorted((ROOT / "src" / "wiretrace" / "clean").glob("*.py")))
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(slots=True)
class DocData:
    dataset: str
    key: str
    infos: list[BlockInfo]
    spans: list[tuple[int, int]]
    hard: np.ndarray  # blocks the rules decide alone (never body)
    features: PageFeatures
    y: np.ndarray  # 1 body, 0 noise, -1 no label
    w: np.ndarray
    page: ce.Page


def _occurrences(text: str, snippet: str) -> list[tuple[int, int]]:
    toks = snippet.split()
    if not toks:
        return []
    pat = r"\s+".join(re.escape(t) for t in toks)
    return [(m.start(), m.end()) for m in re.finditer(pat, text)]


def label_snippets(text: str, spans: Sequence[tuple[int, int]], page: ce.Page) -> np.ndarray:
    y = np.full(len(spans), -1.0)
    starts = np.array([s for s, _ in spans])
    ends = np.array([e for _, e in spans])
    pos = np.zeros(len(spans), bool)
    neg = np.zeros(len(spans), bool)
    for w in page.with_:
        for s, e in _occurrences(text, w):
            pos |= (starts < e) & (s < ends)
    for w in page.without:
        for s, e in _occurrences(text, w):
            hit = np.flatnonzero((starts < e) & (s < ends))
            for i in hit:
                blen = ends[i] - starts[i]
                covered = min(e, ends[i]) - max(s, starts[i])
                if covered >= 0.3 * blen or blen < 40:
                    neg[i] = True
    y[pos] = 1.0
    y[neg & ~pos] = 0.0
    return y


def label_gold(text: str, spans: Sequence[tuple[int, int]], gold: str) -> np.ndarray:
    gtoks = [t.lower() for t in _WORD.findall(gold)]
    gset = set(gtoks)
    grams = {tuple(gtoks[i : i + 3]) for i in range(len(gtoks) - 2)}
    glines = {" ".join(line.lower().split()) for line in gold.splitlines() if line.strip()}
    y = np.full(len(spans), -1.0)
    for i, (s, e) in enumerate(spans):
        toks = [t.lower() for t in _WORD.findall(text[s:e])]
        if len(toks) >= 3:
            tri = [tuple(toks[j : j + 3]) for j in range(len(toks) - 2)]
            frac = sum(1 for t in tri if t in grams) / len(tri)
            y[i] = 1.0 if frac >= 0.6 else (0.0 if frac <= 0.2 else -1.0)
        elif toks:
            if " ".join(text[s:e].lower().split()) in glines:
                y[i] = 1.0
            elif not any(t in gset for t in toks):
                y[i] = 0.0
    return y


def synthetic_docs(d: DocData, text: str, rng: np.random.Generator) -> list[DocData]:
    """Documents built from a chaos page's gold text, bare or between some of the page's own noise
    blocks: wiretrace mostly reads clean feeds and text files, which web pages alone do not teach."""
    gold = [line.strip() for line in d.page.gold.splitlines() if line.strip()]
    if len(gold) < 2:
        return []
    body = [i for i, y in enumerate(d.y) if y == 1]
    noise = [i for i, y in enumerate(d.y) if y == 0]
    head = [i for i in noise if body and i < body[0]]
    tail = [i for i in noise if body and i > body[-1]]
    out = []
    for variant in range(2):
        k1 = 0 if variant == 0 else int(rng.integers(0, min(len(head), 12) + 1))
        k2 = 0 if variant == 0 else int(rng.integers(0, min(len(tail), 12) + 1))
        pre = [text[slice(*d.spans[i])] for i in head[len(head) - k1 :]] if k1 else []
        post = [text[slice(*d.spans[i])] for i in tail[:k2]]
        lines_ = pre + gold + post
        labels = [0.0] * len(pre) + [1.0] * len(gold) + [0.0] * len(post)
        doc = Document(f"syn-{d.key}-{variant}", "\n".join(lines_), "synthetic", "text")
        an = analyse(doc, lexicon={})
        if len(an.blocks) != len(lines_):
            continue
        infos = an.infos
        hard = np.array([b.kind in HARD_KINDS or b.sure for b in an.blocks], bool)
        spans = [(b.start, b.end) for b in an.blocks]
        out.append(
            DocData("synthetic", doc.id, infos, spans, hard, an.features, np.array(labels), np.ones(len(labels)), d.page)
        )
    return out


def doc_data(page: ce.Page, doc: Any) -> DocData:
    an = analyse(doc, lexicon={})  # lexicon features are filled in later, out of fold
    spans = [(b.start, b.end) for b in an.blocks]
    infos = an.infos
    if page.dataset == "trafilatura-eval":
        y = label_snippets(doc.text, spans, page)
        w = np.ones(len(spans))
    else:
        y = label_gold(doc.text, spans, page.gold)
        nw = np.array([max(1, b.n_words) for b in an.blocks], dtype=float)
        lab = y >= 0
        w = nw / max(1.0, nw[lab].sum()) * max(1, int(lab.sum())) if lab.any() else nw
    hard = np.array([b.kind in HARD_KINDS or b.sure for b in an.blocks], bool)
    return DocData(page.dataset, page.key, infos, spans, hard, an.features, y, w, page)


# --- logistic regression (Newton / IRLS, L2) ---------------------------------------------------------
def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: Sequence[str], l2: float = 1.0) -> Linear:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    z1 = np.hstack([z, np.ones((len(z), 1))])
    beta = np.zeros(z1.shape[1])
    reg = np.full(z1.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(z1 @ beta, -30, 30)))
        g = z1.T @ (w * (p - y)) + reg * beta
        h = (z1 * (w * p * (1 - p))[:, None]).T @ z1 + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, g)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return Linear(tuple(names), mean, scale, beta[:-1], float(beta[-1]))


def fit_mlp(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, names: Sequence[str], hidden: int = 16, l2: float = 1e-3,
    epochs: int = 400, seed: int = 0,
) -> Linear:
    """One hidden tanh layer, full-batch Adam on the weighted log loss plus L2."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    wn = w / w.sum()
    params = {
        "w1": rng.normal(0, 1 / np.sqrt(z.shape[1]), (z.shape[1], hidden)),
        "b1": np.zeros(hidden),
        "w": rng.normal(0, 1 / np.sqrt(hidden), hidden),
        "b": np.zeros(1),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    lr, b1_, b2_ = 0.01, 0.9, 0.999
    for t in range(1, epochs + 1):
        h = np.tanh(z @ params["w1"] + params["b1"])
        p = 1 / (1 + np.exp(-np.clip(h @ params["w"] + params["b"][0], -30, 30)))
        d = wn * (p - y)
        grads = {
            "w": h.T @ d + l2 * params["w"],
            "b": np.array([d.sum()]),
        }
        dh = np.outer(d, params["w"]) * (1 - h * h)
        grads["w1"] = z.T @ dh + l2 * params["w1"]
        grads["b1"] = dh.sum(axis=0)
        for k in params:
            m[k] = b1_ * m[k] + (1 - b1_) * grads[k]
            v[k] = b2_ * v[k] + (1 - b2_) * grads[k] ** 2
            params[k] -= lr * (m[k] / (1 - b1_**t)) / (np.sqrt(v[k] / (1 - b2_**t)) + 1e-8)
    return Linear(tuple(names), mean, scale, params["w"], float(params["b"][0]), params["w1"], params["b1"])


def fit_any(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: Sequence[str], kind: str, l2: float) -> Linear:
    if kind == "mlp":
        return fit_mlp(x, y, w, names, hidden=HIDDEN, l2=l2 * 1e-3, epochs=EPOCHS)
    return fit(x, y, w, names, l2)


HIDDEN, EPOCHS = 16, 400


def fit_trees(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: Sequence[str], n: int, depth: int = 4) -> Trees:
    """Gradient-boosted trees (scikit-learn, here only), exported as the flat node arrays ``Trees``
    evaluates with numpy at run time."""
    from sklearn.ensemble import GradientBoostingClassifier

    gb = GradientBoostingClassifier(n_estimators=n, max_depth=depth, learning_rate=0.05, subsample=0.8, random_state=0)
    gb.fit(x, y, sample_weight=w)
    roots, feature, threshold, left, right, value = [], [], [], [], [], []
    for est in gb.estimators_[:, 0]:
        t = est.tree_
        off = len(feature)
        roots.append(off)
        leaf = t.children_left < 0
        ids = np.arange(t.node_count)
        feature += np.where(leaf, -1, t.feature).tolist()
        threshold += np.where(leaf, 0.0, t.threshold).tolist()
        left += (np.where(leaf, ids, t.children_left) + off).tolist()
        right += (np.where(leaf, ids, t.children_right) + off).tolist()
        value += t.value[:, 0, 0].tolist()
    init = float(gb._raw_predict_init(x[:1]).ravel()[0])
    trees = Trees(
        tuple(names), init, 0.05, np.array(roots), np.array(feature), np.array(threshold), np.array(left),
        np.array(right), np.array(value), depth,
    )  # fmt: skip
    check = x[: min(len(x), 2000)]
    if not np.allclose(trees.logits(check), gb.decision_function(check), atol=1e-6):
        raise SystemExit("exported trees disagree with scikit-learn's")
    return trees


def _rows(docs: Sequence[DocData], x: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ws = [], [], []
    for d, xd in zip(docs, x, strict=True):
        m = (d.y >= 0) & ~d.hard
        xs.append(xd[m])
        ys.append(d.y[m])
        ws.append(d.w[m])
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


SHARES = {"trafilatura-eval": 1.0, "chaos": 1.0, "synthetic": 0.3}


def _balance(docs: Sequence[DocData]) -> None:
    """Total weight per data set in the proportions of SHARES (each real data set counts the same)."""
    tot = {ds: sum(float(d.w[(d.y >= 0) & ~d.hard].sum()) for d in docs if d.dataset == ds) for ds in SHARES}
    target = max(tot.values())
    for d in docs:
        if tot.get(d.dataset):
            d.w = d.w * (SHARES[d.dataset] * target / tot[d.dataset])


def train_mode(
    docs: list[DocData], mode: str, folds: int = FOLDS, l2: float = 1.0, kind: str = "lr"
) -> tuple[Linear, Linear, list[np.ndarray]]:
    """Stage 1 on all training docs; stage 2 on out-of-fold stage-1 probabilities."""
    fold_of = [fold(d, folds) for d in docs]
    p1_oof: list[np.ndarray] = [np.zeros(len(d.infos)) for d in docs]
    for k in range(folds):
        tr = [d for d, f in zip(docs, fold_of, strict=True) if f != k]
        m = fit_any(*_rows(tr, [d.features.x1 for d in tr]), STAGE1, kind, l2)
        for i, (d, f) in enumerate(zip(docs, fold_of, strict=True)):
            if f == k:
                p1_oof[i] = m.predict(d.features.x1)
    stage1 = fit_any(*_rows(docs, [d.features.x1 for d in docs]), STAGE1, kind, l2)
    x2 = [np.hstack([d.features.x1, stage2_features(d.infos, d.features, p, mode)]) for d, p in zip(docs, p1_oof, strict=True)]
    stage2 = fit_any(*_rows(docs, x2), STAGE1 + stage2_names(mode), kind, l2)
    return stage1, stage2, x2


def oof_stage2(docs: Sequence[DocData], x2: Sequence[np.ndarray], names: Sequence[str], args: argparse.Namespace, blend: float) -> list[np.ndarray]:
    """Stage-2 p(body) of each training page from a stage 2 (regression and trees) fitted without the
    page's fold, to pick the threshold on."""
    fold_of = [fold(d) for d in docs]
    out = [np.zeros(len(d.infos)) for d in docs]
    for k in range(FOLDS):
        keep = [i for i, f in enumerate(fold_of) if f != k]
        rows = _rows([docs[i] for i in keep], [x2[i] for i in keep])
        lin = fit_any(*rows, names, args.model, args.l2)
        trees = fit_trees(*rows, names, args.trees, args.tree_depth)
        for i, f in enumerate(fold_of):
            if f == k:
                out[i] = (1 - blend) * lin.predict(x2[i]) + blend * trees.predict(x2[i])
    return out


def fold(d: DocData, folds: int = FOLDS) -> int:
    """A page's fold (synthetic documents go with the page they were made from)."""
    return int(ce.page_hash("fold:" + d.page.key)[:8], 16) % folds


LEX_COLUMNS = [STAGE1.index(n) for n in LEXICON]


def build_lexicon(docs: Sequence[DocData], min_pages: int = 3, size: int = 4000, alpha: float = 2.0) -> dict[str, float]:
    """Smoothed log-odds of a word being in a body block rather than a noise block, over the
    labelled blocks of real pages (raw counts: a word seen on few pages stays near 0); only words
    seen on ``min_pages`` pages or more (no page's own topic words), the ``size`` best supported."""
    body: dict[str, int] = {}
    noise: dict[str, int] = {}
    pages: dict[str, set[str]] = {}
    nb = nn = 0
    for d in docs:
        if d.dataset not in ce.DATASETS:
            continue
        for toks, y, h in zip(d.features.tokens, d.y, d.hard, strict=True):
            if y < 0 or h:
                continue
            target = body if y == 1 else noise
            nb, nn = nb + (y == 1), nn + (y == 0)
            for t in lexicon_words(toks):
                target[t] = target.get(t, 0) + 1
                pages.setdefault(t, set()).add(d.page.key)
    prior = 0.0  # no base rate: the classifier's bias takes it
    scored = []
    for t, ps in pages.items():
        if len(ps) < min_pages:
            continue
        lo = float(np.clip(np.log((body.get(t, 0) + alpha) / (noise.get(t, 0) + alpha)) - prior, -3, 3))
        if abs(lo) >= 0.3:
            scored.append((len(ps), t, lo))
    scored.sort(reverse=True)
    return {t: round(lo, 3) for _, t, lo in scored[:size]}


def fill_lexicon(data: dict[str, dict[str, list[DocData]]], keep: dict[str, float] | None = None) -> dict[str, float]:
    """Lexicon features of every document: out of fold for training pages (a page never sees a
    lexicon built with its own blocks), from all training pages for test pages. ``keep``: the
    lexicon ``lexicon.tsv`` holds, for test pages and the output (the modes not retrained read it)."""
    train = data["html"]["train"]
    full = build_lexicon(train) if keep is None else keep
    per_fold = {k: build_lexicon([d for d in train if fold(d) != k]) for k in range(FOLDS)}
    for mode in data:
        for split, docs in data[mode].items():
            for d in docs:
                lex = per_fold[fold(d)] if split == "train" else full
                d.features.x1[:, LEX_COLUMNS] = lexicon_features(d.features.tokens, lex)
    return full


def predict_docs(
    docs: Sequence[DocData], stage1: Linear, stage2: Linear, mode: str, trees: Trees | None = None, blend: float = 0.0
) -> list[np.ndarray]:
    out = []
    for d in docs:
        p1 = stage1.predict(d.features.x1)
        x2 = np.hstack([d.features.x1, stage2_features(d.infos, d.features, p1, mode)])
        p2 = stage2.predict(x2)
        out.append(p2 if trees is None else (1 - blend) * p2 + blend * trees.predict(x2))
    return out


def page_scores(
    docs: Sequence[DocData], probs: Sequence[np.ndarray], texts: dict[str, str], t: float, rt: float | None = None
) -> dict[str, float]:
    """Each data set's F1 when blocks with p >= t (rt for rule-named blocks; never hard-ruled ones)
    are the output."""
    rt = t if rt is None else rt
    cm = ce.Confusion()
    rows = []
    for d, p in zip(docs, probs, strict=True):
        if d.dataset not in ce.DATASETS:
            continue
        text = texts[d.key]
        out = "\n".join(
            text[s:e]
            for (s, e), pi, h, info in zip(d.spans, p, d.hard, d.infos, strict=True)
            if not h and pi >= (rt if info.kind else t)
        )
        if d.dataset == "trafilatura-eval":
            cm.add(ce.count_snippets(d.page, out))
        else:
            rows.append(ce.shingle_match(d.page.gold, out, 1))
    res = {}
    if cm.tp + cm.fn:
        res["trafilatura-eval"] = cm.scores()[2]
    if rows:
        res["chaos"] = ce.aeb_scores(rows)[2]
    return res


def best_threshold(
    docs: Sequence[DocData], probs: Sequence[np.ndarray], texts: dict[str, str]
) -> tuple[float, float, dict[str, float]]:
    """The threshold, then the one for rule-named blocks, that maximise the mean F1 of the data sets."""
    best: tuple[float, float, float, dict[str, float]] = (-1.0, 0.5, 0.5, {})
    for t in np.arange(0.2, 0.81, 0.025):
        sc = page_scores(docs, probs, texts, float(t))
        m = float(np.mean(list(sc.values())))
        if m > best[0]:
            best = (m, float(t), float(t), sc)
    t = best[1]
    for rt in (0.7, 0.8, 0.9, 0.95, 0.98, 1.01):
        if rt <= t:
            continue
        sc = page_scores(docs, probs, texts, t, rt)
        m = float(np.mean(list(sc.values())))
        if m >= best[0] - 0.0005:  # the rules are worth keeping unless they cost F1
            best = (m, t, rt, sc)
    return best[1], best[2], best[3]


def load_data(
    pages: dict[str, list[ce.Page]], gate: frozenset[str], args: argparse.Namespace
) -> tuple[dict[str, dict[str, list[DocData]]], dict[str, str]]:
    """Blocks, features and labels of every train and test page, per mode (cached by source hash)."""
    src_hash = hashlib.sha1(b"".join(p.read_bytes() for p in SOURCES)).hexdigest()[:16]
    cache_file = args.cache / f"train-data-{src_hash}.pkl" if args.cache else None
    if cache_file is not None and cache_file.exists():
        with cache_file.open("rb") as f:
            return pickle.load(f)  # type: ignore[no-any-return]
    data: dict[str, dict[str, list[DocData]]] = {"html": {"train": [], "test": []}, "text": {"train": [], "test": []}}
    texts: dict[str, str] = {}
    rng = np.random.default_rng(0)
    for ds, ps in pages.items():
        docs, _, _ = ce.ingest_pages(ps, args.jobs, args.cache)
        for p in ps:
            split = ce.split_of(p.key, gate if ds == "trafilatura-eval" else frozenset())
            doc = docs.get(p.key)
            if doc is None or split == "gate":
                continue  # the eval gate's pages are never used here
            texts[p.key] = doc.text
            data["html"][split].append(doc_data(p, doc))
            data["text"][split].append(doc_data(p, ce.text_document(doc)))
            if ds == "chaos" and split == "train":
                syn = synthetic_docs(data["text"][split][-1], doc.text, rng)
                data["text"]["train"].extend(syn)
                data["html"]["train"].extend(syn)
    if cache_file is not None:
        with cache_file.open("wb") as f:
            pickle.dump((data, texts), f)
    return data, texts


def main(argv: Sequence[str] | None = None) -> int:
    global HIDDEN, EPOCHS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/wiretrace-clean-cache"), help="ingested pages (outside the repo)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--model", choices=("lr", "mlp"), default="lr")
    ap.add_argument("--hidden", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--modes", default="html,text", help="modes to train; the others keep their weights (same lexicon)")
    ap.add_argument("--trees", type=int, default=0,
                    help="boosted trees blended into stage 2 (0: none; 200 overfit the training pages, see bench/README)")
    ap.add_argument("--tree-depth", type=int, default=4)
    ap.add_argument("--tree-modes", default="text", help="modes whose stage 2 gets the trees")
    ap.add_argument("--blend", type=float, default=0.5, help="the trees' share of p(body)")
    ap.add_argument("--dry-run", action="store_true", help="train and report, do not write the weights")
    args = ap.parse_args(argv)
    HIDDEN, EPOCHS = args.hidden, args.epochs

    keys = ce.evaldata_keys()
    gate = frozenset(ce.gate_keys(keys))
    pages: dict[str, list[ce.Page]] = {
        "trafilatura-eval": ce.trafilatura_eval_pages(),
        "chaos": ce.chaos_pages(),
    }
    t0 = time.perf_counter()
    data, texts = load_data(pages, gate, args)
    lexicon = fill_lexicon(data, keep=_kept_lexicon(args.modes.split(",")))
    print(f"data ready in {time.perf_counter() - t0:.0f} s; lexicon of {len(lexicon)} words")
    models: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for mode in args.modes.split(","):
        train, test = data[mode]["train"], data[mode]["test"]
        _balance(train)
        stage1, stage2, x2 = train_mode(train, mode, l2=args.l2, kind=args.model)
        trees = fit_trees(*_rows(train, x2), stage2.names, args.trees, args.tree_depth) if args.trees and mode in args.tree_modes else None
        blend = args.blend if trees is not None else 0.0
        if trees is None:
            ptrain = predict_docs(train, stage1, stage2, mode)
        else:  # trees fit their own training rows too closely to pick the threshold on
            ptrain = oof_stage2(train, x2, stage2.names, args, blend)
        t, rt, sc_train = best_threshold(train, ptrain, texts)
        sc_test = page_scores(test, predict_docs(test, stage1, stage2, mode, trees, blend), texts, t, rt)
        n_rows = {ds: int(sum(((d.y >= 0) & ~d.hard).sum() for d in train if d.dataset == ds)) for ds in ce.DATASETS}
        print(f"[{mode}] threshold {t:.3f} / {rt:.2f}  train {fmt(sc_train)}  test {fmt(sc_test)}  labelled blocks {n_rows}")
        models[mode] = {"stage1": stage1.to_dict(), "stage2": stage2.to_dict(), "threshold": round(t, 4), "rule_threshold": round(rt, 4)}
        if trees is not None:
            models[mode] |= {"stage2_trees": trees.to_dict(), "blend": blend}
        report[mode] = {"threshold": t, "rule_threshold": rt, "train": sc_train, "test": sc_test, "labelled_blocks": n_rows,
                        "train_pages": len(train), "test_pages": len(test), "model": args.model,
                        "trees": len(trees.roots) if trees is not None else 0, "blend": blend}
    if not args.dry_run:
        split = training_split(data)
        models, report = keep_other_modes(models, report, lexicon, split)
        for path in write_weights(models, report, lexicon, split):
            print(f"wrote {path}")
    return 0


def fmt(sc: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3f}" for k, v in sc.items())


def training_split(data: dict[str, dict[str, list[DocData]]]) -> str:
    """SHA-256 of the keys of the pages trained on (a synthetic document counts as its page)."""
    return weights.split_digest({d.page.key for mode in data.values() for d in mode["train"]})


def _shipped() -> tuple[dict[str, float], dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    """The lexicon and the models (with their meta blocks) the package holds now."""
    lexicon, _ = weights.read_lexicon(OUT / weights.LEXICON_FILE)
    return lexicon, {m: weights.read_model(OUT / weights.model_file(m), m) for m in weights.MODES}


def _kept_lexicon(modes: Sequence[str]) -> dict[str, float] | None:
    """The shipped lexicon when some modes are not retrained (their features read it)."""
    if all(m in modes for m in weights.MODES):
        return None
    return weights.read_lexicon(OUT / weights.LEXICON_FILE)[0]


def keep_other_modes(
    models: dict[str, Any], report: dict[str, Any], lexicon: dict[str, float], split: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The modes not trained in this run keep the weights they have: their features read the lexicon,
    so it must come out as it was (it does while the labels and the blocks do not change), and they
    were trained on the same split."""
    kept = [m for m in weights.MODES if m not in models]
    if not kept:
        return models, report
    old_lexicon, old = _shipped()
    if lexicon != old_lexicon:
        raise SystemExit("the lexicon changed: retrain all modes, not only " + ", ".join(models))
    for m in kept:
        if old[m][1]["training_split_sha256"] != split:
            raise SystemExit(f"the training split changed since {m} was trained: retrain all modes")
    return (
        {**{m: old[m][0] for m in kept}, **models},
        {**{m: old[m][1]["training"] for m in kept}, **report},
    )


def write_weights(models: dict[str, Any], report: dict[str, Any], lexicon: dict[str, float], split: str) -> list[Path]:
    """``clean/data``: one file per mode (model + meta) and the lexicon."""
    paths = [weights.write_lexicon(OUT, lexicon, split)]
    paths += [weights.write_model(OUT, m, models[m], report[m], split, lexicon) for m in weights.MODES]
    return paths


if __name__ == "__main__":
    sys.exit(main())
