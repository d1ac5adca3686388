"""Notebooks shipped with the package (the quickstart ``neurolake lab`` opens)."""
