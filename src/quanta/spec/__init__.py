"""The standards layer: safe YAML loading, ODCS v3 data contracts and ODPS v1 data products.

Everything above this layer reads contracts and products through it. See ``docs/standards.md``.
"""
