"""``Facade``: what the Session's facades share: the services, and an up-to-date lakehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.services import Services


class Facade:
    """A group of Session methods over the session's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def lakehouse(self) -> Lakehouse:
        """The session's lakehouse, brought up to the catalog's current snapshots."""
        lake = self.services.lakehouse
        lake.refresh(self.services.engine.con)
        return lake
