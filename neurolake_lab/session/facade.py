"""``Facade``: what the Session's facades share.

The services, an up-to-date lakehouse, and the authorizer every method that changes something
asks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neurolake_lab.lakehouse import Lakehouse
    from neurolake_lab.lakehouse.statements import TableId
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

    def require(self, privilege: str, table: TableId | None, operation: str) -> None:
        """Refuse (audited, ``NotAuthorized``) unless the user has ``privilege`` on ``table``."""
        self.services.authorizer.require(privilege, table, operation)
