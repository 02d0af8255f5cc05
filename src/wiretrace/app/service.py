"""The HTTP service: a thin FastAPI shell over the library and the story browser's pages.

``create_app(store_dir)`` serves one store. Writes (``POST /documents``) go through the pipeline's
stage functions under one writer (``web.writer.Writer``), so stories update incrementally as
documents arrive; reads use a connection per worker thread and see committed state only (WAL).

Safety: request bodies are capped (413 before the application reads them), bad input gets a 4xx
with a message that says what to send instead, and a rejected request stores nothing. Pages are
rendered with autoescaping and served with a Content-Security-Policy that allows no inline script.
The write endpoint takes an optional bearer token and refuses cross-site browser posts. The CLI
binds to 127.0.0.1 unless told otherwise, and then answers only Host names of this machine (a web page
cannot reach it through DNS rebinding).

Needs the ``serve`` extra: ``pip install 'wiretrace[serve]'``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wiretrace.errors import MissingExtraError

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from fastapi.staticfiles import StaticFiles
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.middleware.trustedhost import TrustedHostMiddleware
except ImportError as e:  # pragma: no cover - depends on the install
    raise MissingExtraError("wiretrace's HTTP service", "serve", e.name) from e

from wiretrace import __version__
from wiretrace.app.web import pages, views
from wiretrace.app.web.guard import Guard
from wiretrace.app.web.schemas import DOCUMENTS_BODY, CompareIn, TraceIn
from wiretrace.app.web.state import AppState
from wiretrace.engine.pipeline import RunConfig, compare
from wiretrace.engine.store import Store
from wiretrace.errors import ConfigError, InputError
from wiretrace.ingest import IngestConfig
from wiretrace.ingest.requests import (
    MAX_DOCS_PER_REQUEST,
    Rejected,
    documents_from_files,
    documents_from_json,
)
from wiretrace.model import DocMeta
from wiretrace.report.codecs import pair_to_json, story_to_json

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


class ApiError(Exception):
    """A request the service refuses: the status and a message saying what to send instead."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def _wants_html(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt in ("json", "html"):
        return fmt == "html"
    return "text/html" in request.headers.get("accept", "")


def _not_found(what: str, ident: str) -> ApiError:
    listing = "GET /stories lists the stories" if what == "story" else "GET /stories/{id} lists a story's documents"
    return ApiError(404, f"no {what} with id {ident!r} in the store; {listing}")


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    for e in errors:
        if e.get("type") == "json_invalid":
            ctx = e.get("ctx") or {}
            return 400, f"malformed JSON: {ctx.get('error', e.get('msg'))}; send one JSON object"
    parts = []
    for e in errors:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {e.get('msg')}")
    return 422, "invalid request: " + "; ".join(parts)


def _doc_json(store: Store, doc_id: str) -> dict[str, Any] | None:
    found = store.document_context(doc_id)
    if found is None:
        return None
    d, c, st, pairs = found
    return {
        "id": d.id, "source": d.source, "url": d.url, "title": d.title, "published": d.published, "chars": len(d.text),
        "format": d.format, "encoding": d.encoding, "path": d.path, "text": d.text,
        "body": [list(r) for r in c.body] if c else [],
        "removed": [{"start": s.start, "end": s.end, "kind": s.kind} for s in c.removed] if c else [],
        "story": st.id if st else None,
        "pairs": [{"a": p.a, "b": p.b, "relation": p.relation, "direction": p.direction} for p in pairs],
    }


def _story_json(s: Any, meta: dict[str, DocMeta]) -> dict[str, Any]:
    j = story_to_json(s)
    dates = sorted(m.published for d in s.documents if (m := meta.get(d)) and m.published)
    j["span"] = {"first": dates[0] if dates else None, "last": dates[-1] if dates else None}
    j["sources"] = len({(meta[d].source or d) if d in meta else d for d in s.documents})
    return j


