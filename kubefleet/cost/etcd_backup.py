"""kubeadm clusters' etcd backup volume: one storage line.

The volume is the PersistentVolumeClaim kubefleet's etcd backup ClusterResourceSet delivers
(providers/kubeadm/etcd_backup.py): a vSphere CSI disk in a datastore, priced like the VMs' disks at the
on-prem storage rate ``disk_gb_month`` (catalog/data/kubeadm.yaml, overridden by
spec.providers.kubeadm.costs.diskGbMonth). The claim asks for GiB; the rate is per GB (10^9 bytes), so the
quantity is GiB x 1.073741824. Priced at the size asked for: vSphere may thin-provision the disk, and then the
datastore holds only what the snapshots use. Without a published rate the line is unpriced and says why;
never zero. Backups off: no claim is rendered and there is no line (a volume made while they were on stays in
the datastore and costs what it did - README says so).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from kubefleet.catalog.models import Price
from kubefleet.cost.model import CostComponent
from kubefleet.cost.pricer import PriceContext, Result, _missing, component, onprem_rates
from kubefleet.graph import RenderedResource
from kubefleet.providers.kubeadm import etcd_backup

CONFIG_MAP: Final = "kubernetes:core/v1:ConfigMap"
#: bytes in a GiB / bytes in a GB
GB_PER_GIB: Final = Decimal(1024**3) / Decimal(10**9)


def _storage_configmap(ctx: PriceContext) -> RenderedResource | None:
    want = f"{ctx.graph.cluster}-etcd-backup-storage"
    for res in ctx.graph.resources:
        if res.type == CONFIG_MAP and res.get("metadata.name") == want:
            return res
    return None


def _claim_gib(res: RenderedResource) -> Decimal | None:
    data = res.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("data"), str):
        return None
    for obj in etcd_backup.payload({"data": data}):
        if obj.get("kind") == "PersistentVolumeClaim":
            size = str(obj["spec"]["resources"]["requests"]["storage"])
            if size.endswith("Gi") and size[:-2].isdigit():
                return Decimal(size[:-2])
    return None


def etcd_backup_storage(ctx: PriceContext) -> Result:
    """The line for a kubeadm cluster whose rendered graph carries the backup claim (nothing otherwise)."""
    if ctx.provider != "kubeadm":
        return []
    res = _storage_configmap(ctx)
    if res is None:
        return []
    gib = _claim_gib(res)
    label = "etcd backup volume"
    if gib is None:
        return [_missing(res, f"{label} (the claim's size is not in GiB)")]
    rate = onprem_rates(ctx).get("disk_gb_month")
    if not isinstance(rate, Price):
        return [_missing(res, f"{label}: {gib} GiB (on-prem rate disk_gb_month; set "
                         "spec.providers.kubeadm.costs.diskGbMonth)", rate)]
    gb = gib * GB_PER_GIB
    note = (f"{gib} GiB = {gb.normalize():f} GB vSphere volume (PersistentVolumeClaim kube-system/"
            f"{etcd_backup.NAME}) at ${rate.amount}/GB-month, priced at the size asked for (a thin-provisioned "
            "disk holds only what the snapshots use); it outlives the cluster (reclaimPolicy Retain)")
    line: CostComponent = component(ctx, res, f"{label} ({gib} GiB)", "storage", rate, gb, note=note, estimate=True)
    return [line]
