"""The HTTP API as a client uses it: every endpoint, bad input (malformed JSON, oversized bodies,
unknown ids, wrong types), the token, and article text carrying HTML/JS that must stay inert."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the HTTP service needs the serve extra: pip install 'wiretrace[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

from wiretrace.app.service import create_app  # noqa: E402
from wiretrace.model import RELATIONS  # noqa: E402

HTML = {"accept": "text/html"}
EVIL = '<script>window.__pwned = 1; alert("xss")</script><img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def client(corpus_store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(corpus_store)) as c:
        yield c


@pytest.fixture
def writable(fresh_store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_store)) as c:
        yield c


def story_with(c: TestClient, doc_id: str) -> dict[str, Any]:
    stories = c.get("/stories").json()["stories"]
    return next(s for s in stories if doc_id in s["documents"])


def body_text(c: TestClient, doc_id: str) -> str:
    d = c.get(f"/documents/{doc_id}").json()
    return "\n\n".join(d["text"][s:e] for s, e in d["body"])


def paragraphs(c: TestClient, doc_id: str) -> list[str]:
    return [line.strip() for line in body_text(c, doc_id).splitlines() if len(line.strip()) > 80]


def n_docs(c: TestClient) -> int:
    return int(c.get("/health").json()["documents"])


# ------------------------------------------------------------------------------ reads
def test_openapi_schema_lists_every_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path, method in [("/documents", "post"), ("/stories", "get"), ("/stories/{story_id}", "get"),
                         ("/documents/{doc_id}", "get"), ("/compare", "post"), ("/trace", "post"), ("/pair", "get")]:
        assert method in paths[path], f"{method.upper()} {path} missing from /openapi.json"
    content = paths["/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)
    assert client.get("/docs").status_code == 404  # the Swagger UI loads from a CDN: not served


def test_stories_list(client: TestClient) -> None:
    r = client.get("/stories")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["total"] == 5
    assert [len(s["documents"]) for s in data["stories"]] == [7, 6, 5, 1, 1]
    assert {s["origin"] for s in data["stories"][:3]} == {
        "portstrike_origin_meridian", "flood_origin_meridian", "recall_origin_northgate"}
    assert data["stories"][0]["span"] == {"first": "2026-03-10", "last": "2026-03-12"}
    assert client.get("/stories", params={"limit": 2, "offset": 1}).json()["stories"][0]["origin"] == "flood_origin_meridian"
    assert client.get("/stories", params={"limit": 0}).status_code == 422


def test_story_json_and_page(client: TestClient) -> None:
    s = story_with(client, "portstrike_deriv_islandpost")
    j = client.get(f"/stories/{s['id']}").json()
    assert j["origin"] == "portstrike_origin_meridian" and len(j["members"]) == 7
    assert {e["child"] for e in j["edges"]} == set(j["documents"]) - {j["origin"]}
    assert all(p["a"] in j["documents"] and p["b"] in j["documents"] for p in j["pairs"]) and j["pairs"]
    page = client.get(f"/stories/{s['id']}", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Dock strike shuts Veskaria" in html and 'class="graph"' in html
    assert html.count('class="source-row') == 7 and html.count('class="gnode') == 7
    for e in j["edges"]:  # every edge is drawn, labelled by its relation
        assert f'<g class="edge rel-{e["relation"]}" data-child="{e["child"]}"' in html
    assert html.count('<ins class="addition') >= len(j["additions"]) > 0  # each source's additions, marked
    # the headline and the summary, each sentence quoted from a member and linked to it
    assert j["headline"] and j["summary"] and all(x["document"] in j["documents"] for x in j["summary"])
    assert f'<h1 class="story-title">{j["headline"]}</h1>' in html and 'class="card summary"' in html
    assert all(e["direction"] in ("child<-parent", "child->parent", "none") for e in j["edges"])


def test_unknown_ids_are_404(client: TestClient) -> None:
    for path, unknown in (("/stories/s-nope", "s-nope"), ("/documents/no-such-doc", "no-such-doc")):
        r = client.get(path)
        assert r.status_code == 404 and unknown in r.json()["error"], (path, r.status_code, r.text)
        page = client.get(path, headers=HTML)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"] and "Back to the stories" in page.text
    r = client.get("/pair", params={"a": "portstrike_origin_meridian", "b": "chess_singleton_boardgazette"})
    assert r.status_code == 404 and "no stored relation" in r.json()["error"]
    assert client.get("/no/such/endpoint").status_code == 404


def test_document_json_and_page(client: TestClient) -> None:
    d = client.get("/documents/portstrike_appeal_baytimes").json()
    assert d["story"] and d["text"] and d["chars"] == len(d["text"]) and d["pairs"] and d["removed"]
    html = client.get("/documents/portstrike_appeal_baytimes", headers=HTML).text
    for kind in {r["kind"] for r in d["removed"]}:  # each removed kind is highlighted and labelled
        assert f'class="rm k-{kind}"' in html and f'data-label="{kind}"' in html
    for p in d["pairs"]:
        other = p["b"] if p["a"] == d["id"] else p["a"]
        assert f">{other}</a>" in html
    # ?format= overrides the Accept header
    assert client.get("/documents/portstrike_appeal_baytimes", params={"format": "html"}).text.startswith("<!DOCTYPE html>")
    assert "text" in client.get("/documents/portstrike_appeal_baytimes", params={"format": "json"}, headers=HTML).json()


def test_pair_json_and_page(client: TestClient) -> None:
    r = client.get("/pair", params={"a": "portstrike_origin_meridian", "b": "portstrike_deriv_islandpost"})
    pair = r.json()
    assert r.status_code == 200 and pair["relation"] and pair["passages"]
    assert client.get("/pair", params={"a": pair["b"], "b": pair["a"]}).json() == pair  # either order
    html = client.get("/pair", params={"a": pair["a"], "b": pair["b"]}, headers=HTML).text
    assert html.count('class="pane txt"') == 2 and f'<span class="badge rel-{pair["relation"]}">' in html
    assert html.count('data-passage="1" id=') == 2  # passage 1 starts on both sides
    removed = client.get(f"/documents/{pair['a']}").json()["removed"]
    assert f'class="noise k-{removed[0]["kind"]}"' in html


def test_compare(client: TestClient) -> None:
    a = body_text(client, "recall_origin_northgate")
    r = client.post("/compare", json={"a": a, "b": a.replace("pharmacies", "chemists")})
    assert r.status_code == 200
    assert r.json()["relation"] in RELATIONS and r.json()["passages"] and r.json()["scores"]["a_covered"] > 0.5
    missing = client.post("/compare", json={"a": a})
    assert missing.status_code == 422 and "b: Field required" in missing.json()["error"]
    bad = client.post("/compare", content=b'{"a": "x", "b": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]
    wrong = client.post("/compare", json={"a": 3, "b": ["x"]})
    assert wrong.status_code == 422


def test_trace_finds_the_story(client: TestClient) -> None:
    para = paragraphs(client, "flood_origin_meridian")[1]
    r = client.post("/trace", json={"text": para})
    assert r.status_code == 200
    best = r.json()["best"]
    flood = story_with(client, "flood_origin_meridian")
    assert best["story"] == flood["id"] and best["origin"] == "flood_origin_meridian"
    assert best["explained"] > 0.8 and best["passages"]
    doc = client.get(f"/documents/{best['document']}").json()["text"]
    for p in best["passages"]:
        qs, qe = p["query"]
        ds, de = p["document"]
        assert 0 <= qs < qe <= len(para) and 0 <= ds < de <= len(doc)
    assert client.post("/trace", json={"text": ""}).status_code == 422


# ------------------------------------------------------------------------------ writes
def test_post_documents_update_stories_incrementally(writable: TestClient) -> None:
    before = {s["id"]: s for s in writable.get("/stories").json()["stories"]}
    flood = story_with(writable, "flood_origin_meridian")
    paras = paragraphs(writable, "flood_origin_meridian")
    rewrite = "\n\n".join(paras[:5] + ["Volunteers from Harnley arrived with boats on Thursday, the Wendle Courier reported."])
    docs = [
        {"id": "wendle_courier_flood_copy", "text": rewrite, "source": "Wendle Courier", "published": "2026-03-20", "title": "Flood copy"},
        {"id": 42, "html": "<html><body><h1>Gardeners</h1><p>" + "Allotment holders in Brask met to share seeds. " * 12
         + "</p></body></html>", "source": "Brask Weekly"},
        {"id": "no-text"},
        "not an object",
    ]
    r = writable.post("/documents", json=docs)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["added"] == ["wendle_courier_flood_copy", "42"]
    assert [e["index"] for e in out["errors"]] == [2, 3]
    assert "no 'text' or 'html'" in out["errors"][0]["error"]
    assert out["stories"]["wendle_courier_flood_copy"] == flood["id"]
    after = {s["id"]: s for s in writable.get("/stories").json()["stories"]}
    assert "wendle_courier_flood_copy" in after[flood["id"]]["documents"] and len(after) == len(before) + 1
    for sid, s in before.items():  # the other stories are kept as they were
        if sid != flood["id"]:
            assert after[sid]["documents"] == s["documents"] and after[sid]["edges"] == s["edges"]
    assert writable.get("/documents/42").json()["source"] == "Brask Weekly"
    # the same document again: nothing new; the same id with another text: refused, per document
    again = writable.post("/documents", json={"id": "wendle_courier_flood_copy", "text": rewrite})
    assert again.status_code == 200 and again.json()["unchanged"] == ["wendle_courier_flood_copy"]
    clash = writable.post("/documents", json={"id": "wendle_courier_flood_copy", "text": rewrite + " More."})
    assert clash.status_code == 409 and "already in the store" in clash.json()["errors"][0]["error"]
    assert n_docs(writable) == 22


def test_rejected_requests_store_nothing(fresh_store: Path) -> None:
    with TestClient(create_app(fresh_store, max_body_bytes=4096)) as c:
        before = n_docs(c)
        cases = [
            (b'{"id": "x", "text": "unterminated', "application/json", 400, "malformed JSON"),
            (b'[{"id": "a", "text": "x"},]', "application/json", 400, "malformed JSON"),
            (b"[]", "application/json", 422, "no documents"),
            (b'"just a string"', "application/json", 422, "send a JSON object"),
            (b'[{"id": "a"}, {"text": "no id"}]', "application/json", 422, "nothing was stored"),
            (b"id,text\nx,y", "text/csv", 415, "application/json or multipart/form-data"),
            (json.dumps({"id": "big", "text": "word " * 2000}).encode(), "application/json", 413, "over the limit"),
        ]
        for body, kind, status, words in cases:
            r = c.post("/documents", content=body, headers={"content-type": kind})
            assert r.status_code == status, (body[:40], r.text)
            assert words in r.json()["error"], r.json()

        def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts the bytes as they come
            for _ in range(10):
                yield b" " * 1000

        r = c.post("/documents", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert n_docs(c) == before


def test_multipart_upload(writable: TestClient) -> None:
    text = "Harbour cats of Lusk\n\nThe harbour cats of Lusk were counted on Sunday by volunteers. " * 3
    jsonl = "\n".join(json.dumps({"id": f"line{i}", "text": f"Item {i}: the Lusk ferry timetable changes in May. " * 5})
                      for i in range(2)) + "\n{broken\n"
    r = writable.post("/documents", files=[
        ("files", ("lusk_cats.txt", text.encode(), "text/plain")),
        ("files", ("feed.jsonl", jsonl.encode(), "application/jsonl")),
        ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
    ])
    assert r.status_code == 201, r.text
    out = r.json()
    assert sorted(out["added"]) == ["line0", "line1", "lusk_cats"]
    errors = " | ".join(e["error"] for e in out["errors"])
    assert "notes.pdf" in errors and "feed.jsonl:3" in errors
    assert writable.get("/documents/lusk_cats").json()["path"] == "upload:lusk_cats.txt"
    empty = writable.post("/documents", files=[])  # no parts: no multipart content type either
    assert empty.status_code == 415 and "unsupported content type" in empty.json()["error"], empty.text


def test_token_and_cross_site_posts(fresh_store: Path) -> None:
    doc = {"id": "tok", "text": "The Brask library reopened on Monday after a year of repairs to its roof. " * 4}
    with TestClient(create_app(fresh_store, token="s3cret")) as c:
        assert c.post("/documents", json=doc).status_code == 401
        r = c.post("/documents", json=doc, headers={"authorization": "Bearer nope"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/stories").status_code == 200  # reads need no token
        evil_site = {"authorization": "Bearer s3cret", "origin": "http://evil.example"}
        assert c.post("/documents", json=doc, headers=evil_site).status_code == 403
        assert n_docs(c) == 20
        assert c.post("/documents", json=doc, headers={"authorization": "Bearer s3cret"}).status_code == 201


def test_html_and_js_in_articles_render_inert(writable: TestClient, fresh_store: Path, tmp_path: Path) -> None:
    doc = {
        "id": 'evil"><script>alert(1)</script>', "source": '"><img src=x onerror=alert(2)>',
        "title": "<b>Bold</b> claim " + EVIL, "published": "2026-03-21",
        "text": f"Headline {EVIL}\n\nThe Brask council voted on Tuesday to close the old ferry pier. {EVIL} "
                "The vote followed a survey that found rot in the piles. " * 3,
    }
    r = writable.post("/documents", json=doc)
    assert r.status_code == 201, r.text
    sid = r.json()["stories"][doc["id"]]
    pages = [
        writable.get("/documents/" + doc["id"], headers=HTML),
        writable.get(f"/stories/{sid}", headers=HTML),
        writable.get("/", headers=HTML),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.text
        assert "<script>alert" not in html and "<script>window" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
        assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
        assert page.headers["x-content-type-options"] == "nosniff"
    # JSON gives the text back as it was sent, as JSON
    j = writable.get("/documents/" + doc["id"])
    assert j.headers["content-type"].startswith("application/json") and j.json()["text"] == doc["text"]
    # the static export: a copy makes a two-document story (a page of its own); no page holds the
    # markup, and no data shard holds a "<" (JSON escaped for a script context)
    twin = dict(doc, id="evil-twin</script>", title="</script><script>alert(4)</script>")
    r = writable.post("/documents", json=twin)
    assert r.status_code == 201, r.text
    from wiretrace.app.web import export_site

    site = tmp_path / "site"
    export_site(fresh_store, site)
    story_pages = [p for p in site.glob("story-*.html") if "evil-twin&lt;/script&gt;" in p.read_text(encoding="utf-8")]
    assert story_pages
    for page in site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold" not in html, page.name
    shards = list(site.glob("data/**/*.js"))
    assert any("alert(4)" in f.read_text(encoding="utf-8") for f in shards)
    for f in shards:
        raw = f.read_text(encoding="utf-8")
        assert "<" not in raw and ">" not in raw and "\u2028" not in raw, f.name
        read_shard(f)  # still valid JSON


def test_search_form_lands_on_the_story(client: TestClient) -> None:
    para = paragraphs(client, "recall_origin_northgate")[2]
    r = client.post("/search", data={"text": para}, follow_redirects=False)
    assert r.status_code == 303
    recall = story_with(client, "recall_origin_northgate")
    assert r.headers["location"].startswith(f"/stories/{recall['id']}?trace=")
    page = client.get(r.headers["location"], headers=HTML)
    assert "Your text comes from this story" in page.text
    none = client.post("/search", data={"text": "Zyx qwv plorth mip."}, follow_redirects=False)
    assert none.status_code == 200 and "No stored document" in none.text
    assert client.post("/search", data={"text": " "}).status_code == 422


def test_concurrent_writers_are_grouped(fresh_store: Path) -> None:
    from wiretrace.engine.writer import Writer
    from wiretrace.ingest import IngestConfig
    from wiretrace.ingest.requests import documents_from_json

    w = Writer(fresh_store)
    try:
        docs = [documents_from_json({"id": f"c{i}", "text": f"Club {i} of Brask elected a new chair on Friday. " * 6},
                                    IngestConfig())[0] for i in range(8)]
        outcomes: list[Any] = [None] * 8
        barrier = threading.Barrier(8)

        def post(i: int) -> None:
            barrier.wait()
            outcomes[i] = w.submit(docs[i])

        threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [o.added for o in outcomes] == [[f"c{i}"] for i in range(8)]
        assert all(o.failed is None and o.stories.get(f"c{i}") for i, o in enumerate(outcomes))
        assert w.passes < 8  # concurrent requests shared pipeline passes
        assert len(w.store.all_ids()) == 28
    finally:
        w.close()


def read_shard(path: Path) -> Any:
    """A JSONP data shard of the static export: ``wiretraceData("key",{...});``."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("wiretraceData(") and text.rstrip().endswith(");")
    key, _, body = text[len("wiretraceData("):].rstrip().removesuffix(");").partition(",")
    assert json.loads(key).endswith(path.stem.split("-")[-1])
    return json.loads(body)