def create_app(
    store_dir: str | Path, token: str | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    config: RunConfig | None = None, allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The service for the store under ``store_dir`` (created if missing). ``token``: when set,
    ``POST /documents`` needs ``Authorization: Bearer TOKEN``. ``max_body_bytes``: the largest request body.
    ``allowed_hosts``: Host header names answered (others get 400), against DNS rebinding of a local server."""
    if max_body_bytes < 1024:
        raise ConfigError("service", "max_body_bytes", max_body_bytes, "at least 1024 bytes (a request body holds a document)")
    state = AppState(Path(store_dir), token or None, config or RunConfig())
    ingest_config = IngestConfig(max_doc_bytes=min(state.config.ingest.max_doc_bytes, max_body_bytes))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="wiretrace", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
        description="Turn scraped news pages into stories. POST documents, read stories, compare and trace texts.",
    )
    app.state.wiretrace = state
    app.add_middleware(Guard, max_body_bytes=max_body_bytes)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.mount("/static", StaticFiles(directory=pages.STATIC, packages=[("wiretrace.report", "static")]), name="static")
    links = state.links

    def error_response(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        if _wants_html(request) and request.method == "GET":
            return HTMLResponse(pages.error_html(links, status, message), status_code=status, headers=headers)
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request, exc.status, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.status_code != 404 else f"no such page or endpoint: {request.url.path}"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        status, message = _validation_message(exc)
        return JSONResponse({"error": message}, status_code=status)

    def check_write(request: Request) -> None:
        if state.token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), state.token.encode()):
                raise ApiError(401, "this endpoint needs the service's API token: send 'Authorization: Bearer TOKEN'",
                               {"WWW-Authenticate": "Bearer"})
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise ApiError(403, f"cross-site request from {origin} refused; post documents from a script or this site")

    # ---------------------------------------------------------------- pages and reads
    @app.get("/", response_class=HTMLResponse, summary="The story list (page): ?sort=size|sources|reuse|recent&page=N&q=words")
    def home(sort: str = "size", page: int = 1, q: str = "") -> HTMLResponse:
        return HTMLResponse(pages.story_list_html(state.reader(), links, sort, page, q))

    @app.get("/health", summary="Liveness and store counts")
    def health() -> dict[str, Any]:
        n_docs, n_stories, n_pairs = state.reader().counts()
        return {"ok": True, "documents": n_docs, "stories": n_stories, "pairs": n_pairs, "version": __version__,
                "passes": state.writer.passes}

    @app.get("/stories", summary="Every story, largest first (JSON; the story list page for browsers)")
    def list_stories(request: Request, limit: int = 1000, offset: int = 0, sort: str = "size", page: int = 1, q: str = "") -> Response:
        if _wants_html(request):
            return HTMLResponse(pages.story_list_html(state.reader(), links, sort, page, q))
        if not (1 <= limit <= 10_000) or offset < 0:
            raise ApiError(422, "limit must be 1 to 10000 and offset at least 0")
        store = state.reader()
        with store.snapshot():
            stories = store.stories()
            meta = store.doc_meta()
        stories.sort(key=lambda s: (-len(s.documents), s.id))
        body = [_story_json(s, meta) for s in stories[offset : offset + limit]]
        return JSONResponse({"total": len(stories), "offset": offset, "stories": body})

    @app.get("/stories/{story_id}", summary="One story: members, derivation edges, pairs (JSON or page)")
    def get_story(request: Request, story_id: str, trace: str | None = None, page: int = 1) -> Response:
        store = state.reader()
        if _wants_html(request):
            view = state.trace(trace) if trace else None
            html = pages.story_html(store, links, story_id, view, page)
            if html is None:
                raise _not_found("story", story_id)
            return HTMLResponse(html)
        with store.snapshot():
            s = store.story(story_id)
            if s is None:
                raise _not_found("story", story_id)
            meta = store.doc_meta(s.documents)
            pairs = store.pairs_touching(s.documents, within=True)
        j = _story_json(s, meta)
        j["members"] = [{"id": m.id, "source": m.source, "title": m.title, "published": m.published, "url": m.url,
                         "chars": m.chars} for m in (meta[d] for d in s.documents if d in meta)]
        j["pairs"] = [pair_to_json(p) for p in pairs]
        return JSONResponse(j)

    @app.get("/documents/{doc_id:path}", summary="One document with its text, body and removed spans (JSON or page)")
    def get_document(request: Request, doc_id: str) -> Response:
        store = state.reader()
        if _wants_html(request):
            html = pages.document_html(store, links, doc_id)
            if html is None:
                raise _not_found("document", doc_id)
            return HTMLResponse(html)
        j = _doc_json(store, doc_id)
        if j is None:
            raise _not_found("document", doc_id)
        return JSONResponse(j)

    @app.get("/pair", summary="Two related documents side by side, aligned passages highlighted (page or JSON)")
    def get_pair(request: Request, a: str, b: str) -> Response:
        store = state.reader()
        if _wants_html(request):
            html = pages.pair_html(store, links, a, b)
            if html is None:
                raise ApiError(404, f"no stored relation between {a!r} and {b!r}; a story page links the pairs it has")
            return HTMLResponse(html)
        with store.snapshot():
            p = store.pair_between(a, b)
        if p is None:
            raise ApiError(404, f"no stored relation between {a!r} and {b!r}; GET /stories/{{id}} lists a story's pairs")
        return JSONResponse(pair_to_json(p))

    # ---------------------------------------------------------------- compute
    def run_trace(text: str, top: int) -> tuple[list[Any], dict[str, Any]]:
        from wiretrace.engine.query import where_from

        store = state.reader()
        with state.compute:
            matches = where_from(store, text, state.config, state.embedder, top=top)
        return matches, views.trace_view(text, matches, store, links)

    @app.post("/trace", summary="Where did this text come from? The best story, its origin and the aligned passages")
    def trace(body: TraceIn) -> dict[str, Any]:
        from wiretrace.engine.query import QUERY_ID

        matches, _ = run_trace(body.text, body.top)
        out = []
        for m in matches:
            q_is_a = m.pair.a == QUERY_ID
            out.append({
                "document": m.document, "story": m.story.id if m.story else None,
                "story_title": m.story.title if m.story else None, "origin": m.story.origin if m.story else None,
                "relation": m.pair.relation, "explained": round(m.explained, 4), "scores": pair_to_json(m.pair)["scores"],
                "passages": [{"query": list(q.a if q_is_a else q.b), "document": list(q.b if q_is_a else q.a),
                              "kind": q.kind, "score": q.score} for q in m.pair.passages],
            })
        return {"best": out[0] if out else None, "matches": out}

    @app.post("/compare", summary="How text b relates to text a, with aligned passages (the report's pair object)")
    def compare_texts(body: CompareIn) -> dict[str, Any]:
        with state.compute:
            pair = compare(body.a, body.b, state.config, state.embedder)
        return pair_to_json(pair)

    @app.get("/search", response_class=HTMLResponse, summary="The search-by-text page")
    def search_page() -> HTMLResponse:
        return HTMLResponse(pages.search_html(links))

    @app.post("/search", response_class=HTMLResponse, summary="Search by text (form post): lands on the story")
    async def search(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        text = form.get("text")
        if not isinstance(text, str) or not text.strip():
            return HTMLResponse(pages.search_html(links, error="Paste some text to trace."), status_code=422)
        matches, view = await run_in_threadpool(run_trace, text, 5)
        best = view["best"]
        if best and best["story"]:
            key = state.keep_trace(view)
            return RedirectResponse(f"{links.story(best['story']['id'])}?trace={key}#trace", status_code=303)
        return HTMLResponse(pages.search_html(links, text=text, result=view))

    # ---------------------------------------------------------------- writes
    @app.post("/documents", status_code=201, openapi_extra=DOCUMENTS_BODY,
              summary="Add documents (a JSON object, a list of them, or multipart files); stories update",
              responses={200: {"description": "nothing new: every document was already stored"},
                         201: {"description": "documents added: their ids, their stories, per-document errors"},
                         400: {"description": "malformed JSON"}, 401: {"description": "missing or wrong token"},
                         409: {"description": "every id is taken by a stored document with another text"},
                         413: {"description": "body over the limit"}, 415: {"description": "unsupported content type"},
                         422: {"description": "no document could be read; nothing stored"}})
    async def add_documents(request: Request) -> Response:
        check_write(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if kind == "application/json" or kind.endswith("+json"):
                raw = await request.body()
                try:
                    payload = json.loads(raw)
                except (UnicodeDecodeError, ValueError, RecursionError) as e:
                    where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
                    msg = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
                    raise ApiError(400, f"malformed JSON{where}: {msg}; send a document object or a list of them") from None
                if not isinstance(payload, dict | list):
                    raise ApiError(422, "send a JSON object with \"id\" and \"text\" or \"html\", or a list of them")
                if isinstance(payload, list) and not payload:
                    raise ApiError(422, "the list holds no documents; nothing was stored")
                docs, rejected = await run_in_threadpool(documents_from_json, payload, ingest_config)
            elif kind == "multipart/form-data":
                form = await request.form(max_files=MAX_DOCS_PER_REQUEST, max_fields=MAX_DOCS_PER_REQUEST)
                files = [(v.filename or "", await v.read()) for _, v in form.multi_items() if isinstance(v, UploadFile)]
                if not files:
                    raise ApiError(422, "the form holds no files; attach .txt, .html, .jsonl or .warc files")
                docs, rejected = await run_in_threadpool(documents_from_files, files, ingest_config)
            else:
                raise ApiError(415, f"unsupported content type {kind or '(none)'!r}; send application/json or multipart/form-data")
        except InputError as e:
            raise ApiError(422, f"{e.problem}; nothing was stored") from None
        if not docs:
            return JSONResponse({
                "error": "no document in the request could be read; nothing was stored",
                "added": [], "unchanged": [], "stories": {}, "errors": [r.to_json() for r in rejected],
            }, status_code=422)
        outcome = await run_in_threadpool(state.writer.submit, docs)
        if outcome.failed:
            raise ApiError(500, outcome.failed)
        outcome.rejected = sorted(rejected + outcome.rejected, key=lambda r: r.index)
        body = outcome.to_json()
        if not outcome.added and not outcome.unchanged:  # every id clashed with a stored document
            body["error"] = "every document's id is already in the store with another text; nothing was stored"
            return JSONResponse(body, status_code=409)
        return JSONResponse(body, status_code=201 if outcome.added else 200)

    return app


__all__ = ["DEFAULT_MAX_BODY_BYTES", "ApiError", "Rejected", "create_app"]
