"""Offline PII classification of table columns (Presidio + an offline spaCy model).

``classify_table(arrow_table)`` tags every column with a :class:`PiiTag`; ``load_model()``
loads the NLP model ahead of time. Presidio and spaCy are imported on first use, not when this
package is imported.
"""

from __future__ import annotations

from neurolake_lab.compliance.pii.classifier import classify_column, classify_table, load_model
from neurolake_lab.compliance.pii.tags import CATEGORY_OF, PiiTag, category_of

__all__ = [
    "CATEGORY_OF",
    "PiiTag",
    "category_of",
    "classify_column",
    "classify_table",
    "load_model",
]
