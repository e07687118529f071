"""The standards layer: safe YAML loading, ODCS v3 data contracts and ODPS v1 data products.

Everything above this layer reads contracts and products through it. See ``docs/standards.md``.
"""

from quanta.spec.documents import Contract, Product, load_contract, load_product

__all__ = ["Contract", "Product", "load_contract", "load_product"]
