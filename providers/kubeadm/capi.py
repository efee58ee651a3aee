"""Spec -> Cluster API objects for kubeadm on vSphere (CAPI v1beta2 + CAPV v1beta2), as plain dicts.

Pure: no Pulumi, no clock, no lookups. The adapter creates these objects in the management cluster
through pulumi-kubernetes; tests send every one of them to a real kube-apiserver with Cluster API's and
CAPV's CRDs installed (tests/test_capi_render.py). The lifecycle - init vs join, one control-plane machine
at a time, etcd membership on scale-down, certificate renewal, rolling replacement, remediation - is
Cluster API's controllers' (KCP, CABPK, CAPV, MachineHealthCheck, the topology controller), not ours.

Shape of what is rendered (one namespace per cluster in the management cluster, ``kubefleet-<name>``):

- a per-cluster **ClusterClass** whose name is a hash of its content, with its templates (also named by
  content hash: KubeadmControlPlaneTemplate, VSphereClusterTemplate, one VSphereMachineTemplate and one
  KubeadmConfigTemplate per pool plus the control plane's). Templates are immutable in CAPV and CAPI;
  a change makes new ones and a new class, the Cluster is rebased onto it, and the topology controller
  rolls the machines (it clones the class's templates, so the old ones may be deleted afterwards);
- the **Cluster** with ``spec.topology``: ``version`` (a bump is Cluster API's own, chained through
  ``ClusterClass.spec.kubernetesVersions`` when it skips minors), control-plane replicas, one
  MachineDeployment topology per pool;
- MachineHealthChecks as the class's ``healthCheck`` blocks (control plane and each pool);
- the vCenter credentials as a Secret in CAPV's namespace behind a **VSphereClusterIdentity** allowed
  only in this cluster's namespace;
- the vSphere CPI and CSI exactly as CAPV v1.16.1's template ships them, through a ClusterResourceSet
  (which also carries the gVisor RuntimeClass for sandboxed tenancy);
- an InClusterIPPool for static control-plane addresses (CAPV's IPAM ``addressesFromPools``);
- scheduled etcd snapshots (Cluster API has none): a CronJob, a vSphere-backed volume and their
  ClusterResourceSets (``etcd_backup.py``).

What kubefleet itself still puts into bootstrap data, because Cluster API has no answer for it:

- ``templates/kubefleet-calico.sh`` (control plane ``postKubeadmCommands``): Cluster API installs no CNI, and
  without one no node becomes Ready (so MachineHealthCheck would replace every machine);
- ``templates/kubefleet-runsc.sh`` (``preKubeadmCommands``, sandboxed tenancy only): gVisor is not part of
  Cluster API, CABPK or image-builder's images; the script registers runsc in the containerd config of the
  version on the image (1.x and 2.x tables). Both pass shellcheck, and CABPK's rendered bootstrap data
  passes ``cloud-init schema`` (tests/test_capi_render.py).

Everything else kubefleet once did in the guest (init vs join, retries and ``kubeadm reset``, tokens, the
PKI, the ``/readyz`` gate, scale-down guards) is gone: KCP, CABPK and CAPV do it.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kubefleet.providers.kubeadm import capv_template, etcd_backup
from kubefleet.resolve.model import ResolvedCluster
from kubefleet.spec.model import ClusterSpec, NodePool, Vsphere

CAPI_VERSION: Final = "v1.13.6"
CLUSTER_API: Final = "cluster.x-k8s.io/v1beta2"
BOOTSTRAP_API: Final = "bootstrap.cluster.x-k8s.io/v1beta2"
CONTROLPLANE_API: Final = "controlplane.cluster.x-k8s.io/v1beta2"
INFRA_API: Final = "infrastructure.cluster.x-k8s.io/v1beta2"
ADDONS_API: Final = "addons.cluster.x-k8s.io/v1beta2"
IPAM_POOL_API: Final = "ipam.cluster.x-k8s.io/v1alpha2"  # cluster-api-ipam-provider-in-cluster v1.0.3
CLUSTER_NAME_LABEL: Final = "cluster.x-k8s.io/cluster-name"
API_PORT: Final = 6443
#: the namespace clusterctl installs CAPV into (its default; stack config kubefleet:capvNamespace overrides)
CAPV_NAMESPACE: Final = "capv-system"
#: Calico for the pod network (Cluster API installs no CNI); newest 3.31 patch in
#: docs.tigera.io/calico/latest/reference/component-versions (read 2026-11-29)
CALICO_VERSION: Final = "v3.31.3"
SANDBOX_RUNTIME_CLASS: Final = "gvisor"
#: KCP replaces control-plane machines whose certificates expire within this many days (kubeadm's own
#: certificates live 365 days); the CRD's minimum is 7.
CERT_RENEWAL_DAYS: Final = 21
#: cluster-autoscaler's Cluster API provider reads a MachineDeployment's bounds from these annotations.
AUTOSCALER_MIN: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
AUTOSCALER_MAX: Final = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
CRI_SOCKET: Final = "/var/run/containerd/containerd.sock"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
RUNSC_SCRIPT: Final = "/etc/kubefleet/runsc.sh"
CALICO_SCRIPT: Final = "/etc/kubefleet/calico.sh"


@dataclass(frozen=True)
class Shape:
    vcpus: int
    memory_gib: int
    disk_gib: int


def control_plane_shape(spec: ClusterSpec) -> Shape:
    """Masters sized by the workers they serve (the spec states worker shapes only).

    ==========================  =======  ========  =========
    workers at their maximum     vCPUs    memory    disk
    ==========================  =======  ========  =========
    up to 10                     2        4 GiB     50 GiB
    up to 100                    4        16 GiB    50 GiB
    up to 250                    8        32 GiB    100 GiB
    more                         16       64 GiB    100 GiB
    ==========================  =======  ========  =========

    2 vCPU / 4 GiB is above kubeadm's floor (2 CPUs, 1700 MB) with room for etcd; the steps follow the usual
    API-server/etcd load curve by node count (as kOps and the managed services size their masters).
    """
    workers = sum(pool.max_nodes for pool in spec.spec.node_pools)
    if workers <= 10:
        return Shape(2, 4, 50)
    if workers <= 100:
        return Shape(4, 16, 50)
    if workers <= 250:
        return Shape(8, 32, 100)
    return Shape(16, 64, 100)


def control_plane_vip(spec: ClusterSpec) -> str:
    """``providers.kubeadm.controlPlaneVip``, or the 10th address of ``network.nodeCidr`` when absent."""
    opts = spec.spec.providers.kubeadm
    if opts is not None and opts.control_plane_vip:
        return opts.control_plane_vip
    return str(ipaddress.IPv4Network(spec.spec.network.node_cidr).network_address + 10)


def vip_is_derived(spec: ClusterSpec) -> bool:
    opts = spec.spec.providers.kubeadm
    return opts is None or opts.control_plane_vip is None


def vsphere_options(spec: ClusterSpec) -> Vsphere:
    opts = spec.spec.providers.kubeadm
    return opts.vsphere if opts is not None else Vsphere()


def namespace(spec: ClusterSpec) -> str:
    return f"kubefleet-{spec.name}"


def image_builder_template(version: str) -> str:
    """The VM template image-builder's OVA for this Kubernetes patch is named after
    (``ubuntu-2404-kube-v1.35.4``; CAPV v1.16.1's e2e config lists ubuntu-2204 images up to v1.30 and
    ubuntu-2404 from v1.31: test/e2e/config/vsphere.yaml:325)."""
    minor = int(version.lstrip("v").split(".")[1])
    os_name = "ubuntu-2404" if minor >= 31 else "ubuntu-2204"
    return f"{os_name}-kube-v{version.lstrip('v')}"


def vm_template(spec: ClusterSpec, version: str) -> str:
    """``vsphere.template`` when the spec sets it (``{version}`` in it becomes the patch, e.g.
    ``my-ubuntu-{version}`` -> ``my-ubuntu-v1.35.4``), else the image-builder name for the patch."""
    vs = vsphere_options(spec)
    if "template" in vs.model_fields_set:
        return vs.template.replace("{version}", f"v{version.lstrip('v')}")
    return image_builder_template(version)


def cpi_image_tag(version: str) -> str:
    """cloud-provider-vsphere publishes one release per Kubernetes minor, ``v1.<minor>.0`` (CAPV v1.16.1's
    e2e runs v1.36.0 with Kubernetes 1.36: test/e2e/config/vsphere.yaml:300)."""
    minor = version.lstrip("v").split(".")[1]
    return f"v1.{minor}.0"


@dataclass(frozen=True)
class Inputs:
    """Everything the objects depend on besides the spec, decided by the adapter (or the resolver)."""

    spec: ClusterSpec
    #: the full patch, ``1.35.4``
    version: str
    #: pool name -> VM shape (from the resolved instance choice)
    shapes: Mapping[str, Shape]
    labels: Mapping[str, str]
    server: str
    thumbprint: str | None = None
    capv_namespace: str = CAPV_NAMESPACE
    #: every patch the ClusterClass allows, oldest first, one per minor (chained upgrades)
    kubernetes_versions: Sequence[str] = field(default_factory=tuple)
    #: kubeadm's etcd image for the version's minor (the etcd backup CronJob's etcdctl); None: unknown
    etcd_image: str | None = None


def inputs_for(
    ctx: ResolvedCluster, *, server: str, thumbprint: str | None = None, capv_namespace: str = CAPV_NAMESPACE
) -> Inputs:
    """The render inputs of a resolved cluster: VM shapes from its instance choices, the patch it resolved."""
    spec = ctx.spec
    shapes = {
        p.name: Shape(ctx.instance(p).vcpus, ctx.instance(p).memory_gib, p.disk.size_gib) for p in spec.spec.node_pools
    }
    return Inputs(
        spec=spec,
        version=ctx.kubernetes_patch or spec.spec.kubernetes.version,
        shapes=shapes,
        labels=ctx.labels,
        server=server,
        thumbprint=thumbprint,
        capv_namespace=capv_namespace,
        kubernetes_versions=ctx.kubernetes_versions,
        etcd_image=ctx.etcd_image,
    )


def _minor(version: str) -> int:
    return int(version.lstrip("v").split(".")[1])


def class_versions(version: str, known: Sequence[str]) -> list[str]:
    """The ClusterClass's ``kubernetesVersions``: one patch per minor, oldest first, the cluster's own patch
    for its minor. Cluster API refuses a topology version that is not in the list
    (cluster-api@v1.13.6:internal/webhooks/cluster.go:908-923) and a list with a gap between minors (the
    ClusterClass webhook); with the list set it lets a version skip minors and upgrades through each
    (chained upgrade) instead of refusing a +2 minor jump (cluster.go:378-389, 434-446)."""
    mine = f"v{version.lstrip('v')}"
    by_minor = {_minor(v): f"v{v.lstrip('v')}" for v in known}
    by_minor[_minor(mine)] = mine
    return [by_minor[m] for m in sorted(by_minor)]


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:8]


def _meta(inputs: Inputs, name: str, *, namespaced: bool = True, cluster_label: bool = True) -> dict[str, Any]:
    labels = dict(sorted(inputs.labels.items()))
    if cluster_label:
        labels[CLUSTER_NAME_LABEL] = inputs.spec.name
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if namespaced:
        meta["namespace"] = namespace(inputs.spec)
    return meta


def _named(inputs: Inputs, api: str, kind: str, base: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A template object named ``<base>-<hash of its spec>``: immutable by content."""
    return {"apiVersion": api, "kind": kind, "metadata": _meta(inputs, f"{base}-{_hash(spec)}"), "spec": spec}


