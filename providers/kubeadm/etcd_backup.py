"""Scheduled etcd snapshots of a kubeadm (Cluster API) workload cluster, delivered by ClusterResourceSets.

Cluster API has no etcd backup: KCP replaces every control-plane machine on an upgrade or a certificate
rollout, and a snapshot on a master's own disk goes with it. kubefleet renders, for the workload cluster:

- a **StorageClass** for the vSphere CSI driver CAPV's template installs (provisioner
  ``csi.vsphere.vmware.com``; the template ships the driver but no StorageClass) with ``reclaimPolicy:
  Retain`` - the snapshots' volume outlives its claim - and no parameters, so the driver picks a datastore
  every node reaches;
- a **PersistentVolumeClaim** on it (ReadWriteOnce; the volume is a disk in a vSphere datastore, detached
  between runs, so it survives every master replacement);
- a **CronJob** in ``kube-system`` whose pod runs on a control-plane node (host network, the etcd client
  certificate kubeadm writes there) in two steps:

  1. init container ``snapshot``: kubeadm's own etcd image for the cluster's minor (catalog/data/
     etcd-images.yaml), ``etcdctl snapshot save`` against the local member. No shell: etcd's official image
     is distroless static (etcd@v3.6.5 Dockerfile:2, ``FROM gcr.io/distroless/static-debian12``), and only
     the tags Kubernetes built itself add one (kubernetes@v1.35.4 cluster/images/etcd/Dockerfile:27-32,
     bash-static as /bin/sh), so the argv is fixed and writes ``/backup/incoming.db`` (etcdctl writes
     ``incoming.db.part`` and renames it only when the snapshot is complete, removing the part file on
     failure: go.etcd.io/etcd/client/v3@v3.6.5 snapshot/v3_snapshot.go:65-70,118). Both kinds of image
     carry etcdctl (etcd Dockerfile:6; kubernetes Dockerfile:36 with Makefile:148); only etcd's carries
     etcdutl, so the Job does not use it;
  2. container ``rotate``: ``registry.k8s.io/build-image/debian-base:bookworm-v1.0.6``, the image Kubernetes'
     own volume recycler pod runs ``/bin/sh -c ... find ... ls`` in (kubernetes@v1.36.3
     pkg/volume/plugins.go:997-999); its shell is dash (bash is purged: kubernetes/release@ce7c7b75
     images/build/debian-base/bookworm/Dockerfile.build:54-55). ``templates/kubefleet-etcd-rotate.sh``
     names the snapshot ``etcd-<UTC timestamp>.db`` and deletes all but the newest ``keep``.

Delivery (no workload-cluster credential in kubefleet): the objects travel as ConfigMaps in the management
cluster through two ClusterResourceSets, following capi.py's CPI/CSI pattern:

- the CronJob's: strategy **Reconcile**, so a changed schedule, retention or image reaches the cluster.
  Cluster API re-applies a resource whose normalized hash changed, as a JSON merge patch from the live
  object (cluster-api@v1.13.6 internal/controllers/clusterresourceset/clusterresourceset_scope.go:112-151);
- the StorageClass and PVC: strategy **ApplyOnce** (created once, AlreadyExists ignored: scope.go:157-173).
  Not Reconcile: that merge patch would null the ``volumeName`` the PV controller set on the bound claim,
  which the API refuses (tests/test_kubeadm_etcd_backup.py shows it against the real apiserver), and a
  StorageClass's parameters are immutable. A later size change therefore does not reach the cluster.

Turning backups off suspends the CronJob (``suspend: true``) and keeps the volume and its snapshots; a
ClusterResourceSet's deletion never deletes what it applied (cluster-api@v1.13.6
internal/controllers/clusterresourceset/clusterresourceset_controller.go:220-258).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

from kubefleet.errors import RenderError
from kubefleet.spec.model import ClusterSpec, EtcdBackup

ADDONS_API: Final = "addons.cluster.x-k8s.io/v1beta2"
CLUSTER_NAME_LABEL: Final = "cluster.x-k8s.io/cluster-name"
WORKLOAD_NAMESPACE: Final = "kube-system"
NAME: Final = "kubefleet-etcd-backup"
STORAGE_CLASS: Final = "kubefleet-etcd-backup"
#: the provisioner name of the vSphere CSI driver in CAPV v1.16.1's template (its CSIDriver object)
CSI_PROVISIONER: Final = "csi.vsphere.vmware.com"
#: kubernetes@v1.36.3 pkg/volume/plugins.go:997 (the PV recycler pod's image)
ROTATE_IMAGE: Final = "registry.k8s.io/build-image/debian-base:bookworm-v1.0.6"
#: etcd's default backend quota, 2 GiB (go.etcd.io/etcd/server/v3@v3.6.5 storage/quota.go:30); kubeadm sets
#: no --quota-backend-bytes, so no snapshot of a kubeadm cluster's etcd is larger by default
ETCD_DEFAULT_QUOTA_GIB: Final = 2
BACKUP_DIR: Final = "/backup"
INCOMING: Final = f"{BACKUP_DIR}/incoming.db"
#: kubeadm's certificate paths (k8s.io/kubernetes@v1.36.3 cmd/kubeadm/app/constants/constants.go:38,53,83,112):
#: /etc/kubernetes + pki + etcd/ca.crt, etcd/healthcheck-client.{crt,key}. The healthcheck client certificate
#: is a client-auth certificate signed by the etcd CA (phases/certs/certlist.go:413-427), which is all the
#: etcd kubeadm runs asks of a client (--client-cert-auth with --trusted-ca-file: phases/etcd/local.go:257-258;
#: kubeadm enables no etcd auth).
PKI: Final = "/etc/kubernetes/pki/etcd"
CERTS: Final = {"etcd-ca": "ca.crt", "etcd-client-cert": "healthcheck-client.crt",
                "etcd-client-key": "healthcheck-client.key"}
#: kubeadm's etcd listens for clients on 127.0.0.1:2379 as well as the node address (phases/etcd/local.go:244,
#: 250; constants.go:95 EtcdListenClientPort); the pod shares the node's network
ENDPOINT: Final = "https://127.0.0.1:2379"
#: the label and NoSchedule taint kubeadm puts on control-plane nodes (constants.go:279, 481 at v1.36.3)
CONTROL_PLANE_LABEL: Final = "node-role.kubernetes.io/control-plane"
#: etcdctl's snapshot save has no timeout of its own unless --command-timeout is given
#: (go.etcd.io/etcd/etcdctl/v3@v3.6.5 ctlv3/command/snapshot_command.go:81-85): without it, a member that is
#: down or refuses the client certificate makes it wait forever (tests/test_kubeadm_etcd_backup.py saw it
#: hang against the real etcd). Five minutes moves even etcd's largest suggested database (8 GiB,
#: server/storage/quota.go:33) over loopback; the Job's deadline bounds the retries.
COMMAND_TIMEOUT: Final = "5m"
ACTIVE_DEADLINE_SECONDS: Final = 1800
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def options(spec: ClusterSpec) -> EtcdBackup:
    opts = spec.spec.providers.kubeadm
    return opts.etcd_backup if opts is not None else EtcdBackup()


def size_gib(spec: ClusterSpec) -> int:
    """The volume: ``sizeGiB``, else room for ``keep`` snapshots plus the one being written at etcd's default
    quota (a kubeadm etcd cannot grow past it without --quota-backend-bytes)."""
    opts = options(spec)
    return opts.size_gib if opts.size_gib is not None else (opts.keep + 1) * ETCD_DEFAULT_QUOTA_GIB


def rotate_script() -> str:
    return (_TEMPLATES / "kubefleet-etcd-rotate.sh").read_text()


def snapshot_argv() -> list[str]:
    """The snapshot container's whole command line (no shell runs it)."""
    return [
        "etcdctl",
        f"--endpoints={ENDPOINT}",
        f"--cacert={PKI}/{CERTS['etcd-ca']}",
        f"--cert={PKI}/{CERTS['etcd-client-cert']}",
        f"--key={PKI}/{CERTS['etcd-client-key']}",
        f"--command-timeout={COMMAND_TIMEOUT}",
        "snapshot",
        "save",
        INCOMING,
    ]


