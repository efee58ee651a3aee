"""kubeadm's management cluster: where its kubeconfig comes from, whether Cluster API is installed there,
and whether Cluster API is still deleting machines (``destroy`` waits for that).

The kubeadm target creates Cluster API objects in a management cluster (providers/kubeadm/adapter.py).
Before ``up``/``preview`` kubefleet reads ``/apis/apiextensions.k8s.io/v1/customresourcedefinitions/<name>``
for every kind it will create and stops (exit 2) with the exact ``clusterctl init`` line when one is
missing or does not serve the version kubefleet writes. The reads go through the stack's own kubeconfig
client (:class:`kubefleet.engine.upgrade.KubeClient`: its CA, token, client certificate or exec plugin);
nothing read from the kubeconfig is ever printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from kubefleet.errors import KubefleetError, ProblemFound, UsageError
from kubefleet.spec.model import ClusterSpec

if TYPE_CHECKING:
    from kubefleet.engine.workspace import StackTarget

#: a kubeconfig file for the management cluster (when the spec names no management stack)
KUBECONFIG_ENV: Final = "KUBEFLEET_MANAGEMENT_KUBECONFIG"
#: the vCenter account CAPV logs in with (the same variables pulumi-vsphere and CAPV's clusterctl use)
USER_ENVS: Final = ("VSPHERE_USER", "VSPHERE_USERNAME")
PASSWORD_ENV: Final = "VSPHERE_PASSWORD"
#: stack config keys the kubeadm program reads (providers/kubeadm/adapter.py), secret ones marked
CONFIG_KUBECONFIG: Final = "kubefleet:managementKubeconfig"
CONFIG_USER: Final = "kubefleet:vsphereUser"
CONFIG_PASSWORD: Final = "kubefleet:vspherePassword"
CONFIG_SERVER: Final = "kubefleet:vsphereServer"
SECRET_CONFIG: Final = frozenset({CONFIG_KUBECONFIG, CONFIG_PASSWORD})
#: the largest kubeconfig file read
MAX_KUBECONFIG_BYTES: Final = 1024 * 1024

CAPI_VERSION: Final = "v1.13.6"
CAPV_VERSION: Final = "v1.16.1"
IPAM_VERSION: Final = "v1.0.3"
#: ClusterTopology (ClusterClass + topology Cluster) is a feature gate, off unless CLUSTER_TOPOLOGY=true when
#: clusterctl renders the core manager: cluster-api@v1.13.6:config/manager/manager.yaml:26
#: ``--feature-gates=...ClusterTopology=${CLUSTER_TOPOLOGY:=false}...``
INSTALL: Final = (
    f"CLUSTER_TOPOLOGY=true clusterctl init --core cluster-api:{CAPI_VERSION} "
    f"--bootstrap kubeadm:{CAPI_VERSION} --control-plane kubeadm:{CAPI_VERSION} "
    f"--infrastructure vsphere:{CAPV_VERSION} --ipam in-cluster:{IPAM_VERSION}"
)
INSTALL_HINT: Final = (
    f"install Cluster API {CAPI_VERSION} with the vSphere provider {CAPV_VERSION} in the management cluster: "
    f"`{INSTALL}` (clusterctl {CAPI_VERSION}; ClusterTopology is a feature gate off by default in Cluster API "
    "1.13, hence CLUSTER_TOPOLOGY=true; CAPV's installer also asks for VSPHERE_USERNAME/VSPHERE_PASSWORD)"
)


@dataclass(frozen=True)
class Crd:
    group: str
    version: str
    kind: str

    @property
    def plural(self) -> str:
        """The kind's plural as Cluster API's CRDs spell it (lower case; -y -> -ies, -s -> -ses)."""
        low = self.kind.lower()
        if low.endswith("y"):
            return low[:-1] + "ies"
        if low.endswith("s"):
            return low + "es"
        return low + "s"

    @property
    def name(self) -> str:
        return f"{self.plural}.{self.group}"


#: every kind the kubeadm target creates (providers/kubeadm/capi.py) or reads (Machines, for destroy)
CRDS: Final = (
    Crd("cluster.x-k8s.io", "v1beta2", "Cluster"),
    Crd("cluster.x-k8s.io", "v1beta2", "ClusterClass"),
    Crd("cluster.x-k8s.io", "v1beta2", "Machine"),
    Crd("addons.cluster.x-k8s.io", "v1beta2", "ClusterResourceSet"),
    Crd("controlplane.cluster.x-k8s.io", "v1beta2", "KubeadmControlPlaneTemplate"),
    Crd("bootstrap.cluster.x-k8s.io", "v1beta2", "KubeadmConfigTemplate"),
    Crd("infrastructure.cluster.x-k8s.io", "v1beta2", "VSphereClusterTemplate"),
    Crd("infrastructure.cluster.x-k8s.io", "v1beta2", "VSphereMachineTemplate"),
    Crd("infrastructure.cluster.x-k8s.io", "v1beta2", "VSphereClusterIdentity"),
)
IPAM_POOL: Final = Crd("ipam.cluster.x-k8s.io", "v1alpha2", "InClusterIPPool")


def required_crds(spec: ClusterSpec) -> tuple[Crd, ...]:
    opts = spec.spec.providers.kubeadm
    return CRDS + ((IPAM_POOL,) if opts is not None and opts.control_plane_addresses else ())


class ManagementClusterError(KubefleetError):
    """The management cluster cannot be used (exit 2: fix the setup, then run again)."""


def management_stack(spec: ClusterSpec) -> str | None:
    opts = spec.spec.providers.kubeadm
    return opts.management_cluster if opts is not None else None


def _read_file(path: str) -> str:
    from kubefleet.safeio import FileProblem, read_text

    try:
        return read_text(Path(path).expanduser(), MAX_KUBECONFIG_BYTES)
    except FileProblem as err:
        raise UsageError(f"{KUBECONFIG_ENV}: cannot read the management kubeconfig: {err}",
                         hint=f"point {KUBECONFIG_ENV} at the management cluster's kubeconfig file") from None


def stack_config(spec: ClusterSpec, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The kubeadm program's stack config from the environment: the management kubeconfig (when the spec
    names no management stack) and the vCenter account. Keys in :data:`SECRET_CONFIG` are stored as secrets."""
    env = os.environ if environ is None else environ
    config: dict[str, str] = {}
    path = env.get(KUBECONFIG_ENV)
    if path and management_stack(spec) is None:
        config[CONFIG_KUBECONFIG] = _read_file(path)
    user = next((env[k] for k in USER_ENVS if env.get(k)), None)
    if user:
        config[CONFIG_USER] = user
    if env.get(PASSWORD_ENV):
        config[CONFIG_PASSWORD] = env[PASSWORD_ENV]
    return config