def _ref(obj: Mapping[str, Any]) -> dict[str, str]:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"]}


def _upstream(inputs: Inputs) -> list[dict[str, Any]]:
    spec = inputs.spec
    vs = vsphere_options(spec)
    values = {
        "CLUSTER_NAME": spec.name,
        "NAMESPACE": namespace(spec),
        "CONTROL_PLANE_ENDPOINT_IP": control_plane_vip(spec),
        "VSPHERE_SERVER": inputs.server,
        "VSPHERE_TLS_THUMBPRINT": inputs.thumbprint or "",
        "VSPHERE_DATACENTER": vs.datacenter,
        "VSPHERE_NETWORK": vs.network,
        "CPI_IMAGE_K8S_VERSION": cpi_image_tag(inputs.version),
        # filled per object below, or secrets filled by credential_secrets()
        **{k: f"${{{k}}}" for k in (
            "VSPHERE_USERNAME", "VSPHERE_PASSWORD", "VSPHERE_DATASTORE", "VSPHERE_FOLDER", "VSPHERE_RESOURCE_POOL",
            "VSPHERE_STORAGE_POLICY", "VSPHERE_TEMPLATE", "VSPHERE_SSH_AUTHORIZED_KEY", "KUBERNETES_VERSION",
            "CONTROL_PLANE_MACHINE_COUNT", "WORKER_MACHINE_COUNT")},
    }
    return capv_template.documents(values)


