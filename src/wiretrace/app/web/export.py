"""The static export of the story browser (``site/``): a small client-side app over data shards.

Why this design: one HTML page per document, pair and story (what this export used to write) costs
a few milliseconds each, so 40,000 pages on 21,000 documents took minutes and a million documents
would take hours and millions of files. Here the work grows with the corpus only as fast as writing
its data does:

* ``index.html`` is the story list's first page rendered by the same template as ``wiretrace serve``
  (it reads without JavaScript); ``static/app.js`` pages through every order of the list (size,
  outlets, copying, recency) from ``data/list-<order>-<n>.js`` shards of ``PER_PAGE`` rows each.
* ``search.html`` searches a prebuilt index: ``data/terms-<k>.js`` shards hold, for each word of
  the headlines, the pages' titles and outlets and the ids, the stories carrying it (the largest
  ``POSTINGS`` first); a word's shard is the FNV-1a hash of its UTF-8 bytes modulo the shard count,
  so a query loads one small file per word, whatever the corpus size.
* Stories of several documents get pages of their own (the same template and view as the server,
  sources paginated, graph collapsed); a single document's story is its document.
* ``doc.html#id=...`` and ``pair.html#a=...&b=...`` draw a document or a pair from hashed bucket
  shards (``data/docs/<n>.js``, ``data/pairs/<n>.js``, about ``BUCKET`` items each).

Shards are JSONP-style scripts (``wiretraceData("key", {...})``) so that the pages work from
``file://`` (Chromium refuses ``fetch`` there). The JSON inside is escaped for a script context
(``<``, ``>``, ``&``, U+2028/2029 as ``\\uXXXX``), and the app builds every element with DOM calls and
``textContent``: article text is never markup. A run into an existing ``site/`` rewrites only the
files whose bytes changed, renders story pages only when the story, its members or their pairs
changed (``data/manifest.json`` holds a fingerprint per story), and removes what no longer exists.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import xxhash

from wiretrace.app.web import views
from wiretrace.engine.store import Store
from wiretrace.model import DocMeta, Document, Pair, Report, Story
from wiretrace.report import links, marks
from wiretrace.report.codecs import pair_to_json, story_to_json
from wiretrace.report.links import StaticLinks
from wiretrace.report.marks import STATIC as MARKS_STATIC
from wiretrace.report.marks import direction_words

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
PER_PAGE = views.PER_PAGE
POSTINGS = 200  # stories kept per search word (the largest)
BUCKET = 100  # documents (pairs) per data shard, on average
TERMS_PER_SHARD = 400
_WORD = re.compile(r"\w+", re.UNICODE)


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes; app.js computes the same to find a shard."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def js_data(key: str, value: Any) -> str:
    """A JSONP shard: JSON escaped so that nothing in it can end a script or open markup."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"wiretraceData({json.dumps(key)},{body});\n"


def search_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 1 or w.isdigit()}


def pair_key(a: str, b: str) -> str:
    x, y = sorted((a, b))
    return x + "\n" + y


