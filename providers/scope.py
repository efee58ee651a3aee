"""Resources that exist once per cloud *scope* (a GCP project, an AWS account, an Azure subscription), not
once per cluster: project API enablement and the fleet's ``servicemesh`` Feature on GKE.

They live in one shared stack per scope, ``scope-<cloud>-<key>`` (e.g. ``scope-gcp-acme-prod``), which every
cluster stack of that scope references (a Pulumi ``StackReference``, so the engine refuses a cluster whose
scope stack is missing and the reference is recorded in the cluster's state). ``kubefleet up`` creates or
adopts the scope stack before the cluster, ``destroy`` of a cluster never touches it, and ``destroy --scope``
removes it only when no cluster stack references it any more.

What a scope holds only grows: each ``up`` adds what its cluster needs (``needs``, e.g. ``mesh``) to what
the scope stack already records, so one cluster's ``up`` never removes a feature another cluster uses.

EKS and AKS need no scope stack for what kubefleet renders: the EKS control-plane log group is named after the
cluster (EKS is regional) and every IAM role after the cluster and its region (IAM is account-wide:
providers/eks/common.py ACCOUNT_GLOBAL_TYPES), and the AKS Istio add-on and the resource providers kubefleet uses need
no per-subscription feature registration (GA features; azure-native registers resource providers itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

#: the prefix of every scope stack's name: scope-<cloud>-<key>
STACK_PREFIX: Final = "scope-"
#: the stack config key that records what the scope holds (comma-separated ``needs``)
NEEDS_CONFIG: Final = "kubefleet:scopeNeeds"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,98}$")


@dataclass(frozen=True)
class Scope:
    """One scope: the provider whose clusters share it, the cloud's name for the kind of scope, its key
    (the project id) and what its clusters need in it."""

    provider: str  # gke
    cloud: str  # gcp
    key: str  # the project id
    needs: frozenset[str] = field(default_factory=frozenset)
    known: bool = True  # False: the key is a placeholder (no project named anywhere), fine offline only

    @property
    def stack_name(self) -> str:
        return scope_stack_name(self.cloud, self.key)

    def with_needs(self, more: Iterable[str]) -> Scope:
        return Scope(self.provider, self.cloud, self.key, self.needs | frozenset(more), self.known)


def scope_stack_name(cloud: str, key: str) -> str:
    return f"{STACK_PREFIX}{cloud}-{key}"


def is_scope_stack(name: str) -> bool:
    return name.rsplit("/", 1)[-1].startswith(STACK_PREFIX)


def valid_key(key: str) -> bool:
    """A scope key usable in a stack name (GCP project ids are 6-30 of [a-z0-9-])."""
    return bool(_KEY.match(key))


def parse_needs(text: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (text or "").split(",") if n.strip())


def format_needs(needs: Iterable[str]) -> str:
    return ",".join(sorted(set(needs)))


def group(scopes: Iterable[tuple[str, Scope]]) -> dict[str, tuple[Scope, list[str]]]:
    """(cluster, scope) pairs -> scope stack name -> (the scope with every cluster's needs, its clusters)."""
    out: dict[str, tuple[Scope, list[str]]] = {}
    for cluster, scope in scopes:
        known = out.get(scope.stack_name)
        if known is None:
            out[scope.stack_name] = (scope, [cluster])
        else:
            out[scope.stack_name] = (known[0].with_needs(scope.needs), [*known[1], cluster])
    return out
