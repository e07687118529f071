"""What the access layer needs to know about a mesh: ports, their columns' sensitivity, teams, approvers.

:func:`load_catalog` reads a mesh folder through :mod:`quanta.mesh` and keeps, for each published output
port (``domain.product.port``), the contract it is served under, its owner team, the approvers named by
the contract's ``roles``, whether it auto-approves requests, and how each property is masked.

Sources of each fact:

- **owner team**: the ODPS descriptor's ``team.name``, else the domain's ``owner`` (``domain.yaml``);
- **teams and members**: ``mesh.yaml`` ``teams:``, files in ``<mesh>/teams/*.yaml`` (``name``,
  ``description``, ``members``), the ODPS ``team`` and the ODCS ``team`` (3.1 object form or 3.0 list);
- **approvers**: ODCS ``roles[].firstLevelApprovers`` / ``secondLevelApprovers`` (a user or a team name,
  or a comma-separated list of them);
- **auto-approval**: the custom property ``quantaAutoApprove: true`` on the ODPS output port or in the
  contract's ``customProperties``;
- **sensitive properties**: an ODCS property whose ``classification`` is ``restricted``, ``confidential``
  or ``secret``, or whose ``tags`` contain ``pii``; the custom property ``quantaMask`` on the property
  (``hash`` by default, or ``null``) says how it is masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from quanta.errors import ConfigError, QuantaError

if TYPE_CHECKING:
    from quanta.spec.sunset import Lifecycle

__all__ = [
    "AUTO_APPROVE_PROPERTY",
    "MASK_PROPERTY",
    "SENSITIVE_CLASSIFICATIONS",
    "AccessCatalog",
    "ColumnRule",
    "PortInfo",
    "Team",
    "UnknownPort",
    "custom_property",
    "load_catalog",
]

#: ODPS output port / ODCS contract custom property that lets requests be approved automatically.
AUTO_APPROVE_PROPERTY = "quantaAutoApprove"
#: ODCS property custom property choosing how a sensitive property is masked: ``hash`` or ``null``.
MASK_PROPERTY = "quantaMask"
#: ODCS ``classification`` values whose properties are masked unless the agreement grants PII access.
SENSITIVE_CLASSIFICATIONS = frozenset({"restricted", "confidential", "secret"})
PII_TAG = "pii"

MaskKind = Literal["hash", "null"]


class UnknownPort(QuantaError):
    """A statement or a request names a port the mesh does not publish."""


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """How one property (column) of a port is treated.

    Attributes:
        name: the column name in the published table (ODCS ``physicalName``, else ``name``).
        sensitive: masked unless the agreement grants PII access.
        mask: ``"hash"`` (salted SHA-256 of the text value) or ``"null"``.
        classification: the ODCS ``classification`` as written, if any.
    """

    name: str
    sensitive: bool = False
    mask: MaskKind = "hash"
    classification: str | None = None


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One published output port as the access layer sees it.

    Attributes:
        domain: domain folder name.
        product: product folder name.
        name: output port name.
        version: the ODPS port ``version``.
        contract_id: the ODCS contract ``id``.
        contract_version: the ODCS contract ``version`` (SemVer).
        owner: the owner team's name, or ``None`` when neither the descriptor nor the domain names one.
        location: the Delta table location ``<storage>/<domain>/<product>/<port>``.
        columns: the contract's properties with their masking rule.
        auto_approve: ``quantaAutoApprove`` is true on the port or the contract.
        first_level_approvers: names (users or teams) from ``roles[].firstLevelApprovers``.
        second_level_approvers: names from ``roles[].secondLevelApprovers``; non-empty means two-level.
        roles: the contract's ``roles[]`` entries, as written.
        lifecycle: the port's lifecycle (``quanta.spec.sunset.Lifecycle``); its dates are judged again at
            each query (:mod:`quanta.access.lifecycle`).
        successor: ``domain.product.port`` of the next major version of the port, if listed.
    """

    domain: str
    product: str
    name: str
    version: str
    contract_id: str
    contract_version: str
    owner: str | None
    location: str
    columns: tuple[ColumnRule, ...] = ()
    auto_approve: bool = False
    first_level_approvers: tuple[str, ...] = ()
    second_level_approvers: tuple[str, ...] = ()
    roles: tuple[Mapping[str, Any], ...] = ()
    lifecycle: Lifecycle | None = None
    successor: str | None = None

    @property
    def key(self) -> str:
        """``domain.product.port``."""
        return f"{self.domain}.{self.product}.{self.name}"

    @property
    def product_key(self) -> str:
        """``domain.product``."""
        return f"{self.domain}.{self.product}"

    @property
    def contains_pii(self) -> bool:
        """Whether any property is sensitive."""
        return any(column.sensitive for column in self.columns)

    @property
    def contract_major(self) -> int:
        """The major number of :attr:`contract_version` (``0`` when it is not SemVer)."""
        return major_of(self.contract_version)

    def column(self, name: str) -> ColumnRule | None:
        """Return the rule of column ``name`` (case-insensitive), or ``None``."""
        lowered = name.lower()
        return next((column for column in self.columns if column.name.lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Team:
    """A team and its members (user names).

    Attributes:
        name: the team name.
        members: the members' user names.
        description: what the team does.
    """

    name: str
    members: frozenset[str] = frozenset()
    description: str | None = None


@dataclass
class AccessCatalog:
    """The ports, teams and products of one mesh, indexed for access decisions.

    Attributes:
        name: the mesh name.
        root: the mesh folder (``None`` for a catalog built in memory).
        ports: ports by ``domain.product.port``.
        teams: teams by name.
        products: the ``domain.product`` keys of every product (consumers can be products).
        policy_dir: the folder of custom Cedar policies (``<mesh>/policies/access``).
    """

    name: str = "mesh"
    root: Path | None = None
    ports: dict[str, PortInfo] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    products: frozenset[str] = frozenset()
    policy_dir: Path | None = None

    def port(self, key: str) -> PortInfo:
        """Return the port called ``domain.product.port`` (case-insensitive).

        Raises:
            UnknownPort: no such port is published by this mesh; the message lists how to find ports.
        """
        found = self.ports.get(key) or self.ports.get(key.lower())
        if found is None:
            lowered = {k.lower(): v for k, v in self.ports.items()}
            found = lowered.get(key.lower())
        if found is None:
            raise UnknownPort(
                f"unknown port {key!r}: ports are named domain.product.port "
                f"(known: {', '.join(sorted(self.ports)) or 'none'})"
            )
        return found

    def teams_of(self, user: str) -> frozenset[str]:
        """Return the names of the teams ``user`` is a member of."""
        return frozenset(team.name for team in self.teams.values() if user in team.members)

    def is_member(self, principal: str, group: str | None) -> bool:
        """Whether ``principal`` is ``group`` itself or a member of the team called ``group``."""
        if not group:
            return False
        if principal == group:
            return True
        team = self.teams.get(group)
        return team is not None and principal in team.members

    def users(self) -> frozenset[str]:
        """Every user name that is a member of some team."""
        return frozenset(member for team in self.teams.values() for member in team.members)


def major_of(version: str | None) -> int:
    """Return the major number of a SemVer string (``"2.1.0"`` → 2; anything else → 0)."""
    head = str(version or "0").lstrip("vV").split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def custom_property(items: Iterable[Any] | None, name: str) -> Any:
    """Return the ``value`` of the custom property ``name`` in an ODCS/ODPS ``customProperties`` list."""
    for item in items or ():
        if isinstance(item, Mapping) and item.get("property") == name:
            return item.get("value")
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "on"}
    return bool(value)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [name for item in value for name in _names(item)]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _members(members: Any) -> list[str]:
    names: list[str] = []
    for member in members or ():
        if isinstance(member, Mapping):
            username = member.get("username") or member.get("name")
            if username and not member.get("dateOut"):
                names.append(str(username))
        elif member is not None:
            names.append(str(member))
    return names


def _team_from(data: Any) -> tuple[str | None, list[str], str | None]:
    """Read an ODPS/ODCS ``team`` (3.1 object or 3.0 member list): (name, members, description)."""
    if isinstance(data, Mapping):
        return data.get("name"), _members(data.get("members")), data.get("description")
    if isinstance(data, list):
        return None, _members(data), None
    return None, [], None


def column_rules(contract_data: Mapping[str, Any], port_name: str) -> tuple[ColumnRule, ...]:
    """Return the masking rule of every property of the schema object that a port publishes.

    The object is the one named like the port, else the only object, else every object's properties.

    Args:
        contract_data: the ODCS contract as a mapping.
        port_name: the output port name.

    Returns:
        One rule per property, in contract order.

    Raises:
        ConfigError: a ``quantaMask`` value is not ``hash`` or ``null``.
    """
    objects = [obj for obj in contract_data.get("schema") or () if isinstance(obj, Mapping)]
    chosen = [obj for obj in objects if str(obj.get("name", "")).lower() == port_name.lower()]
    if not chosen:
        chosen = objects
    rules: list[ColumnRule] = []
    for obj in chosen:
        for prop in obj.get("properties") or ():
            if not isinstance(prop, Mapping) or not prop.get("name"):
                continue
            classification = prop.get("classification")
            tags = {str(tag).lower() for tag in prop.get("tags") or ()}
            sensitive = str(classification or "").lower() in SENSITIVE_CLASSIFICATIONS or PII_TAG in tags
            mask = str(custom_property(prop.get("customProperties"), MASK_PROPERTY) or "hash").lower()
            if mask not in ("hash", "null"):
                raise ConfigError(
                    f"contract {contract_data.get('id')!r}: property {prop.get('name')!r} has "
                    f"{MASK_PROPERTY}: {mask!r}; use `hash` or `null`"
                )
            name = str(prop.get("physicalName") or prop["name"])
            rules.append(ColumnRule(name, sensitive, mask, classification))  # type: ignore[arg-type]
    return tuple(rules)


def load_catalog(mesh: str | Path) -> AccessCatalog:
    """Load the access view of the mesh at (or above) ``mesh``.

    Args:
        mesh: the mesh folder or any folder inside it.

    Returns:
        The catalog of ports, teams and products.

    Raises:
        ConfigError: the mesh, a team file or a masking property is invalid.
        SpecError: a descriptor or contract is not loadable.
    """
    from quanta.mesh.workspace import load_workspace

    workspace = load_workspace(mesh)
    teams: dict[str, set[str]] = {}
    descriptions: dict[str, str | None] = {}

    def add_team(name: str | None, members: Iterable[str], description: str | None = None) -> None:
        if not name:
            return
        teams.setdefault(str(name), set()).update(members)
        if description and not descriptions.get(str(name)):
            descriptions[str(name)] = str(description)

    for team in workspace.config.teams:
        add_team(team.name, _members(team.members), team.description)
    for name, members, description in _team_files(workspace.root / "teams"):
        add_team(name, members, description)

    ports: dict[str, PortInfo] = {}
    for product in workspace.products.values():
        domain = workspace.domains.get(product.domain)
        product_team, product_members, product_description = _team_from(product.descriptor.data.get("team"))
        owner = product_team or (domain.owner if domain else None)
        add_team(owner, product_members, product_description)
        for port in product.output_ports:
            contract = port.contract.data
            contract_team, contract_members, contract_description = _team_from(contract.get("team"))
            add_team(contract_team or owner, contract_members, contract_description)
            roles = tuple(role for role in contract.get("roles") or () if isinstance(role, Mapping))
            raw_port = product.descriptor.output_ports[port.index]
            auto = _truthy(
                custom_property(raw_port.get("customProperties"), AUTO_APPROVE_PROPERTY)
            ) or _truthy(custom_property(contract.get("customProperties"), AUTO_APPROVE_PROPERTY))
            info = PortInfo(
                domain=product.domain,
                product=product.name,
                name=port.name,
                version=port.version,
                contract_id=port.contract_id,
                contract_version=str(contract.get("version") or "0.0.0"),
                owner=owner,
                location=workspace.table_location(product, port),
                columns=column_rules(contract, port.name),
                auto_approve=auto,
                first_level_approvers=tuple(
                    dict.fromkeys(n for role in roles for n in _names(role.get("firstLevelApprovers")))
                ),
                second_level_approvers=tuple(
                    dict.fromkeys(n for role in roles for n in _names(role.get("secondLevelApprovers")))
                ),
                roles=roles,
                lifecycle=product.lifecycle(port),
                successor=_successor(product, port),
            )
            ports[info.key] = info
    return AccessCatalog(
        name=workspace.config.name,
        root=workspace.root,
        ports=ports,
        teams={
            name: Team(name, frozenset(members), descriptions.get(name)) for name, members in teams.items()
        },
        products=frozenset(workspace.products),
        policy_dir=workspace.root / "policies" / "access",
    )


def _successor(product: Any, port: Any) -> str | None:
    """``domain.product.port`` of the next major version of ``port``, if the descriptor lists one."""
    following = product.successor(port)
    return None if following is None else f"{product.key}.{following.name}"


def _team_files(folder: Path) -> list[tuple[str | None, list[str], str | None]]:
    """Read ``<mesh>/teams/*.yaml``: each file one team (``name`` defaults to the file stem)."""
    if not folder.is_dir():
        return []
    from quanta.errors import SpecError
    from quanta.spec.loader import load_yaml

    found = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            data = load_yaml(path).data
        except SpecError as error:
            raise ConfigError(error.message, diagnostics=error.diagnostics) from error
        name = data.get("name") or path.stem.split(".")[0]
        found.append((str(name), _members(data.get("members")), data.get("description")))
    return found
