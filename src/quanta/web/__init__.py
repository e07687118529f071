"""The marketplace web UI: server-rendered Jinja2 pages with htmx, charts and lineage drawn as SVG.

``create_app(settings)`` returns the API app (:func:`quanta.api.create_app`) with the UI's pages and
static files added; ``quanta serve`` runs it.
"""

from quanta.web.app import create_app

__all__ = ["create_app"]
