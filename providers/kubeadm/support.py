"""How kubeadm on vSphere realises each spec field (the parity report's rows).

What peers (Cluster API with CAPV, Kubespray) do and kubefleet does not, stated in the rows below:
- vSphere CPI/CSI with ``cloud-provider: external``: not installed (``spec.providers.kubeadm.vsphere.datastore``);
  it needs vCenter credentials inside the cluster, which kubefleet keeps out of the guests on purpose;
- control-plane certificate renewal before day 365: kubeadm renews them on ``kubeadm upgrade``; without an
  upgrade within a year an operator runs ``kubeadm certs renew all`` (``spec.upgrades.strategy``);
- containerd pinned per Kubernetes minor: the Ubuntu archive's containerd is installed (``nodePools[].os``);
- exact patch resolved at plan time: only when the spec pins one (``spec.kubernetes.version``);
- masters joining one at a time: VM creation is ordered, the joins are not awaited (``controlPlane.replicas``);
- an upgrade path: manual, node by node (``spec.upgrades.*``).
"""

from __future__ import annotations

from kubefleet.providers.base import Support, emulated, native, unsupported
from kubefleet.providers.kubeadm.capi import control_plane_vip, vip_is_derived
from kubefleet.providers.kubeadm.cloudinit import CALICO_VERSION, SANDBOX_RUNTIME_CLASS
from kubefleet.providers.kubeadm.nodes import control_plane_shape
from kubefleet.resolve.model import ResolvedCluster


