"""Deterministic GCP names for everything the GKE adapter creates (readable prefix + short hash)."""

from __future__ import annotations

from typing import Final

from kubefleet.naming import GCP_RESOURCE, GKE_CLUSTER, GKE_POOL, NameRule, cloud_name
from kubefleet.spec.model import ClusterSpec

#: IAM service account ids: 6-30 characters
SERVICE_ACCOUNT = NameRule(max_len=30)


def cluster(spec: ClusterSpec) -> str:
    return cloud_name(GKE_CLUSTER, spec.name, spec.name, "gke")


def pool(spec: ClusterSpec, pool_name: str) -> str:
    return cloud_name(GKE_POOL, pool_name, spec.name, "gke", pool_name)


#: The names kubefleet renders on GKE that live project-wide, not in the cluster's region, by the provider's
#: own id templates (pulumi_gcp import formats): a network ``projects/{project}/global/networks/{name}``, a
#: firewall ``projects/{project}/global/firewalls/{name}``, a fleet membership
#: ``projects/{project}/locations/{location}/memberships/{membership_id}`` at location ``global``
#: (scope.FLEET_LOCATION), a service account's ``account_id`` ("unique within a project", pulumi_gcp
#: serviceaccount.Account). The cluster (``locations/{location}/clusters``), its subnetwork and router
#: (``regions/{region}/...``, the NAT inside the router) and node pools (inside the cluster) are regional or
#: nested. So the project-wide names carry the region in their hash: two clusters of one name in two regions of
#: one project get different ones. Stacks created before keep theirs: the inputs are in the resources'
#: ``ignore_changes`` (a new network name would replace the network and with it the cluster, whose ``network``
#: is ForceNew; a new account id the node pools, whose ``nodeConfig.serviceAccount`` is).
PROJECT_WIDE: Final = {
    "gcp:compute/network:Network": "name",
    "gcp:compute/firewall:Firewall": "name",
    "gcp:gkehub/membership:Membership": "membershipId",
    "gcp:serviceaccount/account:Account": "accountId",
}


def resource(spec: ClusterSpec, kind: str) -> str:
    """A regional GCE resource (subnetwork, router, NAT) named after the cluster."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-{kind}", spec.name, "gke", kind)


def project_resource(spec: ClusterSpec, region: str, kind: str) -> str:
    """A project-wide resource (network, firewall, fleet membership: :data:`PROJECT_WIDE`) named after the
    cluster and its region."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-{kind}", spec.name, "gke", region, kind)


def node_tag(spec: ClusterSpec) -> str:
    """The network tag on every node (firewall rules target it)."""
    return cloud_name(GCP_RESOURCE, f"{spec.name}-node", spec.name, "gke", "node-tag")


def node_service_account(spec: ClusterSpec, region: str) -> str:
    """Service account id: 6-30 characters, [a-z][-a-z0-9]*[a-z0-9] (IAM's account_id rule); project-wide, so
    hashed from the region too (:data:`PROJECT_WIDE`)."""
    return cloud_name(SERVICE_ACCOUNT, f"{spec.name}-nodes", spec.name, "gke", region, "node-sa")


def keep(type_: str) -> list[str]:
    """``ignore_changes`` for a project-wide resource: it keeps the name it was created with."""
    return [PROJECT_WIDE[type_]]