def rotate_argv(keep: int) -> list[str]:
    """The rotate container's command line: ``sh -c SCRIPT NAME DIR KEEP``."""
    return ["/bin/sh", "-c", rotate_script(), NAME, BACKUP_DIR, str(keep)]


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "kubefleet"}


def storage_objects(spec: ClusterSpec) -> list[dict[str, Any]]:
    """The StorageClass and the claim (workload-cluster objects)."""
    return [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS, "labels": _labels()},
            "provisioner": CSI_PROVISIONER,
            # no parameters and Immediate binding: no topology requirement reaches the driver, which then
            # places the volume on a datastore shared by every node (vsphere-csi-driver's vanilla controller
            # createBlockVolume: GetSharedDatastoresInK8SCluster when the request has no accessibility
            # requirements; read through code search, not at a pinned v3.3.1 commit). CAPV's template
            # configures no vSphere topology, and with a topology requirement that driver refuses to provision.
            "reclaimPolicy": "Retain",
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": NAME, "namespace": WORKLOAD_NAMESPACE, "labels": _labels()},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": STORAGE_CLASS,
                "resources": {"requests": {"storage": f"{size_gib(spec)}Gi"}},
            },
        },
    ]


def cronjob(spec: ClusterSpec, etcd_image: str) -> dict[str, Any]:
    """The backup CronJob (a workload-cluster object)."""
    opts = options(spec)
    hardened = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    backup_mount = {"name": "backup", "mountPath": BACKUP_DIR}
    cert_mounts = [{"name": vol, "mountPath": f"{PKI}/{file}", "readOnly": True} for vol, file in CERTS.items()]
    pod = {
        "metadata": {"labels": _labels()},
        "spec": {
            "restartPolicy": "Never",
            # etcd listens on the node's loopback; the certificate files are the node's
            "hostNetwork": True,
            "nodeSelector": {CONTROL_PLANE_LABEL: ""},
            "tolerations": [{"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"}],
            "priorityClassName": "system-cluster-critical",
            # the pod talks to etcd, never to the Kubernetes API
            "automountServiceAccountToken": False,
            # root: kubeadm writes the client key 0600 root:root; every capability is dropped
            "securityContext": {"runAsUser": 0, "runAsGroup": 0, "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [{
                "name": "snapshot",
                "image": etcd_image,
                "command": snapshot_argv(),
                "volumeMounts": [*cert_mounts, backup_mount],
                "securityContext": hardened,
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
            }],
            "containers": [{
                "name": "rotate",
                "image": ROTATE_IMAGE,
                "command": rotate_argv(opts.keep),
                "volumeMounts": [backup_mount],
                "securityContext": hardened,
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
            }],
            "volumes": [
                # one file each: the pod sees the CA certificate and the client pair, not the CA key
                *({"name": vol, "hostPath": {"path": f"{PKI}/{file}", "type": "File"}} for vol, file in CERTS.items()),
                {"name": "backup", "persistentVolumeClaim": {"claimName": NAME}},
            ],
        },
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "namespace": WORKLOAD_NAMESPACE, "labels": _labels()},
        "spec": {
            "schedule": opts.schedule,
            "timeZone": "Etc/UTC",
            "suspend": not opts.enabled,
            # one snapshot at a time (the volume is ReadWriteOnce), and a missed run is taken within the hour
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": _labels()},
                # a failed pod is retried as a new pod, which may land on another master
                "spec": {"backoffLimit": 3, "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS, "template": pod},
            },
        },
    }


