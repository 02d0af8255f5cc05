"""Render the story browser's pages (Jinja2 with autoescaping on); ``export`` writes the static export.

Every value from the store is untrusted: article text, titles, outlets, ids, URLs. Templates never
mark anything safe; the CSS and JS are files served beside the pages (no inline script, no CDN), so the
service can send a Content-Security-Policy that forbids inline script altogether.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from wiretrace.app.web import views
from wiretrace.engine.store import Store
from wiretrace.report.links import Links

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


def story_list_html(store: Store, links: Links, sort: str = "size", page: int = 1, q: str = "") -> str:
    return render("stories.html.j2", links, **views.story_list(store, links, sort, page, q))


def story_html(
    store: Store, links: Links, story_id: str, trace: dict[str, Any] | None = None, page: int = 1
) -> str | None:
    view = views.story_page(store, links, story_id, page)
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