def _resource_pool(vs: Vsphere) -> str:
    return f"/{vs.datacenter}/host/{vs.cluster}/Resources"


def _machine_spec(inputs: Inputs, shape: Shape, devices: list[dict[str, Any]]) -> dict[str, Any]:
    vs = vsphere_options(inputs.spec)
    spec: dict[str, Any] = {
        "server": inputs.server,
        "datacenter": vs.datacenter,
        "datastore": vs.datastore,
        "resourcePool": _resource_pool(vs),
        "template": vm_template(inputs.spec, inputs.version),
        # a full clone: a linked clone cannot grow the template's disk to diskGiB
        "cloneMode": "fullClone",
        "numCPUs": max(shape.vcpus, 2),  # CAPV's floor (VSphereMachineSpec numCPUs minimum 2)
        "memoryMiB": shape.memory_gib * 1024,
        "diskGiB": shape.disk_gib,
        "os": "Linux",
        "powerOffMode": "trySoft",
        "network": {"devices": devices},
    }
    if vs.folder:
        spec["folder"] = vs.folder
    if inputs.thumbprint:
        spec["thumbprint"] = inputs.thumbprint
    return {"template": {"spec": spec}}


def _dhcp(vs: Vsphere) -> list[dict[str, Any]]:
    return [{"networkName": vs.network, "dhcp4": True, "dhcp6": False}]


