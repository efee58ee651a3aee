"""Deterministic cloud names and the labels every resource carries.

Names are a readable prefix plus a short hash of the cluster's identity, cut to each cloud's limits,
so the same spec always yields the same names and two clusters never collide on a shortened prefix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kubefleet.spec.model import ClusterSpec

CLUSTER_LABEL: Final = "kubefleet.dev/cluster"
MANAGED_BY_LABEL: Final = "kubefleet.dev/managed-by"


@dataclass(frozen=True)
class NameRule:
    """A cloud's naming limits for one kind of resource."""

    max_len: int
    charset: str = r"a-z0-9-"  # allowed characters (regex class body)
    lowercase: bool = True
    must_start_alpha: bool = True
    separator: str = "-"


# Limits we rely on; each adapter picks the rule for the resource it names.
GCP_RESOURCE = NameRule(max_len=63)          # most GCE resources: RFC1035, 63 chars
GKE_CLUSTER = NameRule(max_len=40)           # container.Cluster name
GKE_POOL = NameRule(max_len=40)
AWS_NAME = NameRule(max_len=100, charset=r"a-zA-Z0-9-", lowercase=False)
AWS_IAM_ROLE = NameRule(max_len=64, charset=r"a-zA-Z0-9+=,.@_-", lowercase=False)
AZURE_RG = NameRule(max_len=90, charset=r"a-zA-Z0-9._()-", lowercase=False)
AKS_CLUSTER = NameRule(max_len=63)
AKS_POOL = NameRule(max_len=12, charset=r"a-z0-9", separator="")
VSPHERE_VM = NameRule(max_len=63)


def short_hash(*parts: str, length: int = 6) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:length]


def cloud_name(rule: NameRule, prefix: str, *identity: str, hash_len: int = 6) -> str:
    """``prefix`` made legal under ``rule`` plus a hash of ``identity`` (defaults to the prefix)."""
    base = prefix.lower() if rule.lowercase else prefix
    base = re.sub(f"[^{rule.charset}]", rule.separator or "", base)
    if rule.separator:
        base = re.sub(f"{re.escape(rule.separator)}+", rule.separator, base).strip(rule.separator)
    suffix = short_hash(*(identity or (prefix,)), length=hash_len)
    room = rule.max_len - len(suffix) - len(rule.separator)
    base = base[: max(room, 1)].rstrip(rule.separator or "-")
    if rule.must_start_alpha and (not base or not base[0].isalpha()):
        base = ("k" + base)[: max(room, 1)]
    return f"{base}{rule.separator}{suffix}"


def ownership_labels(spec: ClusterSpec) -> dict[str, str]:
    """The neutral labels every resource carries: cluster, managed-by, team, owner, cost-center, env."""
    labels = {CLUSTER_LABEL: spec.name, MANAGED_BY_LABEL: "kubefleet"}
    for key in ("team", "owner", "cost-center", "env"):
        value = spec.metadata.labels.get(key)
        if value:
            labels[key] = value
    return labels


def gcp_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """GCP label keys allow only lowercase letters, digits, '_' and '-' (no '.' or '/')."""
    out = {}
    for key, value in labels.items():
        k = re.sub(r"[^a-z0-9_-]", "-", key.lower())[:63]
        v = re.sub(r"[^a-z0-9_-]", "-", value.lower())[:63]
        out[k] = v
    return out
