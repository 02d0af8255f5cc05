"""Render the story browser's pages (Jinja2 with autoescaping on), and export them as static files.

Every value from the store is untrusted: article text, titles, outlets, ids, URLs. Templates never
mark anything safe; the CSS and JS are files served beside the pages (no inline script, no CDN), so the
service can send a Content-Security-Policy that forbids inline script altogether.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from wiretrace.store import Store
from wiretrace.web import views
from wiretrace.web.links import Links, StaticLinks

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from the store is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "\u2013" if v is None else f"{v:.0%}"
    env.filters["num"] = lambda v: "\u2013" if v is None else f"{v:.2f}"
    return env


def render(template: str, links: Links, **context: Any) -> str:
    return environment().get_template(template).render(links=links, **context)


def story_list_html(store: Store, links: Links) -> str:
    return render("stories.html.j2", links, **views.story_list(store, links))


def story_html(store: Store, links: Links, story_id: str, trace: dict[str, Any] | None = None) -> str | None:
    view = views.story_page(store, links, story_id)
    return None if view is None else render("story.html.j2", links, trace=trace, **view)


def pair_html(store: Store, links: Links, a: str, b: str) -> str | None:
    view = views.pair_page(store, links, a, b)
    return None if view is None else render("pair.html.j2", links, **view)


def document_html(store: Store, links: Links, doc_id: str) -> str | None:
    view = views.document_page(store, links, doc_id)
    return None if view is None else render("document.html.j2", links, **view)


def search_html(links: Links, text: str = "", result: dict[str, Any] | None = None, error: str = "") -> str:
    return render("search.html.j2", links, text=text, result=result, error=error)


def error_html(links: Links, status: int, message: str) -> str:
    return render("error.html.j2", links, status=status, message=message)


def export_site(store_dir: str | Path, out: str | Path, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Write every page of the store as static files under ``out`` (``index.html`` first); the number
    of pages written. The search page needs the service and is left out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC, out / "static", dirs_exist_ok=True)
    links = StaticLinks()
    store = Store(store_dir)
    written = 0

    def write(name: str, html: str | None) -> None:
        nonlocal written
        (out / name).write_text(html or "", encoding="utf-8")
        written += 1

    try:
        with store.snapshot():
            stories = store.stories()
            doc_ids = store.all_ids()
            pairs = [(p.a, p.b) for p in store.pairs()]
        total = 1 + len(stories) + len(doc_ids) + len(pairs)
        write("index.html", story_list_html(store, links))
        for s in stories:
            write(links.story(s.id), story_html(store, links, s.id))
            if progress:
                progress("site", written, total)
        for d in doc_ids:
            write(links.document(d), document_html(store, links, d))
            if progress:
                progress("site", written, total)
        for a, b in pairs:
            write(links.pair(a, b), pair_html(store, links, a, b))
            if progress:
                progress("site", written, total)
    finally:
        store.close()
    return written
