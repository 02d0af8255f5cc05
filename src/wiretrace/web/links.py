"""Where each page lives: URLs of the running service, or file names of the static export."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import xxhash


class Links:
    """URLs of the service's pages (``wiretrace serve``)."""

    search: str | None = "/search"

    def home(self) -> str:
        return "/"

    def static(self, name: str) -> str:
        return "/static/" + name

    def story(self, story_id: str) -> str:
        return "/stories/" + quote(story_id, safe="")

    def document(self, doc_id: str) -> str:
        return "/documents/" + quote(doc_id, safe="")

    def pair(self, a: str, b: str) -> str:
        return "/pair?" + urlencode({"a": a, "b": b})


def page_file(kind: str, ident: str) -> str:
    """A safe, unique file name for a page about ``ident`` (any string)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ident).strip("-")[:48]
    return f"{kind}-{slug}-{xxhash.xxh64_hexdigest(ident.encode('utf-8'))[:8]}.html"


class StaticLinks(Links):
    """File names of the static export: every page in one folder, CSS and JS under ``static/``."""

    search = None  # the trace query needs the service

    def home(self) -> str:
        return "index.html"

    def static(self, name: str) -> str:
        return "static/" + name

    def story(self, story_id: str) -> str:
        return page_file("story", story_id)

    def document(self, doc_id: str) -> str:
        return page_file("doc", doc_id)

    def pair(self, a: str, b: str) -> str:
        return page_file("pair", "\x00".join(sorted((a, b))))  # one page per pair, either order
