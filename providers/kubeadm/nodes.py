"""Control-plane and worker VMs: ``vsphere.VirtualMachine`` clones of the template, bootstrapped by cloud-init.

Control-plane VMs are sized by :func:`kubefleet.providers.kubeadm.capi.control_plane_shape` (one rule for both
paths; its docstring has the table and the reasoning).

Workers: one VM per node at the pool's ``count`` or autoscaling ``min`` (vSphere has no cloud
autoscaler), sized from ``ctx.instance(pool)``, disk from ``pool.disk``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi
import pulumi_vsphere as vsphere

from kubefleet.naming import VSPHERE_VM, cloud_name
from kubefleet.providers.kubeadm import cloudinit
from kubefleet.providers.kubeadm.capi import control_plane_shape
from kubefleet.providers.kubeadm.cloudinit import Role
from kubefleet.providers.kubeadm.infra import Inventory
from kubefleet.providers.kubeadm.kubeadm_config import (
    JoinSecrets,
    control_plane_vip,
    init_documents,
    join_document,
)
from kubefleet.providers.kubeadm.pki import ClusterPki
from kubefleet.providers.kubeadm.secrets import ClusterSecrets
from kubefleet.resolve.model import InstanceChoice
from kubefleet.spec.model import ClusterSpec, NodePool

#: guestinfo key carrying the node network (informational; lets tooling and the offline render see it)
NODE_CIDR_KEY: Final = "guestinfo.kubefleet.node-cidr"
ROLE_KEY: Final = "guestinfo.kubefleet.role"


def control_plane_name(spec: ClusterSpec, index: int) -> str:
    return cloud_name(VSPHERE_VM, f"{spec.name}-cp{index}", spec.name, "control-plane", str(index))


def worker_name(spec: ClusterSpec, pool: NodePool, index: int) -> str:
    return cloud_name(VSPHERE_VM, f"{spec.name}-{pool.name}-{index}", spec.name, "pool", pool.name, str(index))


def node_names(spec: ClusterSpec) -> list[str]:
    """Every VM name the spec asks for (masters, then each pool's workers)."""
    names = [control_plane_name(spec, i) for i in range(spec.spec.control_plane.replicas)]
    for pool in spec.spec.node_pools:
        names += [worker_name(spec, pool, i) for i in range(pool.min_nodes)]
    return names


def _thin(pool: NodePool | None) -> tuple[bool, bool]:
    """(thin_provisioned, eagerly_scrub) for a disk class: ``ssd`` = eager-zeroed thick (no first-write
    penalty), ``balanced`` = lazy-zeroed thick, ``standard`` = thin. The medium itself is the datastore's."""
    kind = pool.disk.type if pool is not None else "balanced"
    if kind == "ssd":
        return False, True
    if kind == "balanced":
        return False, False
    return True, False


def _user_data(
    spec: ClusterSpec, hostname: str, role: Role, pool: NodePool | None, secrets: ClusterSecrets
) -> pulumi.Output[str]:
    """``role`` is the node's role once the cluster exists; the first master is ``init`` only on the run
    that creates the cluster (``secrets.first_run``, from state). A replacement of the first master later
    joins like every other master instead of running a second ``kubeadm init`` on the same VIP, which is
    what Cluster API does: only a control plane that is not yet initialised gets an init configuration
    (kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:
    bootstrap/kubeadm/reconcilers/kubeadmconfig/kubeadmconfig_controller.go:352-364)."""
    vip = control_plane_vip(spec)

    def build(values: list[Any]) -> str:
        token: str = values[0]
        pki: ClusterPki = values[1]
        first_run: bool = values[2]
        join = JoinSecrets(token=token, ca_cert_hash=pki.ca_cert_hash)
        actual: Role = "control-plane" if role == "init" and not first_run else role
        if pool is not None:  # a worker: the same text for every node of the pool but its hostname
            return cloudinit.b64(_joining_text(spec, hostname, actual, pool, join, vip))
        text = cloudinit.user_data(
            spec,
            hostname=hostname,
            role=actual,
            vip=vip,
            join_document=join_document(spec, hostname, join, pool),
            init_documents=init_documents(spec, hostname, join) if actual == "init" else (),
            pki=pki,
        )
        return cloudinit.b64(text)

    return pulumi.Output.secret(pulumi.Output.all(secrets.token, secrets.pki, secrets.first_run).apply(build))


#: The user data is read once, at first boot, and then redacted by cloud-init (cloudinit.py), so a change
#: to it can never reach a running VM: ignore it after creation instead of showing a diff forever.
#: Real changes go through a replacement, one node at a time (``pulumi up --replace <vm urn>``).
USER_DATA_IGNORED: Final = ('extraConfig["guestinfo.userdata"]', 'extraConfig["guestinfo.userdata.encoding"]')


def static_address(spec: ClusterSpec, index: int) -> cloudinit.StaticAddress | None:
    """The static address of master ``index`` from ``providers.kubeadm.controlPlaneAddresses``, if given."""
    opts = spec.spec.providers.kubeadm
    if opts is None or not opts.control_plane_addresses or opts.gateway is None:
        return None
    prefix = ipaddress.IPv4Network(spec.spec.network.node_cidr).prefixlen
    return cloudinit.StaticAddress(
        address=f"{opts.control_plane_addresses[index]}/{prefix}",
        gateway=opts.gateway,
        nameservers=tuple(opts.nameservers or [opts.gateway]),
    )


# Issue 14: a 10,000-node kubeadm spec took 195 s, most of it in ruamel's pure-Python emitter dumping two
# YAML documents per VM (~35 ms) that differ only in the hostname. The text of a joining node is therefore
# rendered once per (spec, role, pool, secrets, hostname length) with a placeholder hostname and the real
# hostname substituted. The substitution is exact: a hostname is a DNS label (no character the emitter
# quotes, escapes or folds at), the placeholder has the same length and alphabet, and the template is
# only used when two different placeholders give the same text once substituted (so the hostname
# occurs nowhere but where it is substituted). Anything else renders directly, as before.
_HOSTNAME = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")
_TEXTS: dict[tuple[str, str, str, JoinSecrets, str, int], tuple[str, str] | None] = {}


def _placeholders(length: int) -> tuple[str, str]:
    return ("q" + "x7" * length)[:length - 1] + "z", ("j" + "w3" * length)[:length - 1] + "k"


def _joining_text(spec: ClusterSpec, hostname: str, role: Role, pool: NodePool | None, join: JoinSecrets,
                  vip: str) -> str:
    def direct(name: str) -> str:
        return cloudinit.user_data(spec, hostname=name, role=role, vip=vip,
                                   join_document=join_document(spec, name, join, pool), init_documents=(), pki=None)

    if len(hostname) < 8 or not _HOSTNAME.fullmatch(hostname):
        return direct(hostname)
    key = (spec.model_dump_json(), role, pool.name if pool is not None else "", join, vip, len(hostname))
    if key not in _TEXTS:
        if len(_TEXTS) > 256:
            _TEXTS.clear()
        first, second = _placeholders(len(hostname))
        one, two = direct(first), direct(second)
        same = first not in two and second not in one and one.replace(first, "@") == two.replace(second, "@")
        _TEXTS[key] = (one, first) if same else None
    template = _TEXTS[key]
    if template is None or hostname in template[0]:
        return direct(hostname)
    return template[0].replace(template[1], hostname)


def _annotation(spec: ClusterSpec, role: str, labels: Mapping[str, str]) -> str:
    pairs = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return f"kubefleet cluster {spec.name} ({role}); labels: {pairs}"


def _vm(
    resource_name: str,
    *,
    spec: ClusterSpec,
    hostname: str,
    role: Role,
    pool: NodePool | None,
    vcpus: int,
    memory_gib: int,
    disk_gib: int,
    inv: Inventory,
    secrets: ClusterSecrets,
    tags: Sequence[vsphere.Tag],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
    static: cloudinit.StaticAddress | None = None,
) -> vsphere.VirtualMachine:
    thin, eager = _thin(pool)
    node_cidr = str(ipaddress.IPv4Network(spec.spec.network.node_cidr))
    return vsphere.VirtualMachine(
        resource_name,
        vsphere.VirtualMachineArgs(
            name=hostname,
            resource_pool_id=inv.resource_pool_id,
            datastore_id=inv.datastore_id,
            folder=inv.folder,
            num_cpus=vcpus,
            memory=memory_gib * 1024,
            guest_id=inv.template.guest_id,
            firmware=inv.template.firmware,
            scsi_type=inv.template.scsi_type,
            enable_disk_uuid=True,  # the vSphere CSI driver needs disk UUIDs
            network_interfaces=[
                vsphere.VirtualMachineNetworkInterfaceArgs(
                    network_id=inv.network_id,
                    adapter_type=inv.template.network_interface_types.apply(lambda t: t[0] if t else "vmxnet3"),
                )
            ],
            disks=[
                vsphere.VirtualMachineDiskArgs(
                    label="disk0", size=disk_gib, thin_provisioned=thin, eagerly_scrub=eager
                )
            ],
            clone=vsphere.VirtualMachineCloneArgs(template_uuid=inv.template.id),
            extra_config={
                "guestinfo.metadata": cloudinit.b64(cloudinit.metadata(hostname, static)),
                "guestinfo.metadata.encoding": "base64",
                "guestinfo.userdata": _user_data(spec, hostname, role, pool, secrets),
                "guestinfo.userdata.encoding": "base64",
                NODE_CIDR_KEY: node_cidr,
                ROLE_KEY: role,
            },
            # The provider power-cycles a VM on any extra_config change by default
            # (vmware/terraform-provider-vsphere@b45b5b4101a197e4272ae590aaa0c863dbad175a:
            # vsphere/virtual_machine_config_structure.go:357-361 default true, applied at :690); cloud-init
            # would not re-run anyway, so never reboot for it.
            extra_config_reboot_required=False,
            tags=[t.id for t in tags],
            annotation=_annotation(spec, role if pool is None else f"pool {pool.name}", labels),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, provider=inv.provider, depends_on=list(depends_on), ignore_changes=list(USER_DATA_IGNORED)
        ),
    )


def control_plane(
    spec: ClusterSpec,
    inv: Inventory,
    secrets: ClusterSecrets,
    tags: Sequence[vsphere.Tag],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
) -> list[vsphere.VirtualMachine]:
    """``replicas`` masters: the first runs ``kubeadm init`` on the run that creates the cluster, every other
    master (and the first one once the cluster exists) ``kubeadm join --control-plane`` with the shared CA
    material on disk. Each master's VM is created after the previous one's (``depends_on``); the joins
    themselves are only serialised by kubeadm's own retries, not awaited one by one."""
    shape = control_plane_shape(spec)
    vms: list[vsphere.VirtualMachine] = []
    for i in range(spec.spec.control_plane.replicas):
        hostname = control_plane_name(spec, i)
        vms.append(
            _vm(
                f"{spec.name}-cp-{i}",
                spec=spec,
                hostname=hostname,
                role="init" if i == 0 else "control-plane",
                pool=None,
                vcpus=shape.vcpus,
                memory_gib=shape.memory_gib,
                disk_gib=shape.disk_gib,
                inv=inv,
                secrets=secrets,
                tags=tags,
                labels=labels,
                parent=parent,
                depends_on=vms[-1:],
                static=static_address(spec, i),
            )
        )
    return vms


def workers(
    spec: ClusterSpec,
    pool: NodePool,
    choice: InstanceChoice,
    inv: Inventory,
    secrets: ClusterSecrets,
    tags: Sequence[vsphere.Tag],
    labels: Mapping[str, str],
    parent: pulumi.Resource,
    first_master: pulumi.Resource,
) -> list[vsphere.VirtualMachine]:
    """``pool.min_nodes`` workers of ``choice``'s shape, each joining through the VIP."""
    return [
        _vm(
            f"{spec.name}-{pool.name}-{i}",
            spec=spec,
            hostname=worker_name(spec, pool, i),
            role="worker",
            pool=pool,
            vcpus=choice.vcpus,
            memory_gib=choice.memory_gib,
            disk_gib=pool.disk.size_gib,
            inv=inv,
            secrets=secrets,
            tags=tags,
            labels=labels,
            parent=parent,
            depends_on=[first_master],
        )
        for i in range(pool.min_nodes)
    ]


def anti_affinity(
    spec: ClusterSpec, masters: Sequence[vsphere.VirtualMachine], inv: Inventory, parent: pulumi.Resource
) -> vsphere.ComputeClusterVmAntiAffinityRule:
    """DRS keeps the masters on different ESXi hosts when it can: the on-prem reading of a regional control
    plane. The rule is soft (``mandatory=False``): a mandatory rule "prevents any virtual machine operations
    that may violate this rule" (vmware/terraform-provider-vsphere@b45b5b4101a197e4272ae590aaa0c863dbad175a:
    vsphere/resource_vsphere_compute_cluster_vm_anti_affinity_rule.go:61-64), so it would block power-on on
    fewer hosts than masters and host maintenance on exactly as many. CAPV places masters with soft
    anti-affinity for the same reason (kubernetes-sigs/cluster-api-provider-vsphere@111a1ba9bc520513125324c90aa3a8b80321fc13:
    docs/proposal/20220907-node-affinity-and-anti-affinity.md:136-140)."""
    return vsphere.ComputeClusterVmAntiAffinityRule(
        f"{spec.name}-control-plane-anti-affinity",
        vsphere.ComputeClusterVmAntiAffinityRuleArgs(
            name=cloud_name(VSPHERE_VM, f"{spec.name}-control-plane", spec.name, "anti-affinity"),
            compute_cluster_id=inv.compute_cluster_id,
            virtual_machine_ids=[vm.id for vm in masters],
            enabled=True,
            mandatory=False,
        ),
        opts=pulumi.ResourceOptions(parent=parent, provider=inv.provider),
    )