def ip_pool_name(spec: ClusterSpec) -> str:
    return f"{spec.name}-control-plane"


def _ip_pool(inputs: Inputs) -> dict[str, Any] | None:
    opts = inputs.spec.spec.providers.kubeadm
    if opts is None or not opts.control_plane_addresses:
        return None
    net = ipaddress.IPv4Network(inputs.spec.spec.network.node_cidr)
    return {
        "apiVersion": IPAM_POOL_API,
        "kind": "InClusterIPPool",
        "metadata": _meta(inputs, ip_pool_name(inputs.spec)),
        "spec": {"addresses": list(opts.control_plane_addresses), "prefix": net.prefixlen, "gateway": opts.gateway},
    }


def _control_plane_devices(inputs: Inputs) -> list[dict[str, Any]]:
    opts = inputs.spec.spec.providers.kubeadm
    vs = vsphere_options(inputs.spec)
    if opts is None or not opts.control_plane_addresses:
        return _dhcp(vs)
    return [{
        "networkName": vs.network,
        "dhcp4": False,
        "dhcp6": False,
        "addressesFromPools": [
            {"apiGroup": IPAM_POOL_API.split("/")[0], "kind": "InClusterIPPool", "name": ip_pool_name(inputs.spec)}
        ],
        # the spec model requires a gateway with static addresses (ClusterBody._static_masters)
        "nameservers": list(opts.nameservers) or [str(opts.gateway)],
    }]