def test_export_site_writes_linked_static_pages(corpus_store: Path, tmp_path: Path) -> None:
    """The static export: every page a link names exists; documents and pairs a story page links to
    are in the data shards that doc.html and pair.html read; a second export rewrites nothing."""
    import re
    from urllib.parse import parse_qs

    from wiretrace.app.web import export_site
    from wiretrace.app.web.export import fnv1a, pair_key
    from wiretrace.engine.store import Store

    n = export_site(corpus_store, tmp_path)
    assert n > 0 and (tmp_path / "static" / "app.js").exists()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    store = Store(corpus_store)
    stories, ids, pairs = store.stories(), store.all_ids(), store.pairs()
    store.close()
    multi = [s for s in stories if len(s.documents) > 1]
    assert len(list(tmp_path.glob("story-*.html"))) == len(multi) > 0  # pages for several-document stories only
    assert not list(tmp_path.glob("doc-*.html")) and not list(tmp_path.glob("pair-*.html"))
    docs: dict[str, Any] = {}
    for f in (tmp_path / "data" / "docs").glob("*.js"):
        docs.update(read_shard(f))
    assert sorted(docs) == sorted(ids)
    n_buckets = len(list((tmp_path / "data" / "docs").glob("*.js")))
    assert all(f"{fnv1a(d) % n_buckets}.js" == f.name for f in (tmp_path / "data" / "docs").glob("*.js") for d in read_shard(f))
    stored_pairs: dict[str, Any] = {}
    for f in (tmp_path / "data" / "pairs").glob("*.js"):
        stored_pairs.update(read_shard(f))
    assert sorted(stored_pairs) == sorted(pair_key(p.a, p.b) for p in pairs)
    for page in tmp_path.glob("*.html"):
        for href in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            href = href.replace("&amp;", "&")
            if href.startswith("data:") or href.startswith("#"):
                continue
            file, _, frag = href.partition("#")
            assert (tmp_path / file).exists(), f"{page.name} links to missing {file}"
            q = parse_qs(frag)
            if file == "doc.html":
                assert q["id"][0] in docs, f"{page.name} links to a document not exported: {q}"
            if file == "pair.html":
                assert pair_key(q["a"][0], q["b"][0]) in stored_pairs, f"{page.name} links to a pair not exported: {q}"
    # the list: every story once in each order, the largest first
    rows = [r for f in sorted((tmp_path / "data").glob("list-size-*.js")) for r in read_shard(f)]
    assert sorted(r["id"] for r in rows) == sorted(s.id for s in stories)
    assert [r["n_docs"] for r in rows] == sorted((len(s.documents) for s in stories), reverse=True)
    assert "Search by text" not in index and 'href="search.html"' in index  # the trace query needs the service
    assert export_site(corpus_store, tmp_path) == 0  # nothing changed: nothing rewritten
    # given the run's report (as `wiretrace run` does), the export is the same, byte for byte
    from wiretrace.engine.pipeline import load_report

    store = Store(corpus_store)
    report = load_report(store)
    store.close()
    assert export_site(corpus_store, tmp_path, report=report) == 0


