"""The story browser on a store of 20,000 generated documents (no dataset text), opened from file:// in
headless Chromium: the story list and its pages and orders, a story of 1,000 members (sources paginated,
graph collapsed), keyword search over the prebuilt index, document and pair views drawn from the data
shards, and a script in article text that stays text. The store is written through the store API (the
pipeline on 20,000 documents would take minutes here); every page reads it through the real export and
views. Render times are measured and saved with the screenshots (out/test-artefacts/), not asserted."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from tests.browser.conftest import ARTEFACTS, shot

from wiretrace.engine.store import Store
from wiretrace.model import (
    Cleaned,
    DocSpans,
    Document,
    Edge,
    Pair,
    Passage,
    Scores,
    Segment,
    Story,
    SummaryLine,
)

N_DOCS = 20_000
BIG = 1_000  # members of the biggest story
SMALL_STORIES, SMALL = 1_200, 4  # stories of four documents
OUTLETS = [f"Outlet {c}{n}" for c in "ABCDEFGH" for n in range(5)]
RELATIONS = ["duplicate", "derivative", "near_duplicate", "contains", "template"]  # "template": not a known relation
EVIL = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SYLLABLES = ["ka", "lo", "mer", "ti", "van", "su", "dra", "pel", "no", "quir", "bal", "ost", "fen", "ru", "zim", "ga"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def _text(rng: random.Random, title: str) -> tuple[str, int]:
    body = " ".join(" ".join(_word(rng) for _ in range(rng.randint(8, 14))).capitalize() + "." for _ in range(6))
    head = f"{title}\n\n"
    return head + body + "\n\nSubscribe to our newsletter.", len(head)


def _pair(a: str, b: str, relation: str, ta: str, tb: str, start_a: int, start_b: int) -> Pair:
    x, y = sorted((a, b))
    (tx, sx), (ty, sy) = ((ta, start_a), (tb, start_b)) if x == a else ((tb, start_b), (ta, start_a))
    n = min(len(tx) - sx, len(ty) - sy, 120)
    return Pair(x, y, relation, "a<-b", Scores(0.8, None, 0.7, 0.6),
                (Passage((sx, sx + n), (sy, sy + n), "verbatim", 1.0),), ("lsh",))


def build_store(folder: Path) -> dict[str, Any]:
    rng = random.Random(16)
    store = Store(folder)
    docs: list[tuple[Document, str]] = []
    texts: dict[str, tuple[str, int]] = {}
    for i in range(N_DOCS):
        ident = f"gen-{i:05d}"
        title = " ".join(_word(rng) for _ in range(5)).title()
        if i == 7:
            title = f"Harbour vote {EVIL}"
        text, start = _text(rng, title)
        if i == 7:
            text = text.replace("Subscribe", f"{EVIL} Subscribe")
        texts[ident] = (text, start)
        docs.append((Document(ident, text, f"gen/{ident}.txt", "text", "utf-8", rng.choice(OUTLETS), None, title,
                              f"2031-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"), f"h{i}"))
    store.add_documents(docs)
    store.put_cleaned(
        Cleaned(d.id, (Segment(0, texts[d.id][1], "title", "first line"),
                       Segment(texts[d.id][1], len(d.text) - 30, "body", "prose"),
                       Segment(len(d.text) - 30, len(d.text), "appeal", "newsletter")))
        for d, _ in docs)
    ids = [d.id for d, _ in docs]
    stories: list[Story] = []
    pairs: list[Pair] = []

    def story(members: list[str], sid: str, headline: str) -> Story:
        edges = []
        for k, m in enumerate(members[1:], 1):
            parent = members[(k - 1) // 3]
            rel = RELATIONS[k % len(RELATIONS)]
            edges.append(Edge(m, parent, rel, ("dates: earlier",), "child<-parent"))
            pairs.append(_pair(m, parent, rel, texts[m][0], texts[parent][0], texts[m][1], texts[parent][1]))
        origin = members[0]
        body = (texts[origin][1], len(texts[origin][0]) - 30)
        return Story(sid, headline, tuple(members), origin, tuple(edges), DocSpans(origin, (body,)),
                     tuple(DocSpans(m, ((len(texts[m][0]) - 30, len(texts[m][0])),)) for m in members[1:4]),
                     ("dates: earliest",), headline, origin,
                     (SummaryLine(origin, body, tuple(members[:3]), 0.9),))

    big = ids[:BIG]
    stories.append(story(big, "s-big", "Grand harbour zorblat thousand copies"))
    at = BIG
    for n in range(SMALL_STORIES):
        members = ids[at : at + SMALL]
        at += SMALL
        stories.append(story(members, f"s-small-{n:04d}", f"Small story {n} " + _word(rng)))
    for i in ids[at:]:
        stories.append(Story(f"s-{i}", i, (i,), i, (), None, (), (), "", None, ()))
    store.put_pairs(((p.a, p.b), p) for p in pairs)
    store.put_stories(stories)
    store.close()
    return {"big": stories[0], "pairs": pairs, "texts": texts}


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from wiretrace.app.web import export_site

    folder = tmp_path_factory.mktemp("big-store")
    t0 = time.perf_counter()
    info = build_store(folder)
    t1 = time.perf_counter()
    export_site(folder, folder / "site")
    t2 = time.perf_counter()
    info.update(store=folder, site=folder / "site", times={"build_store_s": round(t1 - t0, 2), "export_s": round(t2 - t1, 2)})
    return info


def _timed(page: Any, url: str, ready: str, times: dict[str, float], name: str) -> None:
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(ready, timeout=30_000)
    times[name] = round(time.perf_counter() - t, 3)


def test_big_store_list_story_search(page: Any, big_site: dict[str, Any]) -> None:
    site: Path = big_site["site"]
    times = big_site["times"]
    # the list: first page from the HTML itself, then other pages and orders from the shards
    _timed(page, (site / "index.html").as_uri(), "tr.story-row", times, "list_s")
    rows = page.locator("tr.story-row")
    assert rows.count() == 100
    assert "Grand harbour zorblat" in rows.first.locator("a.headline").inner_text()
    assert page.locator("h1 .count").inner_text() == str(1 + SMALL_STORIES + N_DOCS - BIG - SMALL_STORIES * SMALL)
    shot(page, "10-big-list", full=False)
    page.locator("nav.pager a.next").first.click()
    page.wait_for_selector("body[data-shown='size:2']")
    assert rows.count() == 100 and rows.first.locator("td.rank").inner_text() == "101"
    page.locator("nav.sorts a[data-sort=recent]").click()
    page.wait_for_selector("body[data-shown='recent:1']")
    dates = [t.split(" \u2013 ")[-1][:10] for t in page.locator("tr.story-row td.when").all_inner_texts()]
    assert dates == sorted(dates, reverse=True)

    # the 1,000-member story: sources paginated, graph collapsed to its top levels
    page.goto((site / "index.html").as_uri())
    href = rows.first.locator("a.headline").get_attribute("href")
    _timed(page, (site / href).as_uri(), "h1.story-title", times, "big_story_s")
    assert page.locator("tr.source-row").count() == 100
    assert page.locator("#sources nav.pager").first.locator("a").count() == 9  # pages 2..10
    nodes = page.locator("svg.graph a.gnode")
    clusters = page.locator("svg.graph a.gnode.cluster")
    drawn = nodes.count() - clusters.count()
    assert 0 < drawn <= 80 and clusters.count() >= 1
    hidden = sum(int(clusters.nth(i).get_attribute("data-pages") or 0) for i in range(clusters.count()))
    assert drawn + hidden == BIG  # every member is drawn or counted in a cluster
    labels = set(page.locator("svg.graph g.edge text").all_text_contents())
    assert "template" in labels  # a relation the browser does not know is drawn like the others
    shot(page, "11-big-story", full=False)
    page.locator("#sources nav.pager a", has_text="10").first.click()
    page.wait_for_selector("tr.source-row")
    assert page.locator("tr.source-row").count() == 100
    assert page.locator("#sources h2").inner_text().endswith("901–1000 of 1000")

    # keyword search over the prebuilt index (no server)
    _timed(page, (site / "search.html").as_uri() + "#q=zorblat+harbour", "body[data-searched]", times, "search_s")
    found = page.locator("#results tr.story-row")
    assert found.count() >= 1 and found.first.get_attribute("data-story") == "s-big"
    shot(page, "12-big-search", full=False)
    page.fill("#q", "nosuchwordanywhere")
    page.press("#q", "Enter")
    page.wait_for_selector("#results tr.empty")

    # a document and a pair of an unknown relation, drawn from the data shards
    _timed(page, (site / "doc.html").as_uri() + "#id=gen-00005", "body[data-shown]", times, "document_s")
    assert page.locator(".doc-text").text_content() == big_site["texts"]["gen-00005"][0]  # every character, nothing added
    assert page.locator(".doc-text .rm.k-appeal").inner_text() == big_site["texts"]["gen-00005"][0][-30:]
    template = next(p for p in big_site["pairs"] if p.relation == "template")
    page.goto((site / "pair.html").as_uri() + f"#a={template.a}&b={template.b}")
    page.wait_for_selector("body[data-shown]")
    assert page.locator(".pair-title .badge").inner_text() == "template"
    assert page.locator('.pane[data-side=a] mark.ps[data-passage="1"]').count() >= 1
    shot(page, "13-big-pair", full=False)
    assert not page.errors, page.errors
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "big-store-times.json").write_text(json.dumps(times, indent=1), encoding="utf-8")


def test_big_store_article_script_stays_text(page: Any, big_site: dict[str, Any]) -> None:
    site: Path = big_site["site"]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((site / "doc.html").as_uri() + "#id=gen-00007")
    page.wait_for_selector("body[data-shown]")
    assert page.evaluate("() => window.__pwned") is None and not dialogs
    assert EVIL in (page.locator(".doc-text").text_content() or "")
    assert page.locator("h1.doc-title").inner_text().endswith(EVIL)
    story = min(site.glob("story-s-big-*.html"), key=lambda p: len(p.name))  # its first page
    page.goto(story.as_uri())
    assert page.evaluate("() => window.__pwned") is None
    page.goto((site / "search.html").as_uri() + "#q=harbour+vote")
    page.wait_for_selector("body[data-searched]")
    assert page.evaluate("() => window.__pwned") is None
    shot(page, "14-big-script-as-text", full=False)
    # in the data shards the text is escaped for a script context: no "<" at all
    from wiretrace.app.web.export import fnv1a

    n_buckets = len(list((site / "data" / "docs").glob("*.js")))
    raw = (site / "data" / "docs" / f"{fnv1a('gen-00007') % n_buckets}.js").read_text(encoding="utf-8")
    assert "<" not in raw and ">" not in raw and "\\u003c/script\\u003e" in raw