def require_setup(spec: ClusterSpec, environ: Mapping[str, str] | None = None) -> None:
    """Before ``up``/``preview``: a management cluster is named and the vCenter account is given."""
    env = os.environ if environ is None else environ
    if management_stack(spec) is None and not env.get(KUBECONFIG_ENV):
        raise UsageError(
            f"cluster {spec.name!r} on kubeadm needs a Cluster API management cluster",
            hint=f"set {KUBECONFIG_ENV}=<kubeconfig file of the management cluster>, or name the kubefleet stack "
                 "of one in spec.providers.kubeadm.managementCluster (e.g. mgmt-eks)")
    if not any(env.get(k) for k in USER_ENVS) or not env.get(PASSWORD_ENV):
        raise UsageError(
            f"cluster {spec.name!r} on kubeadm needs the vCenter account Cluster API's vSphere provider logs in with",
            hint="set VSPHERE_USER and VSPHERE_PASSWORD (kept as a Secret behind a VSphereClusterIdentity)")


def kubeconfig_text(target: StackTarget, environ: Mapping[str, str] | None = None) -> str:
    """The management cluster's kubeconfig: the named stack's ``kubeconfig`` output, or the file."""
    other = management_stack(target.spec)
    if other is None:
        env = os.environ if environ is None else environ
        path = env.get(KUBECONFIG_ENV)
        if not path:
            raise UsageError(f"no management cluster for {target.spec.name!r}",
                             hint=f"set {KUBECONFIG_ENV}=<kubeconfig file of the management cluster>")
        return _read_file(path)
    from pulumi import automation as auto

    from kubefleet.engine.workspace import PROJECT, workspace_options

    try:
        stack = auto.select_stack(stack_name=other, project_name=PROJECT, program=lambda: None,
                                  opts=workspace_options(target.backend))
        outputs = stack.outputs()
    except auto.errors.StackNotFoundError:
        raise UsageError(f"spec.providers.kubeadm.managementCluster: there is no stack {other!r} in this backend",
                         hint="create the management cluster first (`kubefleet up` its spec), or fix the name") from None
    value = outputs.get("kubeconfig")
    if value is None or not value.value:
        raise UsageError(f"stack {other!r} has no kubeconfig output", hint="is it up? `kubefleet outputs` shows it")
    text = value.value
    return text if isinstance(text, str) else json.dumps(text)


