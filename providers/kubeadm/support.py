"""How kubeadm on vSphere realises each spec field on the Cluster API path (the parity report's rows).

Every object is a Cluster API v1.13.6 / CAPV v1.16.1 object in the management cluster (providers/kubeadm/
capi.py); the lifecycle is their controllers'. Each row says whether the field is *native* (a Cluster API,
KCP, CABPK or CAPV field or controller does exactly this), *emulated* (approximated with what those
offer, and how) or *unsupported* (nothing realises it; what to do instead), and names the upstream line
that makes it so in :data:`SOURCES`. tests/test_kubeadm_parity.py opens every cited line in the Cluster
API module (as the Go module proxy serves it) or in the pinned CAPV files under tests/data/capi and checks
that it says what the row relies on.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubefleet.providers.base import Support, emulated, native, unsupported
from kubefleet.providers.kubeadm import etcd_backup
from kubefleet.providers.kubeadm.capi import (
    AUTOSCALER_MAX,
    CALICO_VERSION,
    CAPI_VERSION,
    CERT_RENEWAL_DAYS,
    SANDBOX_RUNTIME_CLASS,
    control_plane_shape,
    control_plane_vip,
    vip_is_derived,
    vm_template,
)
from kubefleet.providers.kubeadm.capi import namespace as capi_namespace
from kubefleet.resolve.model import ResolvedCluster

CAPI: str = f"cluster-api@{CAPI_VERSION}"
#: CAPV v1.16.1 = commit 5b57d1db50a72f8d7ac605f9860f18d517215b4d (tests/data/capi/PROVENANCE.md); the cited
#: files are pinned byte for byte in providers/kubeadm/templates and tests/data/capi/crds/capv-v1.16.1
CAPV: str = "cluster-api-provider-vsphere@5b57d1db"
#: Kubernetes' own sources (kubeadm, kube-apiserver) as the Go module proxy serves them (the module cache
#: scripts/build-kube-apiserver.sh fills): k8s.io/kubernetes and k8s.io/apiserver
K8S: str = "kubernetes@v1.35.4"
K8S_APISERVER: str = "apiserver@v0.35.4"
CAPV_TEMPLATE = "templates/cluster-template.yaml"
CAPV_CRDS = "config/default/crd/bases"


@dataclass(frozen=True)
class Cite:
    """An upstream line a row relies on: ``repo@ref:path:line`` and a phrase that line (or the few after
    it) contains."""

    repo: str
    path: str
    line: int
    phrase: str

    def __str__(self) -> str:
        return f"{self.repo}:{self.path}:{self.line}"


SOURCES: dict[str, Cite] = {
    "topology-version": Cite(CAPI, "internal/webhooks/cluster.go", 382,
                             "If there are Kubernetes versions defined, we will instead validate"),
    "class-versions": Cite(CAPI, "api/core/v1beta2/clusterclass_types.go", 143,
                           "kubernetesVersions is the list of Kubernetes versions that can be"),
    "no-downgrade": Cite(CAPI, "internal/webhooks/cluster.go", 430, "version cannot be decreased"),
    "kcp-one-at-a-time": Cite(CAPI, "controlplane/kubeadm/internal/controllers/scale.go", 119,
                              'KCP performs "one operation at time"'),
    "kcp-max-surge": Cite(CAPI, "api/controlplane/kubeadm/v1beta2/kubeadm_control_plane_types.go", 621,
                          "Value can be an absolute number 1 or 0."),
    "kcp-etcd-member": Cite(CAPI, "controlplane/kubeadm/internal/controllers/controller.go", 1497,
                            "workloadCluster.RemoveEtcdMember(ctx, etcdMemberToBeDeleted"),
    "kcp-etcd-leader": Cite(CAPI, "controlplane/kubeadm/internal/controllers/scale.go", 149,
                            "ForwardEtcdLeadership"),
    "kcp-even": Cite(CAPI, "controlplane/kubeadm/internal/webhooks/kubeadmcontrolplane.go", 278,
                     "cannot be an even number when etcd is stacked"),
    "kcp-cert-rollout": Cite(CAPI, "api/controlplane/kubeadm/v1beta2/kubeadm_control_plane_types.go", 592,
                             "certificatesExpiryDays indicates a rollout needs to be performed"),
    "kcp-remediation-quorum": Cite(CAPI, "controlplane/kubeadm/internal/controllers/remediation.go", 293,
                                   "etcd quorum loss. Skipping remediation"),
    "mhc-class": Cite(CAPI, "api/core/v1beta2/clusterclass_types.go", 462,
                      "healthCheck defines a MachineHealthCheck for this MachineDeploymentClass."),
    "md-max-unavailable": Cite(CAPI, "api/core/v1beta2/machinedeployment_types.go", 332,
                               "maxUnavailable is the maximum number of machines that can be unavailable"),
    "machine-drain": Cite(CAPI, "internal/controllers/machine/machine_controller.go", 510,
                          "Drain node before deletion"),
    "autoscaler-annotation": Cite(CAPI, "api/core/v1beta2/common_types.go", 205, AUTOSCALER_MAX),
    "autoscaler-min-default": Cite(CAPI, "internal/webhooks/machinedeployment.go", 335,
                                   "if it's a new MachineDeployment, use min size"),
    "topology-gate": Cite(CAPI, "feature/feature.go", 107, "ClusterTopology:                {Default: false"),
    "kube-vip": Cite(CAPV, CAPV_TEMPLATE, 149, "image: ghcr.io/kube-vip/kube-vip:"),
    "cpi-csi": Cite(CAPV, CAPV_TEMPLATE, 324, "kind: ClusterResourceSet"),
    "capv-ipam": Cite(CAPV, f"{CAPV_CRDS}/infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml", 266,
                      "addressesFromPools:"),
    "capv-pci": Cite(CAPV, f"{CAPV_CRDS}/infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml", 567,
                     "pciDevices:"),
    "capv-failure-domain": Cite(CAPV, f"{CAPV_CRDS}/infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml",
                                169, "failureDomain:"),
    "crs-reconcile": Cite(CAPI, "internal/controllers/clusterresourceset/clusterresourceset_scope.go", 115,
                          "resourceBinding.Hash != r.computedHash"),
    "crs-apply-once": Cite(CAPI, "internal/controllers/clusterresourceset/clusterresourceset_scope.go", 168,
                           "!apierrors.IsAlreadyExists(err)"),
    "crs-delete-keeps": Cite(CAPI, "internal/controllers/clusterresourceset/clusterresourceset_controller.go", 238,
                             "clusterResourceSetBinding.RemoveBinding(crs)"),
    "capv-storage-policy": Cite(CAPV, f"{CAPV_CRDS}/infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml",
                                719, "storagePolicyName:"),
    # no re-addressing of a running cluster (kubefleet/changes/upgrades.py refuses it)
    "cluster-cidr-webhook": Cite(CAPI, "internal/webhooks/cluster.go", 202,
                                 "Ensure that the CIDR blocks defined under ClusterNetwork are valid"),
    "cabpk-cluster-network": Cite(CAPI, "bootstrap/kubeadm/internal/controllers/kubeadmconfig_controller.go", 1320,
                                  "len(cluster.Spec.ClusterNetwork.Services.CIDRBlocks) > 0"),
    "cluster-endpoint-once": Cite(CAPI, "internal/controllers/cluster/cluster_controller_phases.go", 218,
                                  "if !cluster.Spec.ControlPlaneEndpoint.IsValid()"),
    # credentials: the admin kubeconfig Cluster API writes, and the CA keys on every master
    "capi-admin-kubeconfig": Cite(CAPI, "util/kubeconfig/kubeconfig.go", 59, 'Organization: []string{"system:masters"}'),
    "capi-cert-year": Cite(CAPI, "util/certs/consts.go", 26, "DefaultCertDuration = time.Hour * 24 * 365"),
    "capi-renew-half": Cite(CAPI, "util/certs/consts.go", 30, "ClientCertificateRenewalDuration = DefaultCertDuration / 2"),
    "kcp-kubeconfig-rotation": Cite(CAPI, "controlplane/kubeadm/internal/controllers/helpers.go", 86,
                                    "kubeconfig.NeedsClientCertRotation(configSecret, certs.ClientCertificateRenewalDuration)"),
    "system-masters": Cite(K8S, "pkg/kubeapiserver/authorizer/reload.go", 97,
                           "authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)"),
    "client-cert-chain-only": Cite(K8S_APISERVER, "pkg/authentication/request/x509/x509.go", 185,
                                   "req.TLS.PeerCertificates[0].Verify(optsCopy)"),
    "cabpk-join-ca-keys": Cite(CAPI, "util/secret/certificates.go", 149, 'KeyFile:  path.Join(certificatesDir, "ca.key")'),
    "cabpk-join-writes-keys": Cite(CAPI, "bootstrap/kubeadm/internal/cloudinit/controlplane_join.go", 61,
                                   "input.WriteFiles = input.AsFiles()"),
    "kcm-signing-key": Cite(K8S, "cmd/kubeadm/app/phases/controlplane/manifests.go", 337,
                            '{Name: "cluster-signing-key-file"'),
    "kubeadm-join-pki": Cite(K8S, "cmd/kubeadm/app/cmd/phases/join/controlplaneprepare.go", 273,
                             "return certsphase.CreatePKIAssets(cfg)"),
    "capv-guestinfo": Cite(CAPV, "pkg/services/govmomi/vcenter/clone.go", 75,
                           "extraConfig.SetCloudInitUserData(bootstrapData)"),
    "capv-guestinfo-key": Cite(CAPV, "pkg/services/govmomi/extra/config.go", 32,
                               'guestInfoCloudInitData     = "guestinfo.userdata"'),
    # node anti-affinity (vSphere cluster modules), pinned in tests/data/capi/capv-v1.16.1-src
    "capv-anti-affinity-gate": Cite(CAPV, "feature/feature.go", 75, "NodeAntiAffinity:       {Default: false"),
    "capv-anti-affinity-env": Cite(CAPV, "config/manager/manager.yaml", 24,
                                   "NodeAntiAffinity=${EXP_NODE_ANTI_AFFINITY:=false}"),
    "capv-module-kcp": Cite(CAPV, "controllers/clustermodule_reconciler.go", 245,
                            "&controlplanev1.KubeadmControlPlane{}"),
    "capv-module-md": Cite(CAPV, "controllers/clustermodule_reconciler.go", 263, "&clusterv1.MachineDeployment{}"),
    "capv-module-soft": Cite(CAPV, "docs/proposal/20220907-node-affinity-and-anti-affinity.md", 140,
                             'supports "soft" anti-affinity'),
    "capv-module-vcenter7": Cite(CAPV, "pkg/clustermodule/util.go", 64, "apiVersion.Major >= 7"),
}


def _src(*keys: str) -> str:
    return " [" + "; ".join(str(SOURCES[k]) for k in keys) + "]"


#: CAPV's open issue on the bootstrap data it leaves in guestinfo (read 2026-12-06 through the issue corpus),
#: and the report that any user in a guest can read guestinfo through VMware Tools
GUESTINFO_ISSUE = "https://github.com/kubernetes-sigs/cluster-api-provider-vsphere/issues/582"
GUEST_READ_ISSUE = "https://github.com/coreos/ignition/issues/1300"


def ca_keys_note() -> str:
    """Why every master carries the cluster's signing keys, and where else they are (parity text, README)."""
    return (
        "every master holds the cluster's signing keys (cluster CA, etcd CA, front-proxy CA, service-account "
        "key): CABPK writes them into each control-plane machine's bootstrap data, because kubeadm join "
        "--control-plane makes that master's etcd and API server certificates from them and kube-controller-"
        "manager signs kubelet certificates with ca.key on every master; CAPV puts the bootstrap data into the "
        f"VM's guestinfo.userdata and never clears it ({GUESTINFO_ISSUE}, open), so whoever can read the VM's "
        "configuration through vCenter can read the keys (and, per "
        f"{GUEST_READ_ISSUE}, any user inside the guest through VMware Tools): limit who may read the master VMs "
        "in vCenter; the keys are also the Secrets <cluster>-ca, -etcd, -proxy and -sa in the management "
        "cluster"
        + _src("cabpk-join-ca-keys", "cabpk-join-writes-keys", "kubeadm-join-pki", "kcm-signing-key",
               "capv-guestinfo", "capv-guestinfo-key")
    )


