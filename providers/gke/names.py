"""Deterministic GCP names for everything the GKE adapter creates (readable prefix + short hash)."""

from __future__ import annotations

from kubefleet.naming import GCP_RESOURCE, GKE_CLUSTER, GKE_POOL, NameRule, cloud_name
from kubefleet.spec.model import ClusterSpec

#: IAM service account ids: 6-30 characters
SERVICE_ACCOUNT = NameRule(max_len=30)


def cluster(spec: ClusterSpec) -> str:
    return cloud_name(GKE_CLUSTER, spec.name, spec.name, "gke")


def pool(spec: ClusterSpec, pool_name: str) -> str:
    return cloud_name(GKE_POOL, pool_name, spec.name, "gke", pool_name)


def resource(spec: ClusterSpec, kind: str) -> str:
    """A GCE resource (network, subnetwork, router, NAT, fleet membership) named after the cluster."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-{kind}", spec.name, "gke", kind)


def node_tag(spec: ClusterSpec) -> str:
    """The network tag on every node (firewall rules target it)."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-node", spec.name, "gke", "node-tag")


def node_service_account(spec: ClusterSpec) -> str:
    """Service account id: 6-30 characters, [a-z][-a-z0-9]*[a-z0-9] (IAM's account_id rule)."""
    return cloud_name(SERVICE_ACCOUNT, f"{spec.name}-nodes", spec.name, "gke", "node-sa")