def _client(kubeconfig: str) -> Any:
    from kubefleet.engine.upgrade import ClusterNotReady, KubeClient

    try:
        return KubeClient(kubeconfig)
    except ClusterNotReady as err:
        raise ManagementClusterError(f"management cluster: {err}",
                                     hint="check the management kubeconfig") from None


def _get(client: Any, path: str) -> tuple[int, dict[str, Any]]:
    from kubefleet.engine.upgrade import ClusterNotReady

    try:
        status, body = client.get(path)
    except ClusterNotReady as err:
        raise ManagementClusterError(f"management cluster: {err}",
                                     hint="is the management cluster up and its kubeconfig current?") from None
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    return status, data if isinstance(data, dict) else {}


def crd_problems(client: Any, crds: tuple[Crd, ...]) -> list[str]:
    """What is missing or not served, one line each (empty: Cluster API is there)."""
    problems = []
    for crd in crds:
        status, body = _get(client, f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd.name}")
        if status in (401, 403):
            raise ManagementClusterError(
                f"the management kubeconfig may not read CustomResourceDefinitions (HTTP {status})",
                hint="use a kubeconfig that may get customresourcedefinitions and create Cluster API objects")
        if status == 404:
            problems.append(f"{crd.name} is not installed")
            continue
        if status != 200:
            raise ManagementClusterError(f"management cluster answered HTTP {status} for {crd.name}",
                                         hint="is the management cluster healthy?")
        if (body.get("metadata") or {}).get("deletionTimestamp"):
            problems.append(f"{crd.name} is being deleted")
            continue
        versions = {v.get("name"): v for v in (body.get("spec") or {}).get("versions") or []}
        served = versions.get(crd.version) or {}
        if not served.get("served"):
            have = ", ".join(sorted(str(n) for n, v in versions.items() if v.get("served"))) or "none"
            problems.append(f"{crd.name} does not serve {crd.version} (serves {have})")
            continue
        conditions = {c.get("type"): c.get("status") for c in (body.get("status") or {}).get("conditions") or []}
        if conditions.get("Established") != "True":
            problems.append(f"{crd.name} is not Established yet")
    return problems


def check_installed(spec: ClusterSpec, kubeconfig: str) -> None:
    """Exit 2 with the install line unless every CRD kubefleet needs is served at the version it writes."""
    problems = crd_problems(_client(kubeconfig), required_crds(spec))
    if problems:
        raise ManagementClusterError(
            f"Cluster API is not ready in the management cluster of {spec.name!r}: " + "; ".join(problems),
            hint=INSTALL_HINT)


def deleting_machines(spec: ClusterSpec, kubeconfig: str) -> list[str]:
    """Names of this cluster's Machines that Cluster API is still deleting (a deletionTimestamp is set)."""
    from kubefleet.providers.kubeadm.capi import CLUSTER_NAME_LABEL, namespace

    path = (f"/apis/cluster.x-k8s.io/v1beta2/namespaces/{namespace(spec)}/machines"
            f"?labelSelector={CLUSTER_NAME_LABEL}%3D{spec.name}")
    status, body = _get(_client(kubeconfig), path)
    if status == 404:
        return []  # no Machine kind (Cluster API gone) or no namespace: nothing is being deleted
    if status != 200:
        raise ManagementClusterError(f"management cluster answered HTTP {status} listing Machines",
                                     hint="is the management cluster healthy?")
    return sorted(str((m.get("metadata") or {}).get("name")) for m in body.get("items") or []
                  if (m.get("metadata") or {}).get("deletionTimestamp"))


def refuse_while_deleting(spec: ClusterSpec, kubeconfig: str) -> None:
    """``destroy`` waits until Cluster API has finished deleting machines: removing the Cluster, its
    identity and the vCenter Secret now would leave CAPV without the credentials to delete the VMs."""
    names = deleting_machines(spec, kubeconfig)
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise ProblemFound(
            f"refusing to destroy {spec.name!r}: Cluster API is still deleting {len(names)} machine(s) ({shown})",
            hint=f"wait until they are gone (`kubectl get machines -n {_ns(spec)}` in the management cluster), "
                 "then run destroy again")


def _ns(spec: ClusterSpec) -> str:
    from kubefleet.providers.kubeadm.capi import namespace

    return namespace(spec)
