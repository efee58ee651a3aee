"""The clouds' control-plane version rules, as the local cloud enforces them on a cluster UPDATE.

Independent of kubefleet's own planner (kubefleet/lifecycle/skew.py): each rule is read from the cloud's
documentation, and each error text from what the cloud (or its provider) was seen to return.

GKE (``gcp:container/cluster:Cluster``, ``minMasterVersion``)
  * Skip: the control plane moves one minor at a time ("Clusters are upgraded to either a newer minor
    version (for example, 1.33 to 1.34) or newer patch version",
    https://docs.cloud.google.com/kubernetes-engine/docs/how-to/upgrading-a-cluster#upgrade_cp), so
    UpdateCluster with a ``desiredMasterVersion`` two minors ahead is refused. GKE's exact text for this
    case was not found in public material; the message keeps the API's error shape as quoted in public
    issues (``googleapi: Error 400: Master version "1.14.7-gke.10" is unsupported., badRequest``,
    GoogleCloudPlatform/gke-networking-demos#37).
  * Downgrade: never sent. The provider only calls the API "if the current version is lower than the
    desired version" (hashicorp/terraform-provider-google-beta@93c65b2d60fea598528f2769b5b09de856f8cb8c:
    google-beta/services/container/resource_container_cluster.go:4918-4931; ``min_master_version`` is "The
    minimum version of the master", :1799-1802), so a lower ``minMasterVersion`` is accepted and the
    master stays where it is, as with the real provider.
EKS (``aws:eks/cluster:Cluster``, ``version``, UpdateClusterVersion)
  * "you can update only one minor version at a time" and "You cannot downgrade the [.noloc]`Kubernetes`
    of an Amazon EKS cluster" (awsdocs/amazon-eks-user-guide@4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7:
    latest/ug/clusters/update-cluster.adoc:102, :256). Error text as EKS returns it for both:
    "Unsupported Kubernetes minor version update from 1.22 to 1.25"
    (terraform-aws-modules/terraform-aws-eks#2607) and "... from 1.25 to 1.24" (rancher/rancher#43316),
    an InvalidParameterException, wrapped as the AWS SDK for Go v2 wraps errors (see cloud.FAILURES).
AKS (``azure-native:containerservice:ManagedCluster``, ``kubernetesVersion``)
  * "When you upgrade a supported non-LTS AKS cluster, you can't skip Kubernetes minor versions"; an LTS
    cluster may skip to a higher LTS version (MicrosoftDocs/azure-aks-docs@
    fb060abe6a8fef960d4c487b543bf7b1e97808fe:articles/aks/upgrade-aks-control-plane.md:42-44); "You can't
    downgrade the control plane or a node pool Kubernetes version" (articles/aks/upgrade-node-pools.md:106).
    Error texts as ARM returns them: ``Code="OperationNotAllowed" Message="Upgrading Kubernetes version
    1.28.12 to 1.30.2 is not allowed. Available upgrades: [...]. Please see
    https://aka.ms/aks-supported-k8s-ver for version details."`` (rancher/dashboard#11884) and
    ``Downgrading Kubernetes version 1.14.8 to 1.14.7 is not allowed. ...`` (rancher/rancher#24071).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

GKE_CLUSTER: Final = "gcp:container/cluster:Cluster"
EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
AKS_CLUSTER: Final = "azure-native:containerservice:ManagedCluster"

#: cluster type -> (the input the program sets, the output the cloud reports as the running version)
VERSION_FIELDS: Final[dict[str, tuple[str, str]]] = {
    GKE_CLUSTER: ("minMasterVersion", "masterVersion"),
    EKS_CLUSTER: ("version", "version"),
    AKS_CLUSTER: ("kubernetesVersion", "currentKubernetesVersion"),
}

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def _parse(version: Any) -> tuple[int, int, int] | None:
    match = _VERSION.match(str(version or ""))
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def running_version(type_: str, outputs: Mapping[str, Any]) -> str | None:
    """The version the cloud reports for a cluster record (None for other types)."""
    fields = VERSION_FIELDS.get(type_)
    if fields is None:
        return None
    value = outputs.get(fields[1])
    return str(value) if value else None


def refusal(type_: str, running: Mapping[str, Any], news: Mapping[str, Any]) -> str | None:
    """The cloud's error for updating a cluster (whose outputs are ``running``) with inputs ``news``."""
    fields = VERSION_FIELDS.get(type_)
    if fields is None:
        return None
    old_text, new_text = running_version(type_, running), news.get(fields[0])
    old, new = _parse(old_text), _parse(new_text)
    if old is None or new is None or old[0] != new[0]:
        return None
    old_minor, new_minor = old[1], new[1]
    if type_ == GKE_CLUSTER:
        if new_minor > old_minor + 1:
            return (f'googleapi: Error 400: Master version "{new_text}" cannot be reached from "{old_text}": '
                    f"the control plane can be upgraded to the next minor version ({old[0]}.{old_minor + 1}) "
                    "only., badRequest")
        return None
    if type_ == EKS_CLUSTER:
        if new_minor > old_minor + 1 or new_minor < old_minor:
            return ("operation error EKS: UpdateClusterVersion, https response error StatusCode: 400, "
                    "InvalidParameterException: Unsupported Kubernetes minor version update from "
                    f"{old[0]}.{old_minor} to {new[0]}.{new_minor}")
        return None
    # AKS: a lower version (patch included) is a downgrade; a skip unless both sides are LTS
    lts = running.get("supportPlan") == "AKSLongTermSupport" and news.get("supportPlan") == "AKSLongTermSupport"
    available = f"[{old[0]}.{old_minor + 1}]"
    if new < old:
        return (f'Code="OperationNotAllowed" Message="Downgrading Kubernetes version {old_text} to {new_text} is '
                f"not allowed. Available upgrades: {available}. Please see https://aka.ms/aks-supported-k8s-ver "
                'for version details."')
    if new_minor > old_minor + 1 and not lts:
        return (f'Code="OperationNotAllowed" Message="Upgrading Kubernetes version {old_text} to {new_text} is '
                f"not allowed. Available upgrades: {available}. Please see https://aka.ms/aks-supported-k8s-ver "
                'for version details."')
    return None


