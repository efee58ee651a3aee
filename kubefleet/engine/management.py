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
    from kubefleet.changes.upgrades import Addresses
    from kubefleet.engine.workspace import StackTarget
    from kubefleet.spec.loader import LoadedSpec

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
#: CAPV's node anti-affinity (vSphere cluster modules: one per KubeadmControlPlane and per MachineDeployment,
#: whose VMs DRS keeps on separate ESXi hosts while there are enough) is the alpha feature gate NodeAntiAffinity,
#: off by default (cluster-api-provider-vsphere@5b57d1db:feature/feature.go:75); clusterctl fills the manager's
#: ``--feature-gates=...NodeAntiAffinity=${EXP_NODE_ANTI_AFFINITY:=false}...`` from the variable
#: (config/manager/manager.yaml:24). Pinned: tests/data/capi/capv-v1.16.1-src.
ANTI_AFFINITY_GATE: Final = "NodeAntiAffinity"
ANTI_AFFINITY_ENV: Final = "EXP_NODE_ANTI_AFFINITY"
#: the Deployment clusterctl installs CAPV's manager as: ``controller-manager`` (config/manager/manager.yaml:4)
#: with the namePrefix ``capv-`` in namespace ``capv-system`` (config/default/kustomization.yaml:5,7); its
#: container is ``manager`` (config/manager/manager.yaml:28)
CAPV_NAMESPACE: Final = "capv-system"
CAPV_MANAGER: Final = "capv-controller-manager"
CAPV_CONTAINER: Final = "manager"
INSTALL: Final = (
    f"CLUSTER_TOPOLOGY=true {ANTI_AFFINITY_ENV}=true clusterctl init --core cluster-api:{CAPI_VERSION} "
    f"--bootstrap kubeadm:{CAPI_VERSION} --control-plane kubeadm:{CAPI_VERSION} "
    f"--infrastructure vsphere:{CAPV_VERSION} --ipam in-cluster:{IPAM_VERSION}"
)
INSTALL_HINT: Final = (
    f"install Cluster API {CAPI_VERSION} with the vSphere provider {CAPV_VERSION} in the management cluster: "
    f"`{INSTALL}` (clusterctl {CAPI_VERSION}; ClusterTopology is a feature gate off by default in Cluster API "
    f"1.13, hence CLUSTER_TOPOLOGY=true; {ANTI_AFFINITY_ENV}=true turns on CAPV's soft anti-affinity for "
    "masters and pools; CAPV's installer also asks for VSPHERE_USERNAME/VSPHERE_PASSWORD)"
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


def check_installed(spec: ClusterSpec, kubeconfig: str, loaded: LoadedSpec | None = None) -> list[str]:
    """Exit 2 with the install line unless every CRD kubefleet needs is served at the version it writes;
    exit 2 when the spec would re-address the cluster already running there (:func:`refuse_readdress`).

    Returns warnings for the operator (printed, never fatal): today, masters that CAPV will not keep apart
    (:func:`anti_affinity_warnings`)."""
    client = _client(kubeconfig)
    problems = crd_problems(client, required_crds(spec))
    if problems:
        raise ManagementClusterError(
            f"Cluster API is not ready in the management cluster of {spec.name!r}: " + "; ".join(problems),
            hint=INSTALL_HINT)
    refuse_readdress(client, spec, loaded)
    return anti_affinity_warnings(client, spec)


def _host(endpoint: Any) -> str | None:
    host = endpoint.get("host") if isinstance(endpoint, Mapping) else None
    return str(host) if host else None


def live_addresses(client: Any, spec: ClusterSpec) -> Addresses | None:
    """The pod and service CIDRs and the control-plane VIP of this cluster as the management cluster holds
    them (None: no such Cluster yet). The VIP is the Cluster's ``controlPlaneEndpoint`` once Cluster API set it
    from the infrastructure cluster, before that the one the last ``up`` wrote into the class's
    VSphereClusterTemplate; a range or VIP that cannot be read is taken as unchanged."""
    from kubefleet.changes.upgrades import Addresses, kubeadm_addresses
    from kubefleet.providers.kubeadm.capi import CLUSTER_API, INFRA_API, namespace

    ns = namespace(spec)
    status, cluster = _get(client, f"/apis/{CLUSTER_API}/namespaces/{ns}/clusters/{spec.name}")
    if status == 404:
        return None
    if status != 200:
        raise ManagementClusterError(f"management cluster answered HTTP {status} reading Cluster {ns}/{spec.name}",
                                     hint="is the management cluster healthy?")
    mine = kubeadm_addresses(spec)
    body = cluster.get("spec") or {}
    network = body.get("clusterNetwork") or {}

    def blocks(key: str, default: str) -> str:
        got = (network.get(key) or {}).get("cidrBlocks") or []
        return ",".join(str(b) for b in got) if got else default

    vip = _host(body.get("controlPlaneEndpoint"))
    class_name = ((body.get("topology") or {}).get("classRef") or {}).get("name")
    if vip is None and class_name:
        status, klass = _get(client, f"/apis/{CLUSTER_API}/namespaces/{ns}/clusterclasses/{class_name}")
        ref = ((((klass.get("spec") or {}).get("infrastructure") or {}).get("templateRef") or {})
               if status == 200 else {})
        if ref.get("name"):
            status, template = _get(client, f"/apis/{INFRA_API}/namespaces/{ns}/vsphereclustertemplates/{ref['name']}")
            if status == 200:
                vip = _host((((template.get("spec") or {}).get("template") or {}).get("spec") or {})
                            .get("controlPlaneEndpoint"))
    return Addresses(blocks("pods", mine.pods), blocks("services", mine.services), vip or mine.vip)


def refuse_readdress(client: Any, spec: ClusterSpec, loaded: LoadedSpec | None = None) -> None:
    """``up``/``preview`` stop (exit 2) before anything is touched when the spec changes the pod CIDR, the
    service CIDR or the VIP of the Cluster already in the management cluster: Cluster API would take the new
    values and nothing would re-address the running cluster (kubefleet.changes.upgrades.readdress_refusals,
    the same refusal ``kubefleet diff`` shows). With the loaded spec the error points at the field."""
    from kubefleet.changes.upgrades import kubeadm_addresses, readdress_refusals, vip_location
    from kubefleet.errors import SpecError

    live = live_addresses(client, spec)
    if live is None:
        return
    found = readdress_refusals(spec.name, live, kubeadm_addresses(spec), vip_at=vip_location(spec))
    if not found:
        return
    if loaded is not None:
        raise SpecError([loaded.issue(r.path, r.message, r.hint) for r in found])
    raise UsageError("; ".join(r.message for r in found), hint="; ".join(r.hint for r in found))


_TRUE: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _gate_args(args: list[str]) -> list[tuple[int, str]]:
    """(index of the argument holding the value, value) of every ``--feature-gates`` flag, in order: Go's flag
    package takes ``-flag=v``, ``--flag=v``, ``-flag v`` and ``--flag v`` alike."""
    found = []
    for i, arg in enumerate(args):
        name, eq, value = arg.lstrip("-").partition("=")
        if not arg.startswith("-") or name != "feature-gates":
            continue
        if eq:
            found.append((i, value))
        elif i + 1 < len(args):
            found.append((i + 1, args[i + 1]))
    return found


def feature_gates(args: list[str]) -> dict[str, bool]:
    """The gates a manager's arguments set. component-base's flag merges every ``--feature-gates`` it is
    given, ``key=value`` pairs separated by commas, values parsed by strconv.ParseBool (which takes 1/t/T/
    TRUE/true/True and 0/f/F/FALSE/false/False); a value it cannot parse stops the manager, so it sets
    nothing here."""
    gates: dict[str, bool] = {}
    for _, value in _gate_args(args):
        for pair in value.split(","):
            key, _, raw = pair.strip().partition("=")
            if raw.strip() in _TRUE:
                gates[key.strip()] = True
            elif raw.strip() in _FALSE:
                gates[key.strip()] = False
    return gates


def _manager_container(deployment: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
    containers = ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    for i, c in enumerate(containers):
        if c.get("name") == CAPV_CONTAINER:
            return i, c
    return None


def anti_affinity_fix(deployment: Mapping[str, Any]) -> str:
    """The exact ``kubectl patch`` that turns NodeAntiAffinity on in this CAPV manager Deployment, built from
    the arguments it runs with now (every other gate kept as it is)."""
    import shlex

    found = _manager_container(deployment)
    index, container = found if found is not None else (0, {})
    args = [str(a) for a in container.get("args") or []]
    base = f"/spec/template/spec/containers/{index}/args"
    gate_args = _gate_args(args)
    if gate_args:
        at, value = gate_args[-1]  # the last flag wins for a key set twice
        pairs = [p for p in value.split(",") if p.strip().partition("=")[0].strip() != ANTI_AFFINITY_GATE]
        pairs.append(f"{ANTI_AFFINITY_GATE}=true")
        new = ",".join(p for p in pairs if p.strip())
        arg = args[at]
        replacement = f"{arg.partition('=')[0]}={new}" if arg.startswith("-") else new
        op = {"op": "replace", "path": f"{base}/{at}", "value": replacement}
    else:
        op = {"op": "add", "path": f"{base}/-", "value": f"--feature-gates={ANTI_AFFINITY_GATE}=true"}
    meta = deployment.get("metadata") or {}
    ns, name = meta.get("namespace") or CAPV_NAMESPACE, meta.get("name") or CAPV_MANAGER
    return f"kubectl -n {ns} patch deployment {name} --type=json -p {shlex.quote(json.dumps([op]))}"


def anti_affinity_warnings(client: Any, spec: ClusterSpec) -> list[str]:
    """With more than one master, whether CAPV's NodeAntiAffinity gate is on in the management cluster.

    Off (its default), CAPV creates no vSphere cluster module (cluster-api-provider-vsphere@5b57d1db:
    controllers/vspherecluster_reconciler.go:501 and controllers/vspherevm_controller.go:357 reconcile modules
    only when the gate is enabled), so only DRS places
    the masters and two of three may share an ESXi host: that host's failure loses etcd quorum. It is a
    warning, not a refusal: the cluster works either way, cluster modules are only "soft" anti-affinity even
    when on (docs/proposal/20220907-node-affinity-and-anti-affinity.md:140), and turning an alpha gate on
    restarts CAPV and creates modules for every cluster that management cluster runs - the platform owner's
    call, not something an `up` at 3 a.m. should be blocked on. Single-master clusters are not checked."""
    if spec.spec.control_plane.replicas <= 1:
        return []
    where = f"{CAPV_NAMESPACE}/{CAPV_MANAGER}"
    status, body = _get(client, f"/apis/apps/v1/namespaces/{CAPV_NAMESPACE}/deployments/{CAPV_MANAGER}")
    masters = spec.spec.control_plane.replicas
    if status in (401, 403):
        return [f"could not check whether CAPV keeps the {masters} masters of {spec.name!r} on separate ESXi hosts: "
                f"the management kubeconfig may not read the Deployment {where} (HTTP {status}); check its "
                f"--feature-gates for {ANTI_AFFINITY_GATE}=true yourself"]
    if status == 404:
        return [f"could not check whether CAPV keeps the {masters} masters of {spec.name!r} on separate ESXi hosts: "
                f"there is no Deployment {where} (the name and namespace clusterctl gives CAPV's manager); if CAPV "
                f"runs elsewhere, check its --feature-gates for {ANTI_AFFINITY_GATE}=true yourself"]
    if status != 200:
        raise ManagementClusterError(f"management cluster answered HTTP {status} for the Deployment {where}",
                                     hint="is the management cluster healthy?")
    found = _manager_container(body)
    gates = feature_gates([str(a) for a in (found[1].get("args") or [])] if found is not None else [])
    if gates.get(ANTI_AFFINITY_GATE):
        return []
    return [f"the {masters} masters of {spec.name!r} may share an ESXi host: CAPV's {ANTI_AFFINITY_GATE} feature "
            f"gate is off in {where} (alpha, off by default), so CAPV creates no vSphere cluster modules and only "
            "DRS places the machines; one host failure can then take etcd quorum. To turn it on (CAPV restarts "
            "and creates cluster modules for every cluster it manages; needs vCenter 7 or later): "
            + anti_affinity_fix(body)]


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
