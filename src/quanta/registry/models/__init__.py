"""SQLAlchemy models of the registry, one small module per area.

Adding a table: put its model in a module here (or a new one), import it below so that ``Base.metadata``
knows it, then add an Alembic revision under ``quanta/registry/migrations/versions/`` (see
``docs/registry-and-storage.md``). ``tests/registry/test_migrations.py`` fails while the models and the
migrations disagree.
"""

from quanta.registry.models.access import (
    AccessAgreement,
    AgreementTransition,
    ApiToken,
    AuditRecord,
    Principal,
)
from quanta.registry.models.accounts import LocalAccount
from quanta.registry.models.base import Base, utcnow
from quanta.registry.models.checks import CheckResult
from quanta.registry.models.events import Event
from quanta.registry.models.governance import Certification
from quanta.registry.models.lineage import LineageEdge
from quanta.registry.models.marketplace import UsageCount, WebhookSubscription
from quanta.registry.models.products import (
    ContractVersion,
    DescriptorVersion,
    OutputPort,
    Product,
    ProductState,
)
from quanta.registry.models.runs import Build, ProductRun
from quanta.registry.models.snapshots import Snapshot

__all__ = [
    "AccessAgreement",
    "AgreementTransition",
    "ApiToken",
    "AuditRecord",
    "Base",
    "Build",
    "Certification",
    "CheckResult",
    "ContractVersion",
    "DescriptorVersion",
    "Event",
    "LineageEdge",
    "LocalAccount",
    "OutputPort",
    "Principal",
    "Product",
    "ProductRun",
    "ProductState",
    "Snapshot",
    "UsageCount",
    "WebhookSubscription",
    "utcnow",
]