def settle(type_: str, running: Mapping[str, Any], news: Mapping[str, Any], outputs: dict[str, Any]) -> None:
    """After an accepted update: GKE's provider never sends a lower ``minMasterVersion`` (module doc), so
    the master keeps the version it runs."""
    if type_ != GKE_CLUSTER:
        return
    old, new = _parse(running.get("masterVersion")), _parse(news.get("minMasterVersion"))
    if old is not None and new is not None and new < old:
        outputs["masterVersion"] = running["masterVersion"]


# ------------------------------------------------------------------ a test knob: an upgrade that fails

FAILURES_FILE: Final = "upgrade_failures.json"


def fail_upgrade_to(root: Path, type_: str, minor: str, kind: str) -> None:
    """Make the next update of a ``type_`` cluster that asks for ``minor`` fail once with the cloud's
    ``kind`` error (cloud.FAILURES), e.g. the second hop of a chain."""
    from tests.localcloud import cloud

    cloud.failure_message(type_, kind, {})  # an unknown kind fails here, in the test
    with cloud.locked(root):
        path = root / FAILURES_FILE
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        data.append({"type": type_, "minor": minor, "kind": kind})
        path.write_text(json.dumps(data), encoding="utf-8")


def injected_failure(root: Path, type_: str, news: Mapping[str, Any]) -> str | None:
    """The error a :func:`fail_upgrade_to` knob makes this update return (consumed), or None."""
    from tests.localcloud import cloud

    fields = VERSION_FIELDS.get(type_)
    path = root / FAILURES_FILE
    if fields is None or not path.is_file():
        return None
    wanted = _parse(news.get(fields[0]))
    with cloud.locked(root):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data:
            if item["type"] == type_ and wanted is not None and _parse(item["minor"])[:2] == wanted[:2]:  # type: ignore[index]
                data.remove(item)
                path.write_text(json.dumps(data), encoding="utf-8")
                return cloud.failure_message(type_, str(item["kind"]), news)
    return None
