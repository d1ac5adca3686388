"""The demo data set every new user sees first: the ``retail`` lakehouse (``demo-retail.md``).

``generate_retail`` makes its tables as Arrow, with descriptions and keys, deterministically for
a seed and with dates relative to today.
"""

from __future__ import annotations

from neurolake_lab.demo.retail import DemoTable, ForeignKey, generate_retail

__all__ = ["DemoTable", "ForeignKey", "generate_retail"]
