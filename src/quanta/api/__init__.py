"""The marketplace REST API (``/api/v1``) and every product's gateway (``/products/{domain}/{product}/``).

``create_app(settings)`` builds the FastAPI app; routes are thin and call the catalog, the registry reader
or the access service (see ``docs/marketplace.md``).
"""

from quanta.api.app import create_app
from quanta.api.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
