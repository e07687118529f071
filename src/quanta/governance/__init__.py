"""Federated computational governance: policies as code (CEL), federation rules and certification."""
