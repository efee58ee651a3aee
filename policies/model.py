"""The policy vocabulary: rules, their typed parameters, the context they read and the findings they make.

A rule is a plain function with an id, a description, a default enforcement level and typed parameters.
Four scopes decide what a rule sees and how often it runs:

``spec``      once per cluster, from the spec alone (finding provider: None)
``provider``  once per cluster and provider, with the rendered graph (and, lazily, its cost)
``resource``  once per rendered resource (the CrossGuard pack runs these as resource policies)
``fleet``     once per provider over every cluster checked together (team budgets)

The offline check (:mod:`kubefleet.policies.engine`) and the CrossGuard pack
(:mod:`kubefleet.policies.pack`) both call the functions registered in :mod:`kubefleet.policies.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from kubefleet.resolve.cluster import DEFAULT_PROTECTION, ProtectionRule
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.catalog import ResourceRequest, VersionSupport
    from kubefleet.cost.model import CostBreakdown
    from kubefleet.graph import RenderedResource, ResourceGraph

Level = Literal["advisory", "mandatory", "disabled"]
LEVELS: Final[tuple[Level, ...]] = ("advisory", "mandatory", "disabled")
Scope = Literal["spec", "provider", "resource", "fleet"]

#: parameter kinds and what a value of each looks like in a policy config file
ParamKind = Literal["str", "regex", "int", "decimal", "bool", "str-list", "decimal-map"]


class Facts(Protocol):
    """What rules read from the catalog (``kubefleet.catalog.Catalog`` fulfils it)."""

    def versions(self, provider: str) -> dict[str, VersionSupport]: ...

    def istio(self) -> dict[str, ResourceRequest]: ...


@dataclass(frozen=True)
class Param:
    """One typed rule parameter (camelCase, as written in a policy config file)."""

    name: str
    kind: ParamKind
    default: Any
    description: str


@dataclass(frozen=True)
class Violation:
    """What a rule function yields: the problem, what to do, and the resource (``type::name``) if any."""

    message: str
    hint: str | None = None
    resource: str | None = None
    urn: str | None = None


@dataclass(frozen=True)
class Finding:
    """A violation placed: which rule, at which level, on which cluster and provider."""

    rule: str
    level: Level
    cluster: str
    provider: str | None
    message: str
    hint: str | None = None
    resource: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        return (0 if self.mandatory else 1, self.cluster, self.provider or "", self.rule,
                self.resource or "", self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "cluster": self.cluster,
            "provider": self.provider,
            "message": self.message,
            "hint": self.hint,
            "resource": self.resource,
        }


@dataclass
class RuleContext:
    """What a rule reads. ``provider``/``graph`` are None for spec-scope rules."""

    spec: ClusterSpec
    as_of: date
    facts: Facts
    provider: str | None = None
    graph: ResourceGraph | None = None
    pricer: Callable[[ResourceGraph], CostBreakdown] | None = None
    protection: ProtectionRule = DEFAULT_PROTECTION  # which clusters are production (the policy config's)
    _cost: CostBreakdown | None = field(default=None, repr=False)

    @property
    def cluster(self) -> str:
        return self.spec.name

    def cost(self) -> CostBreakdown:
        """The monthly estimate of this cluster on this provider (priced once, on first use)."""
        if self._cost is None:
            if self.graph is None or self.pricer is None:
                raise RuntimeError("cost() needs a rendered graph and a pricer (provider-scope rules only)")
            self._cost = self.pricer(self.graph)
        return self._cost


@dataclass(frozen=True)
class TeamCost:
    """One cluster's monthly estimate on one provider, for fleet rules."""

    cluster: str
    team: str | None
    provider: str
    monthly: Decimal


SpecCheck = Callable[[RuleContext, Mapping[str, Any]], Iterable[Violation]]
ResourceCheck = Callable[["RenderedResource", RuleContext, Mapping[str, Any]], Iterable[Violation]]
FleetCheck = Callable[[Sequence[TeamCost], Mapping[str, Any]], Iterable[tuple[Violation, str, str]]]


@dataclass(frozen=True)
class Rule:
    """A registered rule. ``check`` takes the arguments of its scope (see the module docstring)."""

    id: str
    description: str
    level: Level
    scope: Scope
    check: Callable[..., Iterable[Any]]
    params: tuple[Param, ...] = ()
    needs_cost: bool = False

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)