def _args(pairs: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs.items()]


def _file(path: str, content: str, permissions: str) -> dict[str, str]:
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def runsc_script() -> str:
    return (_TEMPLATES / "kubefleet-runsc.sh").read_text()


def calico_script() -> str:
    return (_TEMPLATES / "kubefleet-calico.sh").read_text()


def _kcp_template(inputs: Inputs, upstream: list[dict[str, Any]]) -> dict[str, Any]:
    spec = inputs.spec
    kcp = capv_template.find(upstream, "KubeadmControlPlane")["spec"]
    config = copy.deepcopy(kcp["kubeadmConfigSpec"])
    config.pop("users", None)  # the template's SSH user needs a key the spec does not carry
    files = config["files"]
    files.append(_file(CALICO_SCRIPT, calico_script(), "0700"))
    config["postKubeadmCommands"] = [f"{CALICO_SCRIPT} {CALICO_VERSION} {spec.spec.network.pod_cidr}"]
    if spec.spec.tenancy.isolation == "sandboxed":
        # masters run pods too (kube-system), and a gvisor pod may tolerate them: same runtime everywhere
        files.append(_file(RUNSC_SCRIPT, runsc_script(), "0700"))
        config["preKubeadmCommands"] = [*config["preKubeadmCommands"], RUNSC_SCRIPT]
    body = {
        "template": {
            "spec": {
                "kubeadmConfigSpec": config,
                "rollout": {
                    "before": {"certificatesExpiryDays": CERT_RENEWAL_DAYS},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                },
            }
        }
    }
    return _named(inputs, CONTROLPLANE_API, "KubeadmControlPlaneTemplate", f"{spec.name}-control-plane", body)


def _node_labels(pool: NodePool) -> str:
    labels = {"kubefleet.dev/pool": pool.name, **pool.labels}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _worker_bootstrap(inputs: Inputs, pool: NodePool, upstream: list[dict[str, Any]]) -> dict[str, Any]:
    config = copy.deepcopy(capv_template.find(upstream, "KubeadmConfigTemplate")["spec"]["template"]["spec"])
    config.pop("users", None)
    registration = config["joinConfiguration"]["nodeRegistration"]
    registration["kubeletExtraArgs"] = _args({"cloud-provider": "external", "node-labels": _node_labels(pool)})
    if pool.taints:
        registration["taints"] = [
            {"key": t.key, **({"value": t.value} if t.value else {}), "effect": t.effect} for t in pool.taints
        ]
    if inputs.spec.spec.tenancy.isolation == "sandboxed":
        config["files"] = [_file(RUNSC_SCRIPT, runsc_script(), "0700")]
        config["preKubeadmCommands"] = [*config["preKubeadmCommands"], RUNSC_SCRIPT]
    return _named(inputs, BOOTSTRAP_API, "KubeadmConfigTemplate", f"{inputs.spec.name}-{pool.name}",
                  {"template": {"spec": config}})