def _yaml(objects: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    dumper = YAML(typ="safe", pure=True)
    dumper.default_flow_style = False
    dumper.width = 4096
    # plain copies: no YAML anchors for the dicts two containers share
    dumper.dump_all(json.loads(json.dumps(objects)), out)
    return out.getvalue()


def workload_objects(spec: ClusterSpec, etcd_image: str | None) -> list[dict[str, Any]]:
    """What reaches the workload cluster: storage (when backups were ever on) and the CronJob."""
    opts = options(spec)
    if etcd_image is None:
        raise RenderError(
            f"spec.kubernetes.version: kubefleet knows no kubeadm etcd image for Kubernetes "
            f"{spec.spec.kubernetes.version} (kubefleet/catalog/data/etcd-images.yaml), so it cannot render the "
            "etcd backup CronJob",
            hint="use a minor the catalog lists, or set spec.providers.kubeadm.etcdBackup.enabled: false",
        )
    return [*(storage_objects(spec) if opts.enabled else []), cronjob(spec, etcd_image)]


def management_objects(
    spec: ClusterSpec, etcd_image: str | None, meta: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ConfigMaps and ClusterResourceSets in the management cluster. ``meta(name)`` makes the metadata
    (capi.py's labels and namespace). With backups off and no image known, nothing is rendered."""
    opts = options(spec)
    if not opts.enabled and etcd_image is None:
        return []
    objects = workload_objects(spec, etcd_image)
    storage = [o for o in objects if o["kind"] != "CronJob"]
    job = [o for o in objects if o["kind"] == "CronJob"]
    out: list[dict[str, Any]] = []
    for suffix, strategy, payload in (("etcd-backup-storage", "ApplyOnce", storage),
                                      ("etcd-backup", "Reconcile", job)):
        if not payload:
            continue
        name = f"{spec.name}-{suffix}"
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": {"data": _yaml(payload)}})
        out.append({
            "apiVersion": ADDONS_API,
            "kind": "ClusterResourceSet",
            "metadata": meta(name),
            "spec": {
                "clusterSelector": {"matchLabels": {CLUSTER_NAME_LABEL: spec.name}},
                "resources": [{"kind": "ConfigMap", "name": name}],
                "strategy": strategy,
            },
        })
    return out


def payload(configmap: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The workload objects a ClusterResourceSet ConfigMap carries (what Cluster API applies)."""
    return [d for d in YAML(typ="safe", pure=True).load_all(configmap["data"]["data"]) if d]
