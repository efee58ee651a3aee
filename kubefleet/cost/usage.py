"""Usage inputs for usage-priced items, in the shape of Infracost's usage file.

Infracost's ``infracost-usage.yml`` (infracost/infracost@2112605:infracost-usage-example.yml) is a YAML
mapping with ``version: 0.1``, ``resource_type_default_usage`` (per resource type, for every resource of
that type) and ``resource_usage`` (per resource address ``<type>.<name>``), each a mapping of usage keys to
numbers. kubefleet follows it with one resource type, ``kubefleet_cluster``, addressed by cluster name, and
Infracost's own key names where the meaning is the same:

- ``monthly_data_ingested_gb`` (Infracost's ``aws_cloudwatch_log_group`` key): log GiB ingested per month
  -- GKE's Cloud Logging and EKS's control-plane logs to CloudWatch;
- ``monthly_data_processed_gb`` (Infracost's ``aws_nat_gateway`` key): GB processed by the cluster's NAT
  gateway (Cloud NAT, NAT gateway) per month; on AKS with load-balancer outbound, the GB its outbound
  Standard load balancer processes (Infracost's ``azurerm_kubernetes_cluster`` ``load_balancer`` key).

A cluster's own entry wins over the type default; a command-line flag wins over both. The file is read
through :mod:`kubefleet.safeio` (bounded, plain-data YAML); every mistake is a ``file:line:col`` error.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from kubefleet.cost.model import Assumptions
from kubefleet.errors import SpecError, SpecIssue

MAX_BYTES: Final = 256 * 1024
MAX_VALUES: Final = 20_000
VERSION: Final = "0.1"
RESOURCE_TYPE: Final = "kubefleet_cluster"
SCHEMA: Final = "infracost/infracost@211260563727c2b245f28342688ebfe7ffd865e2:infracost-usage-example.yml"
#: usage key -> (Assumptions field, what it prices)
KEYS: Final[dict[str, tuple[str, str]]] = {
    "monthly_data_ingested_gb": ("log_gb_month", "log GiB ingested per month (GKE Cloud Logging, EKS "
                                 "control-plane logs to CloudWatch)"),
    "monthly_data_processed_gb": ("egress_gb_month", "GB processed by the NAT gateway (AKS: the outbound load "
                                                     "balancer) per month"),
}


@dataclass(frozen=True)
class UsageValue:
    value: Decimal
    where: str  # file:line:col


@dataclass
class UsageFile:
    path: str
    defaults: dict[str, UsageValue] = field(default_factory=dict)
    clusters: dict[str, dict[str, UsageValue]] = field(default_factory=dict)

    def assumptions_for(self, cluster: str, base: Assumptions, *, flags: frozenset[str] = frozenset()) -> Assumptions:
        """``base`` with this file's values for ``cluster`` applied, except the fields a flag set."""
        merged = {**self.defaults, **self.clusters.get(cluster, {})}
        changes: dict[str, Any] = {}
        origins = dict(base.origins)
        for key, used in merged.items():
            attr = KEYS[key][0]
            if attr in flags:
                continue
            changes[attr] = used.value
            origins[attr] = f"usage file {used.where} ({key})"
        return replace(base, **changes, origins=origins)

    def unknown_clusters(self, names: set[str]) -> list[str]:
        return sorted(set(self.clusters) - names)


def _pos(node: Any, key: Any, *, value: bool = True) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    try:
        line, col = (lc.value(key) if value else lc.key(key)) if lc is not None else (0, 0)
    except (KeyError, TypeError, AttributeError):
        line, col = 0, 0
    return line + 1, col + 1


def _error(file: str, at: tuple[int, int], message: str, hint: str | None = None) -> SpecError:
    return SpecError([SpecIssue(file, at[0], at[1], message, hint)])


def _number(file: str, node: Any, key: str) -> UsageValue:
    raw = node[key]
    at = _pos(node, key)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise _error(file, at, f"{key} must be a number, not {type(raw).__name__}", "e.g. 50 (GB per month)")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise _error(file, at, f"{key} must be a number, got {str(raw)[:40]!r}", "e.g. 50 (GB per month)") from None
    if not value.is_finite() or value < 0 or value > Decimal(10) ** 12:
        raise _error(file, at, f"{key} must be between 0 and 10^12, got {str(raw)[:40]}")
    return UsageValue(value, f"{file}:{at[0]}:{at[1]}")


def _values(file: str, node: Any, parent: Any, parent_key: str) -> dict[str, UsageValue]:
    if not isinstance(node, dict):
        raise _error(file, _pos(parent, parent_key), f"{parent_key} must be a mapping of usage keys to numbers",
                     "known keys: " + ", ".join(KEYS))
    out = {}
    for key in node:
        if key not in KEYS:
            raise _error(file, _pos(node, key, value=False), f"unknown usage key {str(key)[:60]!r}",
                         "known keys: " + ", ".join(f"{k} ({v[1]})" for k, v in KEYS.items()))
        out[str(key)] = _number(file, node, key)
    return out


def load_usage(path: str | Path) -> UsageFile:
    """Read and check a usage file; :class:`SpecError` (exit 2) with ``file:line:col`` for any mistake."""
    from kubefleet.safeio import load_yaml_file

    file = str(path)
    docs = [d for d in load_yaml_file(path, MAX_BYTES, max_values=MAX_VALUES) if d is not None]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise _error(file, (1, 1), "a usage file is one YAML mapping",
                     f"version: {VERSION}, resource_type_default_usage and resource_usage (Infracost's usage file)")
    root = docs[0]
    for key in root:
        if key not in ("version", "resource_type_default_usage", "resource_usage"):
            raise _error(file, _pos(root, key, value=False), f"unknown top-level key {str(key)[:60]!r}",
                         "known: version, resource_type_default_usage, resource_usage")
    if "version" not in root:
        raise _error(file, (1, 1), "missing version", f"add `version: {VERSION}` (Infracost's usage file format)")
    if str(root["version"]) != VERSION:
        raise _error(file, _pos(root, "version"), f"unsupported usage file version {str(root['version'])[:20]!r}",
                     f"kubefleet reads version {VERSION}")
    out = UsageFile(file)
    defaults = root.get("resource_type_default_usage") or {}
    if not isinstance(defaults, dict):
        raise _error(file, _pos(root, "resource_type_default_usage"), "resource_type_default_usage must be a mapping")
    for rtype in defaults:
        if rtype != RESOURCE_TYPE:
            raise _error(file, _pos(defaults, rtype, value=False), f"unknown resource type {str(rtype)[:60]!r}",
                         f"kubefleet prices one resource type here: {RESOURCE_TYPE}")
        out.defaults = _values(file, defaults[rtype], defaults, rtype)
    resources = root.get("resource_usage") or {}
    if not isinstance(resources, dict):
        raise _error(file, _pos(root, "resource_usage"), "resource_usage must be a mapping")
    for address in resources:
        text = str(address)
        rtype, _, name = text.partition(".")
        if rtype != RESOURCE_TYPE or not name:
            raise _error(file, _pos(resources, address, value=False), f"unknown resource address {text[:60]!r}",
                         f"address a cluster as {RESOURCE_TYPE}.<cluster name>")
        out.clusters[name] = _values(file, resources[address], resources, address)
    return out


__all__ = ["KEYS", "RESOURCE_TYPE", "SCHEMA", "UsageFile", "UsageValue", "load_usage"]