def admin_kubeconfig_note() -> str:
    """What the kubeconfig Cluster API writes is, and what kubefleet does with it (parity text, README)."""
    return (
        "the kubeconfig KCP writes (<cluster>-kubeconfig) holds a client certificate for kubernetes-admin in "
        "group system:masters, which the API server authorizes before RBAC (no Role can narrow or revoke it), "
        "valid 365 days; KCP re-issues the Secret when less than half of that is left, but a copy taken earlier "
        "stays valid until it expires (the API server checks a client certificate only against its CA). "
        "kubefleet keeps it only as a secret stack output and writes it only to a 0600 file (`kubefleet "
        "kubeconfig`); `up` uses it for the Istio Helm releases and nothing else"
        + _src("capi-admin-kubeconfig", "system-masters", "capi-cert-year", "kcp-kubeconfig-rotation",
               "capi-renew-half", "client-cert-chain-only")
    )


def field_support(ctx: ResolvedCluster) -> dict[str, Support]:
    spec = ctx.spec
    body = spec.spec
    opts = body.providers.kubeadm
    cp = body.control_plane
    istio = body.addons.istio
    vip = control_plane_vip(spec)
    shape = control_plane_shape(spec)
    patch = ctx.kubernetes_patch or body.kubernetes.version
    t: dict[str, Support] = {}

    # ---- kubernetes ----
    t["spec.kubernetes.version"] = native(
        f"Cluster.spec.topology.version v{patch.lstrip('v')}: Cluster API upgrades the control plane (KCP) "
        "first, then every MachineDeployment, by replacing machines; a version that skips minors is upgraded "
        "through each minor in turn (chained upgrade), because the ClusterClass lists one patch per minor "
        "in kubernetesVersions; a downgrade is refused by Cluster API's webhook"
        + ("" if body.kubernetes.version.count(".") == 2 else
           f"; the minor-only {body.kubernetes.version} is resolved to its newest patch at plan time from the "
           "catalog - pin a patch to choose another")
        + _src("topology-version", "class-versions", "no-downgrade")
    )
    t["spec.kubernetes.channel"] = (
        native("channel none: versions change only when the spec's version does (Cluster API has no channels)")
        if body.kubernetes.channel == "none"
        else unsupported(
            "Cluster API has no release channels: the version is the spec's; bump spec.kubernetes.version and "
            "run `kubefleet up` (`kubefleet upgrade plan` shows the hops)"
        )
    )

    # ---- control plane ----
    t["spec.controlPlane.availability"] = (
        emulated(
            f"{cp.replicas} stacked-etcd masters (KCP replicas) with soft anti-affinity: CAPV puts the "
            "KubeadmControlPlane's VMs into one vSphere cluster module, and DRS keeps them on separate ESXi hosts "
            "while there are enough hosts (and stacks them when there are not) - only when CAPV's "
            "NodeAntiAffinity feature gate is on (alpha, off by default; clusterctl sets it from "
            "EXP_NODE_ANTI_AFFINITY, and `up`/`preview` warn when it is off with the kubectl patch that turns "
            "it on) and vCenter is 7 or later. No vSphere failure domains (VSphereDeploymentZone/"
            "VSphereFailureDomain): one compute cluster is one site, so a site or vCenter-cluster outage takes "
            "every master"
            + _src("capv-module-soft", "capv-module-kcp", "capv-anti-affinity-gate", "capv-anti-affinity-env",
                   "capv-module-vcenter7", "capv-failure-domain")
        )
        if cp.availability == "regional"
        else native("zonal: one KCP machine, placed by DRS")
    )
    t["spec.controlPlane.tier"] = unsupported(
        "no managed tier or fee: the masters are VMs you pay for (priced as VMs, plus the management cluster's "
        "share), with no provider SLA"
    )
    t["spec.controlPlane.endpoint"] = (
        native(f"kube-vip (CAPV's template) announces {vip}:6443 by ARP on the VMs' port group" + _src("kube-vip"))
        if cp.endpoint == "private"
        else unsupported(
            f"public exposure needs NAT or a load balancer in front of the VIP {vip}, outside vSphere; "
            "the VIP is only on the port group"
        )
    )
    t["spec.controlPlane.authorizedNetworks"] = (
        native("no restriction requested")
        if not cp.authorized_networks
        else unsupported(
            "needs an NSX distributed firewall or a perimeter firewall rule on the VIP; kubefleet manages neither"
        )
    )
    t["spec.controlPlane.replicas"] = native(
        f"KubeadmControlPlane replicas {cp.replicas} ({shape.vcpus} vCPU / {shape.memory_gib} GiB / "
        f"{shape.disk_gib} GiB VMs by the cluster-size rule): KCP adds or removes one machine at a time, "
        "waiting for a healthy control plane between steps; on scale-down it moves etcd leadership off the "
        "machine and removes its etcd member; even counts are refused with stacked etcd (so is the spec). "
        f"KCP also replaces masters whose certificates expire within {CERT_RENEWAL_DAYS} days "
        "(rollout.before.certificatesExpiryDays) and remediates an unhealthy master only while etcd keeps quorum"
        + _src("kcp-one-at-a-time", "kcp-etcd-leader", "kcp-etcd-member", "kcp-even", "kcp-cert-rollout",
               "kcp-remediation-quorum")
        + ". Credentials: " + ca_keys_note()
    )

    # ---- node pools ----
    gpu = any(p.machine.gpu is not None for p in body.node_pools)
    spot = any(p.spot for p in body.node_pools)
    autoscaled = any(p.autoscaling is not None for p in body.node_pools)
    t["spec.nodePools[].name"] = native(
        "one MachineDeployment topology (and MachineDeploymentClass) per pool; node label kubefleet.dev/pool=<name>"
    )
    small = [p.name for p in body.node_pools if p.machine.vcpus < 2]
    t["spec.nodePools[].machine.vcpus"] = (
        emulated(f"VSphereMachineTemplate numCPUs has a floor of 2: pool(s) {', '.join(small)} get 2 vCPUs")
        if small
        else native("VSphereMachineTemplate numCPUs from the matched machine shape")
    )
    t["spec.nodePools[].machine.memoryGiB"] = native("VSphereMachineTemplate memoryMiB from the matched machine shape")
    gpu_reason = (
        "CAPV can pass PCI devices through (VSphereMachineTemplate pciDevices) but needs the device and vendor "
        "ids, which the spec does not carry; the VMs are created without GPUs" + _src("capv-pci")
    )
    t["spec.nodePools[].machine.gpu.kind"] = unsupported(gpu_reason) if gpu else native("no GPU requested")
    t["spec.nodePools[].machine.gpu.count"] = unsupported(gpu_reason) if gpu else native("no GPU requested")
    for cloud in ("gke", "eks", "aks"):
        t[f"spec.nodePools[].instanceTypes.{cloud}"] = unsupported(
            f"a {cloud} instance-type pin has no meaning on vSphere; VMs are sized from the machine shape"
        )
    t["spec.nodePools[].count"] = native(
        "MachineDeployment replicas: Cluster API creates or deletes machines, draining each node before its VM "
        "is deleted; with CAPV's NodeAntiAffinity gate on, each pool's VMs also share a cluster module (soft "
        "anti-affinity across ESXi hosts)" + _src("machine-drain", "capv-module-md")
    )
    t["spec.nodePools[].autoscaling.min"] = (
        emulated(
            "the pool's MachineDeployment starts at the minimum (Cluster API defaults replicas to the "
            "min-size annotation kubefleet sets); nothing adds more unless cluster-autoscaler runs"
            + _src("autoscaler-min-default")
        )
        if autoscaled
        else native("not used (fixed count)")
    )
    t["spec.nodePools[].autoscaling.max"] = (
        unsupported(
            "kubefleet sets cluster-autoscaler's Cluster API min/max annotations on the MachineDeployment but "
            "deploys no cluster-autoscaler (clusterapi provider); without one the pool stays at its minimum"
            + _src("autoscaler-annotation")
        )
        if autoscaled
        else native("not used (fixed count)")
    )
    t["spec.nodePools[].spot"] = (
        unsupported("no spot or preemptible capacity on-premises; the VMs are ordinary ones")
        if spot
        else native("on-demand VMs (the only kind)")
    )
    t["spec.nodePools[].disk.sizeGiB"] = native("VSphereMachineTemplate diskGiB (a full clone grows the template's disk)")
    t["spec.nodePools[].disk.type"] = unsupported(
        "CAPV clones the template's disk as it is provisioned; thin/thick and the medium follow the template "
        "and the datastore (or a storage policy, VSphereMachineTemplate storagePolicyName, which the spec does "
        "not carry)" + _src("capv-storage-policy")
    )
    t["spec.nodePools[].os"] = native(
        f"every VM is cloned from the image-builder template for the patch ({vm_template(spec, patch)}: Ubuntu "
        "with kubeadm, kubelet and a containerd pinned for that Kubernetes minor), the Cluster API way"
    )
    t["spec.nodePools[].labels"] = native(
        "kubelet --node-labels in the pool's KubeadmConfigTemplate joinConfiguration.nodeRegistration"
    )
    for key in ("key", "value", "effect"):
        t[f"spec.nodePools[].taints[].{key}"] = native(
            "the pool's KubeadmConfigTemplate joinConfiguration.nodeRegistration.taints"
        )

    # ---- network ----
    static = opts is not None and bool(opts.control_plane_addresses)
    t["spec.network.nodeCidr"] = emulated(
        "kubefleet does not create networks: the port group must serve this range by DHCP for workers"
        + ("" if static else " and masters (reserve the masters' leases: etcd breaks when a master's address changes)")
        + f"; the VIP ({vip}) is taken from it and must lie outside the DHCP pool"
    )
    readdress = ("; fixed at creation: Cluster API's webhook accepts a later change, but nothing re-addresses a "
                 "running cluster, so `diff` shows it as refused and `up` refuses it against the live Cluster "
                 "(the way out is a new cluster)" + _src("cluster-cidr-webhook", "cabpk-cluster-network"))
    t["spec.network.podCidr"] = native(
        f"Cluster.spec.clusterNetwork.pods and the Calico {CALICO_VERSION} IP pool (a postKubeadmCommand)" + readdress
    )
    t["spec.network.serviceCidr"] = native("Cluster.spec.clusterNetwork.services" + readdress)
    t["spec.network.privateNodes"] = (
        native("VMs get one NIC on the port group and no public address from kubefleet")
        if body.network.private_nodes
        else unsupported("kubefleet assigns no public addresses; nodes are as public as the port group's network")
    )

    # ---- add-ons ----
    helm = ("Helm releases (providers/mesh.py) through a Kubernetes provider on the workload cluster's kubeconfig "
            "(Cluster API's system:masters admin certificate: see spec.providers.kubeadm.managementCluster)")
    if istio.mode == "none":
        t["spec.addons.istio.mode"] = native("no mesh installed")
    elif istio.mode == "managed":
        t["spec.addons.istio.mode"] = emulated(f"no managed mesh on-premises; upstream Istio installed by {helm}")
    else:
        t["spec.addons.istio.mode"] = native(f"upstream Istio installed by {helm}")
    if istio.mode == "none":
        t["spec.addons.istio.dataPlane"] = native("no mesh installed")
    elif istio.data_plane == "ambient":
        t["spec.addons.istio.dataPlane"] = native("ambient: istio-cni and ztunnel charts")
    else:
        t["spec.addons.istio.dataPlane"] = native("sidecar injection by istiod")
    t["spec.addons.istio.expectedPods"] = native("sizes the sidecar overhead in the cost model; creates nothing")
    if istio.revision is None:
        t["spec.addons.istio.revision"] = native("default revision")
    elif istio.revision.startswith("asm-"):
        t["spec.addons.istio.revision"] = unsupported(
            f"{istio.revision} names a provider's managed mesh revision; upstream charts install the default revision"
        )
    else:
        t["spec.addons.istio.revision"] = native("istiod `revision` value of the Helm release")

    # ---- tenancy ----
    t["spec.tenancy.isolation"] = (
        emulated(
            "gVisor (runsc) added to containerd by a script in every KubeadmConfigTemplate and the "
            f"KubeadmControlPlaneTemplate (preKubeadmCommands), RuntimeClass `{SANDBOX_RUNTIME_CLASS}` delivered by "
            "a ClusterResourceSet; pods opt in with runtimeClassName"
        )
        if body.tenancy.isolation == "sandboxed"
        else native("runc: containers share the node kernel")
    )

    # ---- upgrades ----
    up = body.upgrades
    t["spec.upgrades.strategy"] = (
        emulated(
            "blue-green: each MachineDeployment rolls with maxSurge 100% / maxUnavailable 0 (a full new set "
            "of machines before old ones go), the nearest Cluster API has; the control plane always rolls "
            "one master at a time (KCP maxSurge 1)" + _src("kcp-max-surge")
        )
        if up.strategy == "blue-green"
        else native(
            "rolling: MachineDeployment RollingUpdate for workers, KCP rolling update (maxSurge 1, one master at "
            "a time) for the control plane" + _src("kcp-max-surge")
        )
    )
    t["spec.upgrades.maxSurge"] = (
        native(f"MachineDeployment rollingUpdate.maxSurge {up.max_surge} (workers; masters: KCP maxSurge 1)")
        if up.strategy != "blue-green"
        else emulated("replaced by 100% for blue-green (workers); masters: KCP maxSurge 1")
    )
    t["spec.upgrades.maxUnavailable"] = (
        native(f"MachineDeployment rollingUpdate.maxUnavailable {up.max_unavailable} (workers)"
               + _src("md-max-unavailable"))
        if up.strategy != "blue-green"
        else emulated("replaced by 0 for blue-green (workers)")
    )
    for key in ("day", "start", "hours"):
        t[f"spec.upgrades.maintenanceWindow.{key}"] = (
            unsupported(
                "Cluster API has no maintenance windows: a rollout starts when `kubefleet up` changes the objects "
                "(and a certificate-driven rollout when certificates near expiry); run up inside your window"
            )
            if up.maintenance_window is not None
            else native("no window requested")
        )

    # ---- provider block ----
    t["spec.providers.kubeadm.vsphere.server"] = native(
        "VSphereClusterTemplate/VSphereMachineTemplate server; the credentials go into a Secret in CAPV's "
        "namespace behind a VSphereClusterIdentity allowed only in this cluster's namespace"
    )
    t["spec.providers.kubeadm.vsphere.datacenter"] = native("VSphereMachineTemplate datacenter")
    t["spec.providers.kubeadm.vsphere.cluster"] = native(
        "VSphereMachineTemplate resourcePool /<datacenter>/host/<cluster>/Resources"
    )
    t["spec.providers.kubeadm.vsphere.datastore"] = native(
        "VSphereMachineTemplate datastore for VM disks; the vSphere CPI and CSI driver CAPV's template ships "
        "are installed by a ClusterResourceSet, so PersistentVolumes work" + _src("cpi-csi")
    )
    t["spec.providers.kubeadm.vsphere.network"] = native("VSphereMachineTemplate network device (the port group)")
    t["spec.providers.kubeadm.vsphere.template"] = native(
        f"VSphereMachineTemplate template {vm_template(spec, patch)}: image-builder's name for the patch unless "
        "the spec sets one (`{version}` in it becomes the patch); it must exist in vCenter before `up`"
    )
    t["spec.providers.kubeadm.vsphere.folder"] = native("VSphereMachineTemplate folder")
    vip_fixed = ("; fixed at creation (the Cluster keeps its first endpoint, the certificates name it): a change "
                 "is refused by `diff` and `up`" + _src("cluster-endpoint-once"))
    t["spec.providers.kubeadm.controlPlaneVip"] = (
        emulated(f"not given: derived as the 10th address of nodeCidr, {vip}; announced by kube-vip (ARP)" + vip_fixed)
        if vip_is_derived(spec)
        else native(f"VSphereCluster controlPlaneEndpoint {vip}:6443, announced by kube-vip on every master (ARP)"
                    + vip_fixed)
    )
    if static:
        t["spec.providers.kubeadm.controlPlaneAddresses"] = native(
            "an InClusterIPPool the masters' network device takes addresses from (CAPV addressesFromPools; the "
            "in-cluster IPAM provider must be installed), so etcd peers never move" + _src("capv-ipam")
        )
    else:
        t["spec.providers.kubeadm.controlPlaneAddresses"] = emulated(
            "not given: masters take DHCP leases, which must be reserved (a changed address breaks etcd); "
            "give one address per master to make them static"
        )
    t["spec.providers.kubeadm.gateway"] = native("the InClusterIPPool's gateway (masters with static addresses)")
    t["spec.providers.kubeadm.nameservers"] = native("the masters' network device nameservers (static addresses)")
    t["spec.providers.kubeadm.managementCluster"] = native(
        "the Cluster API management cluster: that kubefleet stack's kubeconfig output (a StackReference); "
        "unset: the kubeconfig file named by KUBEFLEET_MANAGEMENT_KUBECONFIG, kept as a secret in stack config. "
        f"Whoever may read Secrets in its namespace {capi_namespace(spec)} owns the workload cluster: its CA keys "
        "(<cluster>-ca, -etcd, -proxy, -sa), the machines' bootstrap data and the admin kubeconfig are Secrets "
        "there. " + admin_kubeconfig_note())
    t.update(_etcd_backup_rows(ctx))
    for key in ("vcpuHour", "gibHour", "diskGbMonth", "vmLicenseMonth"):
        t[f"spec.providers.kubeadm.costs.{key}"] = native(
            "on-premises rate used by the cost model (for this cluster's VMs and its management-cluster share); "
            "creates nothing"
        )
    share = ("how the cost model prices this cluster's share of its Cluster API management cluster "
             "(kubefleet/cost/management.py); creates nothing")
    t["spec.providers.kubeadm.costs.managementClusterMonth"] = native(share)
    t["spec.providers.kubeadm.costs.managedClusters"] = native(share)
    return t