def test_empty_store_then_first_document(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "new")) as c:
        assert "No stories yet" in c.get("/", headers=HTML).text
        assert c.get("/stories").json()["total"] == 0
        r = c.post("/documents", json={"id": "first", "text": "The Lusk choir sang at the harbour on Sunday. " * 5})
        assert r.status_code == 201 and r.json()["stories"]["first"]
        assert c.get("/stories").json()["stories"][0]["documents"] == ["first"]


def test_local_server_answers_local_host_names_only(corpus_store: Path) -> None:
    app = create_app(corpus_store, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/stories").status_code == 200
        assert c.get("/stories", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/stories", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding


def test_export_after_new_documents_rewrites_only_what_changed(writable: TestClient, fresh_store: Path, tmp_path: Path) -> None:
    from wiretrace.app.web import export_site

    site = tmp_path / "site"
    total = export_site(fresh_store, site)
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    assert len(before) == total
    doc = {"id": "new-one", "title": "Lusk choir tours", "published": "2026-04-02",
           "text": "The Lusk choir left on Sunday for a tour of five coastal towns, its first in a decade. " * 4}
    assert writable.post("/documents", json=doc).status_code == 201
    written = export_site(fresh_store, site)
    after = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    changed = {p.relative_to(site).as_posix() for p in after if before.get(p) != after[p]}
    assert 0 < written == len(changed) < total / 2
    assert not [c for c in changed if c.startswith("story-")]  # no story of several documents changed
    assert "index.html" in changed  # the list counts one more story
    # another process (other string hashes) writes the same bytes: nothing is rewritten
    import subprocess
    import sys

    code = f"from wiretrace.app.web import export_site; print(export_site({str(fresh_store)!r}, {str(site)!r}))"
    for seed in ("1", "2"):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == "0"


def test_list_and_story_pages_are_paginated(client: TestClient, corpus_store: Path) -> None:
    from wiretrace.app.web import Links, views
    from wiretrace.engine.store import Store

    store = Store(corpus_store)
    try:
        lists = [views.story_list(store, Links(), "size", n, per_page=2) for n in (1, 2, 3)]
        assert [len(v["stories"]) for v in lists] == [2, 2, 1] and lists[0]["pages"] == 3
        ids = [s["id"] for v in lists for s in v["stories"]]
        assert len(set(ids)) == 5 and [s["n_docs"] for v in lists for s in v["stories"]] == sorted(
            (s["n_docs"] for v in lists for s in v["stories"]), reverse=True)
        by_sources = [s["n_sources"] for n in (1, 2, 3) for s in views.story_list(store, Links(), "sources", n, per_page=2)["stories"]]
        assert by_sources == sorted(by_sources, reverse=True)
        assert len(views.story_list(store, Links(), q="quillon")["stories"]) == 1
        big = max(store.stories(), key=lambda s: len(s.documents))
        pages = [views.story_page(store, Links(), big.id, n, per_page=3) for n in (1, 2, 3)]
        assert [p["page"] for p in pages if p] == [1, 2, 3]
        rows = [r["id"] for p in pages if p for r in p["rows"]]
        assert sorted(rows) == sorted(big.documents)  # every member once over the pages
        assert pages[0] and pages[0]["consolidated"] and pages[1] and not pages[1]["consolidated"]
    finally:
        store.close()
    page2 = client.get(f"/stories/{big.id}?page=2", headers=HTML).text
    assert len(big.documents) < 100 and "Consolidated text" in page2  # a page past the last shows the last
    lst = client.get("/?sort=recent&q=veskaria", headers=HTML).text
    assert "Dock strike shuts Veskaria" in lst and lst.count('class="story-row"') == 1
