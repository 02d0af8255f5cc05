"""The story browser: server-rendered pages over a store (story list, story, pair, document, search).

``pages`` renders them (Jinja2, autoescaped; CSS and a small JS file served from ``static/``, no CDN),
``views`` turns stored objects into what the templates show, ``graph`` lays out the derivation tree
and the timelines as SVG, and ``writer`` adds documents to a store for the HTTP service; the read queries
they need are ``Store`` methods. ``export_site`` writes the static export (``export``: the list and search as a small app over data shards, a page per several-document story).
The service's own parts (``guard``: body cap and security headers, ``schemas``: request models,
``state``: what it holds between requests) are imported by ``wiretrace.app.service`` only.
"""

from wiretrace.app.web.export import export_site
from wiretrace.report.links import Links, StaticLinks

__all__ = ["Links", "StaticLinks", "export_site"]
