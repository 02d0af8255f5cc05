"""The story browser as a person uses it, in headless Chromium: the story list for the sample corpus,
a story, a pair view whose highlights are the aligned passages, a document, search by text, and
article text carrying a script that must show as text. Screenshots: out/test-artefacts/."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Server, shot


def expected_pieces(text: str, ranges: list[tuple[int, int]]) -> list[str]:
    """What each passage's highlight must show: its range, less what an earlier-listed passage took."""
    taken = [False] * len(text)
    out = []
    for s, e in ranges:
        out.append("".join(text[i] for i in range(s, e) if not taken[i]))
        for i in range(s, e):
            taken[i] = True
    return out


def test_story_list(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    rows = page.locator("tr.story-row")
    assert rows.count() == 5
    first = rows.nth(0)
    assert "Dock strike shuts Veskaria" in first.locator("a.headline").inner_text()
    assert first.locator("td.sources").inner_text().strip() == "7"
    assert first.locator("svg.timeline circle").count() == 7
    page.fill("#filter", "quillon")
    page.press("#filter", "Enter")
    page.wait_for_url("**q=quillon*")
    assert rows.count() == 1
    page.click("nav.sorts a[data-sort=sources]")
    page.wait_for_url("**sort=sources*")
    assert page.locator("nav.sorts b.cur").get_attribute("data-sort") == "sources"
    page.goto(server.url + "/")
    shot(page, "01-story-list")
    assert not page.errors, page.errors


def test_story_then_pair_view(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.click("text=Dock strike shuts Veskaria")
    page.wait_for_url("**/stories/s-*")
    story = server.api("GET", "/stories/" + page.url.split("/stories/")[1])
    assert page.locator("svg.graph a.gnode").count() == 7
    assert page.locator("svg.graph a.gnode.origin").get_attribute("data-doc") == story["origin"]
    labels = page.locator("svg.graph g.edge text").all_text_contents()
    assert sorted(labels) == sorted(e["relation"] for e in story["edges"])
    assert page.locator("tr.source-row").count() == 7
    assert page.locator("ins.addition").count() >= len(story["additions"]) > 0
    shot(page, "02-story")

    # an edge of the graph opens its pair: the one with the most aligned passages
    pairs = {frozenset((p["a"], p["b"])): p for p in story["pairs"]}
    edge = max((e for e in story["edges"] if frozenset((e["child"], e["parent"])) in pairs),
               key=lambda e: len(pairs[frozenset((e["child"], e["parent"]))]["passages"]))
    page.click(f'svg.graph g.edge[data-child="{edge["child"]}"] a.edge-link')
    page.wait_for_url("**/pair?*")
    pair = pairs[frozenset((edge["child"], edge["parent"]))]
    assert len(pair["passages"]) >= 2
    assert page.locator(".pair-title .badge").inner_text() == pair["relation"] == edge["relation"]
    for side in ("a", "b"):
        text = server.api("GET", f"/documents/{pair[side]}")["text"]
        ranges = [tuple(p[side]) for p in pair["passages"]]
        want = expected_pieces(text, ranges)  # type: ignore[arg-type]
        pane = page.locator(f".pane[data-side={side}]")
        for n, p in enumerate(pair["passages"], 1):
            marks = pane.locator(f'mark.ps[data-passage="{n}"]')
            got = "".join(marks.nth(i).text_content() or "" for i in range(marks.count()))
            assert got == want[n - 1], f"side {side}, passage {n}: highlight is not the aligned text"
            if got:
                assert f"pk-{p['kind']}" in (marks.first.get_attribute("class") or "")
        # nothing else is highlighted
        assert pane.locator("mark.ps").count() == sum(
            pane.locator(f'mark.ps[data-passage="{n}"]').count() for n in range(1, len(pair["passages"]) + 1))
        noise = pane.locator(".noise").first
        assert noise.evaluate("el => getComputedStyle(el).color") == "rgb(182, 188, 198)"  # greyed out
    shot(page, "03-pair-view", full=False)

    # the columns scroll in step: scrolling one moves the other
    a, b = page.locator(".pane[data-side=a]"), page.locator(".pane[data-side=b]")
    assert b.evaluate("el => el.scrollTop") == 0
    a.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function("() => document.querySelector('.pane[data-side=b]').scrollTop > 0")
    # a click on a passage brings its partner level with it
    a.evaluate("el => { el.scrollTop = 0; }")
    page.locator('.pane[data-side=a] mark.ps[data-passage="2"]').first.click()
    assert page.locator('.pane[data-side=b] mark.ps.flash[data-passage="2"]').count() >= 1
    shot(page, "04-pair-view-scrolled", full=False)
    assert not page.errors, page.errors


def test_document_view(page: Any, server: Server) -> None:
    doc = server.api("GET", "/documents/portstrike_appeal_baytimes")
    page.goto(server.url + "/documents/portstrike_appeal_baytimes")
    for r in doc["removed"]:  # each removed span is highlighted with its kind, exactly
        assert r["end"] > r["start"]
    kinds = {r["kind"] for r in doc["removed"]}
    for kind in kinds:
        spans = page.locator(f".doc-text .rm.k-{kind}").all_text_contents()
        assert sorted(spans) == sorted(doc["text"][r["start"]:r["end"]] for r in doc["removed"] if r["kind"] == kind)
    assert page.locator(".doc-text .body").count() >= 1
    assert page.locator(".doc-text").text_content() == doc["text"]  # the raw text, every character, nothing added
    shot(page, "05-document")


def test_search_lands_on_the_story(page: Any, server: Server) -> None:
    doc = server.api("GET", "/documents/flood_origin_meridian")
    body = "\n".join(doc["text"][s:e] for s, e in doc["body"])
    para = max((line for line in body.splitlines()), key=len).replace("torrential", "heavy")
    page.goto(server.url + "/")
    page.click("text=Search by text")
    page.fill("textarea[name=text]", para)
    page.click("button[type=submit]")
    page.wait_for_url("**/stories/s-*", timeout=60_000)
    assert "River Wendle bursts its banks" in page.locator("h1.story-title").inner_text()
    assert page.locator("#trace").is_visible()
    assert page.locator("#trace table.aligned tr").count() >= 2
    shot(page, "06-search-result")


def test_script_in_an_article_shows_as_text(page: Any, server: Server) -> None:
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    doc = {"id": "evil-page", "title": f"Pier vote {evil}", "source": f"Brask {evil}", "published": "2026-03-21",
           "text": f"Pier vote {evil}\n\nThe Brask council voted on Tuesday to close the old ferry pier. {evil} "
                   "The vote followed a survey that found rot in the piles. " * 3}
    server.api("POST", "/documents", json=doc)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/documents/evil-page")
    assert page.evaluate("() => window.__pwned") is None and not dialogs
    assert "<script>window.__pwned = 1</script>" in (page.locator(".doc-text").text_content() or "")
    assert page.locator("h1.doc-title").inner_text().endswith(evil)
    page.goto(server.url + "/")
    assert page.evaluate("() => window.__pwned") is None
    shot(page, "07-script-as-text")
