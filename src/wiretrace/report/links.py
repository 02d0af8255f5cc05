"""Where each page lives: URLs of the running service, or file names of the static export."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import xxhash


class Links:
    """URLs of the service's pages (``wiretrace serve``): every page is built on demand from the store."""

    search: str | None = "/search"  # the trace query (needs the service)
    find: str | None = None  # a keyword search page over a prebuilt index (static export only)
    single_story_pages = True  # a one-document story has a page of its own

    def home(self, sort: str = "size", page: int = 1) -> str:
        if sort == "size" and page == 1:
            return "/"
        return "/?" + urlencode({"sort": sort, "page": page})

    def static(self, name: str) -> str:
        return "/static/" + name

    def story(self, story_id: str, page: int = 1) -> str:
        return "/stories/" + quote(story_id, safe="") + (f"?page={page}" if page > 1 else "")

    def document(self, doc_id: str) -> str:
        return "/documents/" + quote(doc_id, safe="")

    def pair(self, a: str, b: str) -> str:
        return "/pair?" + urlencode({"a": a, "b": b})


def page_file(kind: str, ident: str, page: int = 1) -> str:
    """A safe, unique file name for a page about ``ident`` (any string)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", ident).strip("-")[:48]
    return f"{kind}-{slug}-{xxhash.xxh64_hexdigest(ident.encode('utf-8'))[:8]}" + (f"-p{page}" if page > 1 else "") + ".html"


class StaticLinks(Links):
    """File names of the static export (``site/``): the story list and its pages of every order are one
    page driven by data shards (``#sort=...&page=...``), several-document stories have pages of their own,
    documents and pairs are two pages that draw the one named after ``#`` from data shards."""

    search = None  # the trace query needs the service
    find = "search.html"
    single_story_pages = False

    def home(self, sort: str = "size", page: int = 1) -> str:
        if sort == "size" and page == 1:
            return "index.html"
        return "index.html#" + urlencode({"sort": sort, "page": page})

    def static(self, name: str) -> str:
        return "static/" + name

    def story(self, story_id: str, page: int = 1) -> str:
        return page_file("story", story_id, page)

    def document(self, doc_id: str) -> str:
        return "doc.html#id=" + quote(doc_id, safe="")

    def pair(self, a: str, b: str) -> str:
        return "pair.html#a=" + quote(a, safe="") + "&b=" + quote(b, safe="")
