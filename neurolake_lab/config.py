"""Settings and the workspace folder.

Settings resolve as: explicit arguments > ``NEUROLAKE_*`` environment variables > the workspace's
``neurolake.toml`` > defaults. The workspace folder holds everything NeuroLake persists
(docs/architecture.md, "The workspace"); this module only lays it out and reads its settings.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neurolake_lab.exceptions import WorkspaceError

SETTINGS_FILE = "neurolake.toml"


def default_workspace() -> Path:
    """``$NEUROLAKE_WORKSPACE`` if set, else ``~/.neurolake``."""
    env = os.environ.get("NEUROLAKE_WORKSPACE")
    return Path(env).expanduser() if env else Path.home() / ".neurolake"


def hub_user() -> str | None:
    """The JupyterHub user this process serves (``$JUPYTERHUB_USER``), ``None`` outside a Hub."""
    return os.environ.get("JUPYTERHUB_USER") or None


def current_user() -> str:
    """Who runs this process: the Hub's user, else ``$NEUROLAKE_USER``, else the OS user."""
    for var in ("JUPYTERHUB_USER", "NEUROLAKE_USER"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "unknown"


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one session."""

    workspace: Path
    owner: str
    user: str
    memory_limit: str | None = None
    threads: int | None = None
    timezone: str = "UTC"
    preview_rows: int = 50
    #: Iceberg catalog: ``sqlite:///...`` (default: the workspace's ``catalog.db``),
    #: ``postgresql+psycopg://...`` or an ``http(s)://`` Iceberg REST catalog.
    catalog_uri: str | None = None
    #: Where data files go: a local folder (default: the workspace's ``warehouse/``) or an
    #: ``s3://``, ``gs://`` or ``abfs://`` URI passed through to pyiceberg's FileIO.
    warehouse: str | None = None
    #: Extra pyiceberg catalog properties (``[catalog]`` in ``neurolake.toml``), e.g. credentials.
    catalog_properties: dict[str, str] = field(default_factory=dict)
    #: whether each cell's actual cost goes into the workspace's history (the cost model learns)
    learn_costs: bool = True
    #: whether query results are reused while their inputs' snapshots hold (``result_cache =
    #: false`` or ``NEUROLAKE_RESULT_CACHE=0`` runs every query: benchmarks measure cold runs)
    result_cache: bool = True
    #: ISO 3166 regions whose national phone formats the PII classifier reads, most likely first
    #: (``pii_phone_regions = ["DE", "AT", "CH"]``, or ``NEUROLAKE_PII_PHONE_REGIONS=DE,AT,CH``);
    #: None: its default list. Numbers written with ``+`` are read whatever the regions.
    pii_phone_regions: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Workspace:
    """The folder that keeps everything durable, and the paths inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def settings_file(self) -> Path:
        """``neurolake.toml``: the owner and the settings."""
        return self.root / SETTINGS_FILE

    @property
    def catalog_db(self) -> Path:
        """The SQLite Iceberg catalog (lakehouse issue)."""
        return self.root / "catalog.db"

    @property
    def warehouse(self) -> Path:
        """Iceberg data and metadata files."""
        return self.root / "warehouse"

    @property
    def cache(self) -> Path:
        """Caches that can be rebuilt at any time."""
        return self.root / "cache"

    @property
    def notebooks(self) -> Path:
        """Where ``neurolake lab`` keeps the notebooks it opens."""
        return self.root / "notebooks"

    def ensure(self) -> None:
        """Create the folder and ``neurolake.toml`` (recording the owner) if they are missing.

        Creating the settings file uses ``O_EXCL`` so that two kernels starting on a new workspace
        at the same moment agree on one owner.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.cache.mkdir(exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create workspace folder {self.root}: {exc}") from None
        if self.settings_file.exists():
            return
        created = datetime.now(UTC).isoformat(timespec="seconds")
        text = (
            "# NeuroLake workspace settings. Environment variables NEUROLAKE_* win.\n"
            f'owner = "{current_user()}"\n'
            f'created = "{created}"\n'
        )
        with contextlib.suppress(FileExistsError):
            fd = os.open(self.settings_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)

    def read_settings(self) -> dict[str, Any]:
        """The contents of ``neurolake.toml`` (empty when there is none)."""
        try:
            with self.settings_file.open("rb") as fh:
                return tomllib.load(fh)
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise WorkspaceError(f"{self.settings_file} is not valid TOML: {exc}") from None


def _env(name: str) -> str | None:
    value = os.environ.get(f"NEUROLAKE_{name.upper()}")
    return value if value else None


def _flag(value: Any) -> bool:
    """A boolean setting given as a bool or as text (``0``/``false``/``no``/``off`` are false)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def _regions(value: Any) -> tuple[str, ...] | None:
    """Phone regions given as a list or as comma/space-separated text (``"DE, AT"``)."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    regions = tuple(str(r).strip().upper() for r in items if str(r).strip())
    import phonenumbers  # small; only when the setting is given

    bad = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if bad:
        raise WorkspaceError(
            f"invalid pii_phone_regions {', '.join(bad)}: use two-letter ISO 3166 codes (DE, US)"
        )
    return regions or None


def resolve_settings(workspace: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Resolve the settings of a session on ``workspace`` (created if missing)."""
    root = Path(workspace).expanduser() if workspace is not None else default_workspace()
    ws = Workspace(root.resolve())
    ws.ensure()
    stored = ws.read_settings()

    def pick(key: str, default: Any = None) -> Any:
        if overrides.get(key) is not None:
            return overrides[key]
        env = _env(key)
        if env is not None:
            return env
        return stored.get(key, default)

    preview = pick("preview_rows", 50)
    threads = pick("threads")
    try:
        preview_rows = int(preview)
        thread_count = int(threads) if threads is not None else None
    except ValueError as exc:
        raise WorkspaceError(f"invalid number in settings: {exc}") from None
    owner, user = _identity(stored, pick("user", current_user()))
    return Settings(
        workspace=ws.root,
        owner=owner,
        user=user,
        memory_limit=pick("memory_limit"),
        threads=thread_count,
        timezone=str(pick("timezone", "UTC")),
        preview_rows=preview_rows,
        catalog_uri=pick("catalog_uri"),
        learn_costs=_flag(pick("learn_costs", True)),
        result_cache=_flag(pick("result_cache", True)),
        pii_phone_regions=_regions(pick("pii_phone_regions")),
        warehouse=pick("warehouse"),
        catalog_properties={str(k): str(v) for k, v in dict(stored.get("catalog", {})).items()},
        extra={
            k: v for k, v in stored.items() if k not in {*Settings.__dataclass_fields__, "catalog"}
        },
    )


def _identity(stored: dict[str, Any], asked: Any) -> tuple[str, str]:
    """``(owner, user)`` of a session.

    Outside JupyterHub both are self-asserted: the user as asked (argument, ``$NEUROLAKE_USER``,
    ``neurolake.toml``), the owner as recorded in ``neurolake.toml``. Under JupyterHub the Hub
    authenticated the user, so ``$JUPYTERHUB_USER`` is the identity and asking for another one is
    refused; and since every user can write their own ``neurolake.toml``, the owner comes only
    from the deployment's environment (``$NEUROLAKE_OWNER``, set by the Hub's spawner): without
    it nobody is the owner, so nobody bypasses the policies.
    """
    hub = hub_user()
    if hub is None:
        return str(stored.get("owner", current_user())), str(asked)
    if asked is not None and str(asked) != hub:
        raise WorkspaceError(
            f"under JupyterHub the identity is the Hub's user {hub!r}: it cannot be set to "
            f"{str(asked)!r}"
        )
    return os.environ.get("NEUROLAKE_OWNER", ""), hub