def field_support(ctx: ResolvedCluster) -> dict[str, Support]:
    spec = ctx.spec
    body = spec.spec
    opts = body.providers.kubeadm
    cp = body.control_plane
    istio = body.addons.istio
    vip = control_plane_vip(spec)
    shape = control_plane_shape(spec)
    t: dict[str, Support] = {}

    # ---- kubernetes ----
    t["spec.kubernetes.version"] = native(
        "ClusterConfiguration.kubernetesVersion (kubeadm.k8s.io/v1beta4, so 1.31 .. 1.35 only), and "
        f"kubelet/kubeadm/kubectl installed from the pkgs.k8s.io v{body.kubernetes.minor} repository (apt-mark hold)"
        + ("" if body.kubernetes.version.count(".") == 2 else
           "; a minor-only version resolves to that minor's newest patch at boot (`stable-1.x`), not at plan "
           "time - pin a patch (e.g. 1.33.4) for identical nodes")
    )
    t["spec.kubernetes.channel"] = (
        native("channel none: no automatic upgrades, which is kubeadm's only mode")
        if body.kubernetes.channel == "none"
        else unsupported(
            "no release channel on self-managed clusters: versions are pinned and held; `kubeadm upgrade` is run "
            "by an operator, node by node"
        )
    )

    # ---- control plane ----
    t["spec.controlPlane.availability"] = (
        emulated(
            f"{cp.replicas} stacked-etcd masters spread over ESXi hosts by a soft (should) DRS anti-affinity "
            f"rule, as CAPV does: with fewer than {cp.replicas} hosts, or while one is in maintenance, masters "
            "share a host rather than fail to start; one vSphere cluster is one site, not several zones"
        )
        if cp.availability == "regional"
        else native("zonal: masters are placed by DRS with no spreading rule")
    )
    t["spec.controlPlane.tier"] = unsupported(
        "no managed tier or fee: the masters are VMs you pay for (priced as VMs), with no provider SLA"
    )
    t["spec.controlPlane.endpoint"] = (
        native(f"kube-vip announces {vip}:6443 on the VMs' port group (reachable wherever that network is)")
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
        f"{cp.replicas} control-plane VMs ({shape.vcpus} vCPU / {shape.memory_gib} GiB / {shape.disk_gib} GiB "
        "by the cluster-size rule), each bootstrapped with the shared CA material as Cluster API's kubeadm "
        "bootstrap does: the first runs `kubeadm init` on the run that creates the cluster, every other "
        "master - and a replacement of the first - `kubeadm join --control-plane` (VMs are created one after "
        "another; the joins themselves are not awaited one by one). Lowering replicas is "
        "refused until the removed masters are reset (`kubeadm reset` removes the etcd member) and named in "
        "kubefleet:kubeadmDrainedNodes"
    )

    # ---- node pools ----
    gpu = any(p.machine.gpu is not None for p in body.node_pools)
    spot = any(p.spot for p in body.node_pools)
    autoscaled = any(p.autoscaling is not None for p in body.node_pools)
    t["spec.nodePools[].name"] = native("VM names and the node label kubefleet.dev/pool=<name>")
    t["spec.nodePools[].machine.vcpus"] = native("VirtualMachine num_cpus from the matched machine shape")
    t["spec.nodePools[].machine.memoryGiB"] = native("VirtualMachine memory (MiB) from the matched machine shape")
    gpu_reason = (
        "GPU passthrough or vGPU needs host PCI device ids (pci_device_ids) or a vGPU profile that the spec "
        "does not carry; the VMs are created without GPUs"
    )
    t["spec.nodePools[].machine.gpu.kind"] = unsupported(gpu_reason) if gpu else native("no GPU requested")
    t["spec.nodePools[].machine.gpu.count"] = unsupported(gpu_reason) if gpu else native("no GPU requested")
    for cloud in ("gke", "eks", "aks"):
        t[f"spec.nodePools[].instanceTypes.{cloud}"] = unsupported(
            f"a {cloud} instance-type pin has no meaning on vSphere; VMs are sized from the machine shape"
        )
    t["spec.nodePools[].count"] = native(
        "one VirtualMachine per node; a lower count is refused until the removed nodes are drained and named "
        "in the stack config kubefleet:kubeadmDrainedNodes"
    )
    t["spec.nodePools[].autoscaling.min"] = (
        emulated("VMs are created at the minimum; nothing adds more (no cloud autoscaler on vSphere)")
        if autoscaled
        else native("not used (fixed count)")
    )
    t["spec.nodePools[].autoscaling.max"] = (
        unsupported(
            "no cloud autoscaler: scaling to the maximum needs cluster-autoscaler with its Cluster API "
            "provider (CAPV), which kubefleet does not deploy"
        )
        if autoscaled
        else native("not used (fixed count)")
    )
    t["spec.nodePools[].spot"] = (
        unsupported("no spot or preemptible capacity on-premises; the VMs are ordinary ones")
        if spot
        else native("on-demand VMs (the only kind)")
    )
    t["spec.nodePools[].disk.sizeGiB"] = native("VirtualMachine disk0 size (the template's disk grown on clone)")
    t["spec.nodePools[].disk.type"] = emulated(
        "provisioning mode: ssd = eager-zeroed thick, balanced = lazy-zeroed thick, standard = thin; the "
        "medium is the datastore's"
    )
    t["spec.nodePools[].os"] = native(
        "every VM is cloned from the vSphere template (an Ubuntu cloud image with cloud-init), which is both "
        "the default and Ubuntu; containerd comes from the Ubuntu archive, not pinned per Kubernetes minor as "
        "Cluster API images pin it - check the template's containerd against the minor's requirements"
    )
    t["spec.nodePools[].labels"] = native("kubelet --node-labels via JoinConfiguration.nodeRegistration.kubeletExtraArgs")
    for key in ("key", "value", "effect"):
        t[f"spec.nodePools[].taints[].{key}"] = native("JoinConfiguration.nodeRegistration.taints")

    # ---- network ----
    static = opts is not None and bool(opts.control_plane_addresses)
    t["spec.network.nodeCidr"] = emulated(
        "kubefleet does not create networks: the port group must serve this range by DHCP for workers"
        + ("" if static else " and masters (reserve the masters' leases: etcd breaks when a master's address changes)")
        + f"; the VIP ({vip}) is taken from it and must lie outside the DHCP pool"
    )
    t["spec.network.podCidr"] = native(
        f"ClusterConfiguration.networking.podSubnet and the Calico {CALICO_VERSION} IP pool"
    )
    t["spec.network.serviceCidr"] = native("ClusterConfiguration.networking.serviceSubnet")
    t["spec.network.privateNodes"] = (
        native("VMs get one NIC on the port group and no public address from kubefleet")
        if body.network.private_nodes
        else unsupported("kubefleet assigns no public addresses; nodes are as public as the port group's network")
    )

    # ---- add-ons ----
    helm = "Helm releases (providers/mesh.py) through a Kubernetes provider on the exported kubeconfig"
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
            f"gVisor (runsc) installed by cloud-init as a containerd runtime, with RuntimeClass "
            f"`{SANDBOX_RUNTIME_CLASS}`; pods opt in with runtimeClassName"
        )
        if body.tenancy.isolation == "sandboxed"
        else native("runc: containers share the node kernel")
    )

    # ---- upgrades ----
    manual = (
        "kubeadm has no managed upgrades: `kubeadm upgrade apply/node` is run by an operator node by node "
        "(drain, upgrade, uncordon)"
    )
    t["spec.upgrades.strategy"] = unsupported(
        f"{manual}; neither surge nor blue-green is automated. Control-plane certificates live 365 days and "
        "are renewed by `kubeadm upgrade`; a cluster not upgraded within a year needs `kubeadm certs renew all` "
        "on every master (kubefleet renews only its own exported credentials)"
    )
    t["spec.upgrades.maxSurge"] = unsupported(manual)
    t["spec.upgrades.maxUnavailable"] = unsupported(manual)
    for key in ("day", "start", "hours"):
        t[f"spec.upgrades.maintenanceWindow.{key}"] = (
            unsupported(f"no automatic upgrades, so no window to schedule them in; {manual}")
            if body.upgrades.maintenance_window is not None
            else native("no window requested")
        )

    # ---- provider block ----
    t["spec.providers.kubeadm.vsphere.server"] = native(
        "explicit vsphere Provider for this vCenter (credentials from VSPHERE_USER / VSPHERE_PASSWORD)"
    )
    t["spec.providers.kubeadm.vsphere.datacenter"] = native("vsphere.get_datacenter")
    t["spec.providers.kubeadm.vsphere.cluster"] = native("vsphere.get_compute_cluster: its resource pool hosts the VMs")
    t["spec.providers.kubeadm.vsphere.datastore"] = native(
        "vsphere.get_datastore: VM disks. No vSphere CPI/CSI is installed (it needs vCenter credentials inside "
        "the cluster): PersistentVolumes need a CSI driver you add"
    )
    t["spec.providers.kubeadm.vsphere.network"] = native("vsphere.get_network: the VMs' port group")
    t["spec.providers.kubeadm.vsphere.template"] = native("vsphere.get_virtual_machine: every VM is cloned from it")
    t["spec.providers.kubeadm.vsphere.folder"] = native("VirtualMachine folder")
    t["spec.providers.kubeadm.controlPlaneVip"] = (
        emulated(f"not given: derived as the 10th address of nodeCidr, {vip}; announced by kube-vip (ARP)")
        if vip_is_derived(spec)
        else native(f"kube-vip static pod on every master announces {vip} (ARP, leader election)")
    )
    if static:
        t["spec.providers.kubeadm.controlPlaneAddresses"] = native(
            "static netplan addresses on the masters (guestinfo.metadata network), so etcd peers never move"
        )
    else:
        t["spec.providers.kubeadm.controlPlaneAddresses"] = emulated(
            "not given: masters take DHCP leases, which must be reserved (a changed address breaks etcd); "
            "give one address per master to make them static"
        )
    t["spec.providers.kubeadm.gateway"] = native("default route of masters with static addresses")
    t["spec.providers.kubeadm.nameservers"] = native("DNS servers of masters with static addresses")
    for key in ("vcpuHour", "gibHour", "diskGbMonth", "vmLicenseMonth"):
        t[f"spec.providers.kubeadm.costs.{key}"] = native("on-premises rate used by the cost model; creates nothing")
    return t
