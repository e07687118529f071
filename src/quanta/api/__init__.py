"""The marketplace REST API (``/api/v1``) and every product's gateway (``/products/...``)."""
