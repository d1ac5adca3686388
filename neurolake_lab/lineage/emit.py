"""Send OpenLineage run events to an HTTP endpoint (Marquez, DataHub, any OpenLineage consumer).

Only when the user configured one (``NEUROLAKE_OPENLINEAGE_URL`` or ``openlineage_url`` in
``neurolake.toml``): nothing leaves the machine otherwise. A consumer that is down costs a write
at most the timeout and a notice; the write itself has already committed.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

ENV_VAR = "NEUROLAKE_OPENLINEAGE_URL"
TIMEOUT_S = 3.0


def endpoint(settings_extra: Mapping[str, Any]) -> str | None:
    """The configured endpoint (``.../api/v1/lineage``), or ``None``."""
    url = os.environ.get(ENV_VAR) or settings_extra.get("openlineage_url")
    return str(url) if url else None


def post_event(url: str, event: Mapping[str, Any], timeout: float = TIMEOUT_S) -> str | None:
    """POST one event; ``None`` when the endpoint accepted it, else what went wrong."""
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))