def _etcd_backup_rows(ctx: ResolvedCluster) -> dict[str, Support]:
    """Cluster API has no etcd backup: kubefleet's own CronJob, delivered by ClusterResourceSets
    (providers/kubeadm/etcd_backup.py)."""
    opts = etcd_backup.options(ctx.spec)
    image = ctx.etcd_image or "(no image known for this minor)"
    where = ("a CronJob in the workload cluster's kube-system, delivered by a ClusterResourceSet with strategy "
             "Reconcile (Cluster API re-applies it when its content changes)")
    return {
        "spec.providers.kubeadm.etcdBackup.enabled": emulated(
            "Cluster API has no etcd backup; kubefleet adds " + where + ": on a control-plane node it runs "
            f"`etcdctl snapshot save` from kubeadm's etcd image {image} with kubeadm's etcd client certificate, "
            f"onto a vSphere volume (PersistentVolumeClaim kube-system/{etcd_backup.NAME}, StorageClass reclaim "
            "Retain, applied once) that outlives every master KCP replaces; "
            + ("on" if opts.enabled else "off: the CronJob is suspended and the volume and its snapshots are "
               "kept (deleting a ClusterResourceSet never deletes what it applied)")
            + _src("crs-reconcile", "crs-apply-once", "crs-delete-keeps")
        ),
        "spec.providers.kubeadm.etcdBackup.schedule": native(
            f"CronJob schedule {opts.schedule!r} in timeZone Etc/UTC, concurrencyPolicy Forbid" + _src("crs-reconcile")
        ),
        "spec.providers.kubeadm.etcdBackup.keep": emulated(
            f"the CronJob's second step names each snapshot by its UTC time and deletes all but the newest "
            f"{opts.keep} on the volume (kubefleet's script; Kubernetes keeps Jobs, not files)"
        ),
        "spec.providers.kubeadm.etcdBackup.sizeGiB": native(
            f"PersistentVolumeClaim request {etcd_backup.size_gib(ctx.spec)}Gi"
            + ("" if opts.size_gib is not None else
               f" ((keep + 1) x {etcd_backup.ETCD_DEFAULT_QUOTA_GIB} GiB, etcd's default database quota)")
            + "; created once (ClusterResourceSet ApplyOnce): a later change does not resize it - patch the claim "
            "(the StorageClass allows expansion)" + _src("crs-apply-once")
        ),
    }