def _health_check(*, control_plane: bool) -> dict[str, Any]:
    """MachineHealthCheck: a node NotReady/Unknown for 5 minutes, or one that never joins in 10 (20 for a
    control-plane machine, which also waits for etcd), is replaced. Workers stop remediating when 40% of
    the pool is unhealthy at once (a network outage is not fixed by deleting machines); KCP remediates
    masters one at a time and never below etcd quorum."""
    check: dict[str, Any] = {
        "checks": {
            "nodeStartupTimeoutSeconds": 1200 if control_plane else 600,
            "unhealthyNodeConditions": [
                {"type": "Ready", "status": "Unknown", "timeoutSeconds": 300},
                {"type": "Ready", "status": "False", "timeoutSeconds": 300},
            ],
        }
    }
    if not control_plane:
        check["remediation"] = {"triggerIf": {"unhealthyLessThanOrEqualTo": "40%"}}
    return check


def _rollout(inputs: Inputs) -> dict[str, Any]:
    up = inputs.spec.spec.upgrades
    if up.strategy == "blue-green":
        # a whole new set of machines before any old one goes: the nearest a MachineDeployment comes
        return {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 0}}}
    return {"strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": up.max_surge, "maxUnavailable": up.max_unavailable}}}


def _crs(inputs: Inputs, upstream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CPI and CSI of CAPV's template (their ConfigMaps verbatim; the credential Secrets come from
    :func:`credential_secrets`), plus the gVisor RuntimeClass when sandboxed."""
    crs = copy.deepcopy(capv_template.find(upstream, "ClusterResourceSet"))
    out = []
    for res in crs["spec"]["resources"]:
        if res["kind"] == "ConfigMap":
            cm = copy.deepcopy(capv_template.find(upstream, "ConfigMap", res["name"]))
            cm["metadata"] = _meta(inputs, res["name"])
            out.append(cm)
    if inputs.spec.spec.tenancy.isolation == "sandboxed":
        runtime_class = (
            "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n"
            f"  name: {SANDBOX_RUNTIME_CLASS}\nhandler: runsc\n"
        )
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(inputs, "kubefleet-runtimeclass"),
                    "data": {"data": runtime_class}})
        crs["spec"]["resources"].append({"kind": "ConfigMap", "name": "kubefleet-runtimeclass"})
    crs["metadata"] = _meta(inputs, f"{inputs.spec.name}-vsphere-addons")
    crs["spec"]["strategy"] = "Reconcile"
    out.append(crs)
    return out


def credential_secrets(inputs: Inputs, username: str, password: str) -> list[dict[str, Any]]:
    """The Secrets holding vCenter credentials: the identity's (in CAPV's namespace) and the two the CPI
    and CSI read inside the workload cluster (delivered by the ClusterResourceSet, as CAPV ships them)."""
    spec = inputs.spec
    values = {"VSPHERE_USERNAME": username, "VSPHERE_PASSWORD": password}
    out = [{
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {**_meta(inputs, identity_name(spec), namespaced=False), "namespace": inputs.capv_namespace},
        "type": "Opaque",
        "stringData": {"username": username, "password": password},
    }]
    for doc in _upstream(inputs):
        if doc["kind"] == "Secret" and doc.get("type") == "addons.cluster.x-k8s.io/resource-set":
            doc["metadata"] = _meta(inputs, doc["metadata"]["name"])
            doc["stringData"] = {k: capv_template.substitute(v, values) for k, v in doc["stringData"].items()}
            out.append(doc)
    return out


def identity_name(spec: ClusterSpec) -> str:
    return namespace(spec)


def render(inputs: Inputs) -> list[dict[str, Any]]:
    """Every object but the credential Secrets, in creation order (dependencies first)."""
    spec = inputs.spec
    body = spec.spec
    vs = vsphere_options(spec)
    upstream = _upstream(inputs)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(inputs, namespace(spec), namespaced=False)},
        {
            "apiVersion": INFRA_API,
            "kind": "VSphereClusterIdentity",
            "metadata": _meta(inputs, identity_name(spec), namespaced=False),
            "spec": {
                "secretName": identity_name(spec),
                "allowedNamespaces": {"selector": {"matchLabels": {"kubernetes.io/metadata.name": namespace(spec)}}},
            },
        },
    ]
    pool = _ip_pool(inputs)
    if pool is not None:
        objects.append(pool)
    cluster_spec: dict[str, Any] = {
        "server": inputs.server,
        "identityRef": {"kind": "VSphereClusterIdentity", "name": identity_name(spec)},
        "controlPlaneEndpoint": {"host": control_plane_vip(spec), "port": API_PORT},
    }
    if inputs.thumbprint:
        cluster_spec["thumbprint"] = inputs.thumbprint
    infra = _named(inputs, INFRA_API, "VSphereClusterTemplate", spec.name, {"template": {"spec": cluster_spec}})
    cp_machine = _named(inputs, INFRA_API, "VSphereMachineTemplate", f"{spec.name}-control-plane",
                        _machine_spec(inputs, control_plane_shape(spec), _control_plane_devices(inputs)))
    kcp = _kcp_template(inputs, upstream)
    objects += [infra, cp_machine, kcp]
    classes = []
    for p in body.node_pools:
        # a pool called control-plane with the masters' VM shape would otherwise render the masters' own
        # VSphereMachineTemplate, name and content, a second time (tests/test_capi_webhooks.py)
        base = f"{spec.name}-pool-{p.name}" if p.name == "control-plane" else f"{spec.name}-{p.name}"
        machine = _named(inputs, INFRA_API, "VSphereMachineTemplate", base,
                         _machine_spec(inputs, inputs.shapes[p.name], _dhcp(vs)))
        boot = _worker_bootstrap(inputs, p, upstream)
        objects += [machine, boot]
        classes.append({
            "class": p.name,
            "bootstrap": {"templateRef": _ref(boot)},
            "infrastructure": {"templateRef": _ref(machine)},
            "healthCheck": _health_check(control_plane=False),
            "rollout": _rollout(inputs),
        })
    class_spec: dict[str, Any] = {
        "infrastructure": {"templateRef": _ref(infra)},
        "controlPlane": {
            "templateRef": _ref(kcp),
            "machineInfrastructure": {"templateRef": _ref(cp_machine)},
            "healthCheck": _health_check(control_plane=True),
        },
        "workers": {"machineDeployments": classes},
    }
    if inputs.kubernetes_versions:
        class_spec["kubernetesVersions"] = class_versions(inputs.version, inputs.kubernetes_versions)
    cluster_class = _named(inputs, CLUSTER_API, "ClusterClass", spec.name, class_spec)
    objects.append(cluster_class)
    workers = []
    for p in body.node_pools:
        md: dict[str, Any] = {"class": p.name, "name": p.name}
        if p.autoscaling is not None:
            # no replicas: cluster-autoscaler owns the count; CAPI sets it to the minimum on creation
            md["metadata"] = {"annotations": {AUTOSCALER_MIN: str(p.autoscaling.min), AUTOSCALER_MAX: str(p.autoscaling.max)}}
        else:
            md["replicas"] = p.min_nodes
        workers.append(md)
    objects.append({
        "apiVersion": CLUSTER_API,
        "kind": "Cluster",
        "metadata": _meta(inputs, spec.name),
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": [body.network.pod_cidr]},
                "services": {"cidrBlocks": [body.network.service_cidr]},
            },
            "topology": {
                "classRef": {"name": cluster_class["metadata"]["name"]},
                "version": f"v{inputs.version.lstrip('v')}",
                "controlPlane": {"replicas": body.control_plane.replicas},
                "workers": {"machineDeployments": workers},
            },
        },
    })
    objects += _crs(inputs, upstream)
    objects += _etcd_backup(inputs)
    return objects


def _etcd_backup(inputs: Inputs) -> list[dict[str, Any]]:
    """Scheduled etcd snapshots onto a vSphere volume, through their own ClusterResourceSets
    (providers/kubeadm/etcd_backup.py says what and why)."""
    return etcd_backup.management_objects(inputs.spec, inputs.etcd_image, lambda name: _meta(inputs, name))
