"""Deterministic GCP names for everything the GKE adapter creates (readable prefix + short hash)."""

from __future__ import annotations

from kubefleet.naming import GCP_RESOURCE, GKE_CLUSTER, GKE_POOL, cloud_name
from kubefleet.spec import ClusterSpec


def cluster(spec: ClusterSpec) -> str:
    return cloud_name(GKE_CLUSTER, spec.name, spec.name, "gke")


def pool(spec: ClusterSpec, pool_name: str) -> str:
    return cloud_name(GKE_POOL, pool_name, spec.name, "gke", pool_name)


def resource(spec: ClusterSpec, kind: str) -> str:
    """A GCE resource (network, subnetwork, router, NAT, fleet membership) named after the cluster."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-{kind}", spec.name, "gke", kind)
