"""The existing vSphere inventory a cluster lands in (data sources), and the tags its VMs carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_vsphere as vsphere

from kubefleet.naming import VSPHERE_VM, cloud_name
from kubefleet.spec.model import ClusterSpec, Vsphere


def vsphere_options(spec: ClusterSpec) -> Vsphere:
    opts = spec.spec.providers.kubeadm
    return opts.vsphere if opts is not None else Vsphere()


@dataclass(frozen=True)
class Inventory:
    """Looked-up ids: where the VMs go and what they are cloned from."""

    provider: pulumi.ProviderResource | None
    datacenter_id: pulumi.Output[str]
    compute_cluster_id: pulumi.Output[str]
    resource_pool_id: pulumi.Output[str]
    datastore_id: pulumi.Output[str]
    network_id: pulumi.Output[str]
    template: pulumi.Output[vsphere.GetVirtualMachineResult]
    folder: str | None


def lookup(spec: ClusterSpec, parent: pulumi.Resource) -> Inventory:
    """``get_datacenter`` / ``get_compute_cluster`` / ``get_datastore`` / ``get_network`` /
    ``get_virtual_machine`` (the template) from ``spec.providers.kubeadm.vsphere``.

    With ``vsphere.server`` set, an explicit provider points at that vCenter (credentials still come from
    VSPHERE_USER / VSPHERE_PASSWORD, never from the spec); otherwise the default provider's config applies.
    """
    vs = vsphere_options(spec)
    provider: pulumi.ProviderResource | None = None
    if vs.server:
        provider = vsphere.Provider(
            f"{spec.name}-vsphere",
            vsphere.ProviderArgs(vsphere_server=vs.server),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    invoke = pulumi.InvokeOptions(parent=parent, provider=provider)
    dc = vsphere.get_datacenter_output(name=vs.datacenter, opts=invoke)
    cluster = vsphere.get_compute_cluster_output(name=vs.cluster, datacenter_id=dc.id, opts=invoke)
    datastore = vsphere.get_datastore_output(name=vs.datastore, datacenter_id=dc.id, opts=invoke)
    network = vsphere.get_network_output(name=vs.network, datacenter_id=dc.id, opts=invoke)
    template = vsphere.get_virtual_machine_output(name=vs.template, datacenter_id=dc.id, opts=invoke)
    return Inventory(
        provider=provider,
        datacenter_id=dc.id,
        compute_cluster_id=cluster.id,
        resource_pool_id=cluster.resource_pool_id,
        datastore_id=datastore.id,
        network_id=network.id,
        template=template,
        folder=vs.folder,
    )


def label_tags(
    spec: ClusterSpec, labels: Mapping[str, str], parent: pulumi.Resource, provider: pulumi.ProviderResource | None
) -> list[vsphere.Tag]:
    """vSphere's labels are tags in a category. One category per cluster (category names are global in
    vCenter, so a shared ``team`` category would collide between clusters) and one ``key=value`` tag per
    label, attached to every VM."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    category = vsphere.TagCategory(
        f"{spec.name}-labels",
        vsphere.TagCategoryArgs(
            name=cloud_name(VSPHERE_VM, f"kubefleet-{spec.name}", spec.name, "tag-category"),
            description=f"kubefleet labels of cluster {spec.name}",
            cardinality="MULTIPLE",
            associable_types=["VirtualMachine"],
        ),
        opts=opts,
    )
    tags = []
    for key, value in sorted(labels.items()):
        tags.append(
            vsphere.Tag(
                f"{spec.name}-tag-{key.replace('/', '-').replace('.', '-')}",
                vsphere.TagArgs(category_id=category.id, name=f"{key}={value}", description=f"label {key}"),
                opts=pulumi.ResourceOptions(parent=category, provider=provider),
            )
        )
    return tags
