"""Optimizer rules, one per file: each proposes rewrites of a cell (``candidates(ctx)``)."""
