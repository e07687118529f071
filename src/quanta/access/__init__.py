"""Consumption: principals, tokens, access agreements, authorization, guarded queries, masking, audit."""