class _Writer:
    """Writes files under ``root`` only where their bytes change; remembers what this run produced."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.produced: set[Path] = set()
        self.written = 0

    def keep(self, name: str) -> None:
        self.produced.add(self.root / name)

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        self.produced.add(path)
        data = text.encode("utf-8")
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.written += 1

    def remove_stale(self, patterns: Iterable[str]) -> int:
        gone = 0
        for pattern in patterns:
            for path in self.root.glob(pattern):
                if path.is_file() and path not in self.produced:
                    path.unlink()
                    gone += 1
        return gone


def _code_version() -> str:
    """Changes when the templates, the views, the shared marks or this module change: story pages are then
    redrawn."""
    h = xxhash.xxh64()
    shared = [Path(marks.__file__), Path(links.__file__)]  # the marks and links every page is drawn with
    for path in sorted([*TEMPLATES.glob("*.j2"), HERE / "views.py", HERE / "graph.py", Path(__file__), *shared]):
        h.update(path.read_bytes())
    return h.hexdigest()


def _row_json(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["dots"] = [[d.x, d.y, d.cls, d.tooltip] for d in row["dots"]]
    return out


def _doc_entry(d: Document, cleaned: Any, story: Story | None, related: list[Pair], links: StaticLinks) -> dict[str, Any]:
    rel = []
    for p in related:
        other = p.b if p.a == d.id else p.a
        covered = p.scores.a_covered if p.a == d.id else p.scores.b_covered
        rel.append([other, links.document(other), links.pair(p.a, p.b), p.relation, covered, len(p.passages)])
    return {
        "id": d.id, "title": d.title or "", "source": d.source or "", "url": d.url or "", "published": d.published or "",
        "format": d.format, "encoding": d.encoding, "path": d.path, "text": d.text,
        "segs": [[s.start, s.end, s.kind, s.reason] for s in cleaned.segments] if cleaned is not None else None,
        "story": [story.id, views.story_href(story, links), story.headline or story.title or story.id, story.origin]
        if story is not None else None,
        "related": rel,
    }


def _pair_entry(p: Pair) -> dict[str, Any]:
    return {
        "a": p.a, "b": p.b, "relation": p.relation,
        "direction": direction_words(p.direction, p.a, p.b),
        "scores": [p.scores.lexical, p.scores.semantic, p.scores.a_covered, p.scores.b_covered],
        "reasons": list(p.reasons),
        "passages": [[q.a[0], q.a[1], q.b[0], q.b[1], q.kind, q.score] for q in p.passages],
        "slots": [[x[0], x[1], y[0], y[1]] for x, y in p.slots],  # a template pair's differing fillers
    }


def export_site(
    store_dir: str | Path, out: str | Path, progress: Callable[[str, int, int], None] | None = None,
    report: Report | None = None,
) -> int:
    """Write the static story browser of the store under ``out``; the number of files written or
    rewritten (unchanged files are left alone). ``report``: the run's report when the caller holds
    it (``wiretrace run`` does), so the store's texts are not read a second time."""
    from wiretrace.app.web.pages import render

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = _Writer(out)
    links = StaticLinks()
    store = Store(store_dir)
    try:
        with store.snapshot():
            known = store.known_ids()
            if report is None:
                stories, docs, cleaned, pairs = store.stories(), store.documents(), store.cleaned(), store.pairs()
            else:
                stories, cleaned, pairs = report.stories, report.cleaned, report.pairs
                docs = {d.id: d for d in report.documents}
    finally:
        store.close()
    meta = {i: DocMeta(i, d.source, d.url, d.title, d.published, len(d.text), d.format, d.path) for i, d in docs.items()}
    n_docs, n_stories, n_pairs = len(docs), len(stories), len(pairs)
    for f in sorted([*STATIC.iterdir(), *MARKS_STATIC.iterdir()]):
        if f.is_file():
            w.write("static/" + f.name, f.read_text(encoding="utf-8"))
    story_of = {d: s for s in stories for d in s.documents}
    by_doc: dict[str, list[Pair]] = {}
    for p in pairs:
        by_doc.setdefault(p.a, []).append(p)
        by_doc.setdefault(p.b, []).append(p)

    # the story list: one shard set per order; the first page of the default order is index.html
    rows = views.list_rows(stories, meta)
    drawn: dict[str, dict[str, Any]] = {}
    pages = max(1, -(-len(rows) // PER_PAGE))
    size_order: list[views.ListRow] = []
    for sort in views.SORTS:
        ordered = views.sort_rows(rows, sort)
        if sort == "size":
            size_order = ordered
        for n in range(pages):
            chunk = ordered[n * PER_PAGE : (n + 1) * PER_PAGE]
            data = []
            for r in chunk:
                if r.story.id not in drawn:
                    drawn[r.story.id] = _row_json(views.story_row(r, meta, links))
                data.append(drawn[r.story.id])
            w.write(f"data/list-{sort}-{n + 1:05d}.js", js_data(f"list-{sort}-{n + 1:05d}", data))
    first = [views.story_row(r, meta, links) for r in size_order[:PER_PAGE]]
    w.write("index.html", render(
        "stories.html.j2", links, stories=first, n_docs=n_docs, n_stories=n_stories, n_pairs=n_pairs, sort="size",
        sorts=list(views.SORTS.items()), page=1, pages=pages, q="", n_rows=len(rows), first_rank=1,
        static={"prefix": "data/list-", "per": PER_PAGE},
    ))

    # the search index, sharded by word
    postings: dict[str, list[int]] = {}
    for i, r in enumerate(size_order):
        s = r.story
        text = " ".join([s.headline or "", s.title, s.id, *s.documents,
                         *((meta[d].title or "") + " " + (meta[d].source or "") for d in s.documents if d in meta)])
        for word in sorted(search_words(text)):  # sorted: the same bytes in every process (str hashes vary)
            got = postings.setdefault(word, [])
            if len(got) < POSTINGS:
                got.append(i)
    n_terms = max(1, len(postings) // TERMS_PER_SHARD)
    shards: list[dict[str, list[int]]] = [{} for _ in range(n_terms)]
    for word in sorted(postings):
        shards[fnv1a(word) % n_terms][word] = postings[word]
    for k, shard in enumerate(shards):
        w.write(f"data/terms-{k}.js", js_data(f"terms-{k}", shard))
    w.write("search.html", render("find.html.j2", links, terms="data/terms-", shards=n_terms, prefix="data/list-size-", per=PER_PAGE))

    # documents and pairs, in hashed buckets, drawn by doc.html and pair.html
    n_buckets = max(1, len(docs) // BUCKET)
    buckets: list[dict[str, Any]] = [{} for _ in range(n_buckets)]
    for d in docs.values():
        buckets[fnv1a(d.id) % n_buckets][d.id] = _doc_entry(d, cleaned.get(d.id), story_of.get(d.id), by_doc.get(d.id, []), links)
    for k, bucket in enumerate(buckets):
        w.write(f"data/docs/{k}.js", js_data(f"docs-{k}", bucket))
        if progress:
            progress("site", k + 1, n_buckets)
    n_pair_buckets = max(1, len(pairs) // BUCKET)
    pbuckets: list[dict[str, Any]] = [{} for _ in range(n_pair_buckets)]
    for p in pairs:
        key = pair_key(p.a, p.b)
        pbuckets[fnv1a(key) % n_pair_buckets][key] = _pair_entry(p)
    for k, pb in enumerate(pbuckets):
        w.write(f"data/pairs/{k}.js", js_data(f"pairs-{k}", pb))
    attrs = {"docs": "data/docs/", "buckets": n_buckets, "pairs": "data/pairs/", "pair_buckets": n_pair_buckets}
    w.write("doc.html", render("doc_app.html.j2", links, **attrs))
    w.write("pair.html", render("pair_app.html.j2", links, **attrs))

    # a page (or pages, sources paginated) per story of several documents, redrawn only when it changed
    manifest_path = out / "data" / "manifest.json"
    try:
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    version = _code_version()
    old_prints: dict[str, list[Any]] = old.get("stories", {}) if old.get("version") == version else {}
    prints: dict[str, list[Any]] = {}
    multi = [s for s in stories if len(s.documents) > 1]
    for n, s in enumerate(multi, 1):
        members = set(s.documents)
        inside = {pair_key(p.a, p.b): p for m in s.documents for p in by_doc.get(m, ()) if p.a in members and p.b in members}
        h = xxhash.xxh64(json.dumps(story_to_json(s), sort_keys=True).encode("utf-8"))
        for m in s.documents:
            dm = meta.get(m)
            h.update(json.dumps([m, known.get(m, ("", ""))[1], dm.source if dm else None, dm.published if dm else None]).encode("utf-8"))
        for key in sorted(inside):
            h.update(json.dumps(pair_to_json(inside[key]), sort_keys=True).encode("utf-8"))
        fp = h.hexdigest()
        n_pages = max(1, -(-len(s.documents) // views.MEMBERS_PER_PAGE))
        names = [links.story(s.id, pg) for pg in range(1, n_pages + 1)]
        prints[s.id] = [fp, names]
        if old_prints.get(s.id) == [fp, names] and all((out / x).exists() for x in names):
            for x in names:
                w.keep(x)
            continue
        story_docs = {m: docs[m] for m in s.documents if m in docs}
        for pg in range(1, n_pages + 1):
            view = views.story_view(s, story_docs, list(inside.values()), links, pg)
            w.write(names[pg - 1], render("story.html.j2", links, trace=None, **view))
        if progress and n % 50 == 0:
            progress("site", n, len(multi))
    w.write("data/manifest.json", json.dumps({"version": version, "stories": prints}, sort_keys=True))
    w.remove_stale(["story-*.html", "doc-*.html", "pair-*.html", "data/*.js", "data/docs/*.js", "data/pairs/*.js"])
    return w.written
