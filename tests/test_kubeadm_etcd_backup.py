"""kubeadm's etcd backups (providers/kubeadm/etcd_backup.py), checked by oracles we did not write:

- the real kube-apiserver of the Cluster API oracle (tests/capi_apiserver.py) takes every object: the
  management cluster's ConfigMaps and ClusterResourceSets, and - as workload-cluster objects - the StorageClass,
  PersistentVolumeClaim and CronJob those ConfigMaps carry (server-side dry run, strict fields); it also
  judges the two ClusterResourceSet strategies: Cluster API's Reconcile re-applies a changed resource as a JSON
  merge patch from the live object (cluster-api@v1.13.6 internal/controllers/clusterresourceset/
  clusterresourceset_scope.go:122-151), which the apiserver takes for the CronJob and refuses for a bound claim;
- Cluster API v1.13.6's own ClusterResourceSet controller (the core manager beside that apiserver) applies the
  rendered ConfigMaps to a workload cluster that is the apiserver itself, re-applies a new schedule and leaves
  the claim alone;
- a real etcd v3.6.5 (scripts/build-kube-apiserver.sh) with TLS client-certificate auth from openssl-made
  certificates, and the real etcdctl/etcdutl v3.6.5 (scripts/build-etcdctl.sh): the CronJob's exact argv
  takes a snapshot (paths mapped to a temporary directory, port to a free one), the rendered rotate script
  names it and keeps the newest N, `etcdutl snapshot status` reads it and `etcdutl snapshot restore` brings
  the data back in a new etcd (README's restore steps);
- shellcheck (and dash, the shell of the rotate image) over the script the CronJob carries;
- kubeadm's own SupportedEtcdVersion table in the k8s.io/kubernetes modules the Go module cache holds.

Without the binaries the oracle tests skip and say why; .ci/run builds them and sets
KUBEFLEET_REQUIRE_CAPI_ORACLE=1, which turns that skip into a failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kubefleet.catalog.etcd_images import etcd_images
from kubefleet.providers.kubeadm import capi, etcd_backup
from kubefleet.spec.loader import load_text
from kubefleet.spec.model import ClusterSpec, cron_problem
from tests.capi_apiserver import ApiServer, _free_port, binaries_dir
from tests.conftest import example_specs, resolved

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{team: infra, owner: kim, cost-center: cc-42, env: staging}}
spec:
  kubernetes: {{version: "{version}"}}
  region: europe-west
  controlPlane: {{availability: regional, replicas: 3}}
  nodePools:
    - name: general
      machine: {{vcpus: 4, memoryGiB: 16}}
      count: 2
  providers:
    kubeadm:
      vsphere: {{server: vc.example.com, datacenter: dc1, cluster: c1, datastore: ds1, network: pg}}
{extra}"""


def _spec(name: str, version: str = "1.35", extra: str = "") -> ClusterSpec:
    return load_text(SPEC.format(name=name, version=version, extra=extra), f"{name}.yaml")[0].spec


def _management(spec: ClusterSpec) -> list[dict[str, Any]]:
    inputs = capi.inputs_for(resolved(spec, "kubeadm"), server="vcenter.example.com", thumbprint="AA:BB")
    return [o for o in capi.render(inputs) if "etcd-backup" in o["metadata"]["name"]]


def _workload(spec: ClusterSpec) -> list[dict[str, Any]]:
    return [w for o in _management(spec) if o["kind"] == "ConfigMap" for w in etcd_backup.payload(o)]


def _cronjob(spec: ClusterSpec) -> dict[str, Any]:
    (job,) = [o for o in _workload(spec) if o["kind"] == "CronJob"]
    return job


def _pod(job: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def _specs() -> list[tuple[str, ClusterSpec]]:
    out = [(f"example:{ls.spec.name}", ls.spec) for ls in example_specs()]
    out += [
        ("off", _spec("etcdbk-off", extra="      etcdBackup: {enabled: false}\n")),
        ("custom", _spec("etcdbk-custom", "1.31", "      etcdBackup: {schedule: '15 2 * * MON-FRI', keep: 3, sizeGiB: 5}\n")),
        ("1.34", _spec("etcdbk-134", "1.34")),
    ]
    return out


# ---- what is rendered (our own decisions, stated) ----


def test_on_by_default_with_safe_defaults() -> None:
    spec = _spec("etcdbk-defaults")
    kinds = [(o["kind"], o["metadata"]["name"], o.get("spec", {}).get("strategy")) for o in _management(spec)]
    assert kinds == [
        ("ConfigMap", "etcdbk-defaults-etcd-backup-storage", None),
        ("ClusterResourceSet", "etcdbk-defaults-etcd-backup-storage", "ApplyOnce"),
        ("ConfigMap", "etcdbk-defaults-etcd-backup", None),
        ("ClusterResourceSet", "etcdbk-defaults-etcd-backup", "Reconcile"),
    ]
    job = _cronjob(spec)
    assert job["spec"]["suspend"] is False and job["spec"]["schedule"] == "0 */6 * * *"
    assert job["spec"]["timeZone"] == "Etc/UTC" and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = _pod(job)
    assert pod["initContainers"][0]["image"] == "registry.k8s.io/etcd:3.6.6-0"  # kubeadm 1.35's
    assert pod["containers"][0]["command"][-1] == "12"
    (claim,) = [o for o in _workload(spec) if o["kind"] == "PersistentVolumeClaim"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "26Gi"  # (12 + 1) x 2 GiB
    assert all(":latest" not in c["image"] for c in pod["initContainers"] + pod["containers"])


def test_off_suspends_and_renders_no_new_volume() -> None:
    spec = dict(_specs())["off"]
    assert [o["kind"] for o in _workload(spec)] == ["CronJob"]
    assert _cronjob(spec)["spec"]["suspend"] is True


def test_the_etcd_image_follows_the_clusters_minor() -> None:
    assert _pod(_cronjob(_spec("etcdbk-131", "1.31")))["initContainers"][0]["image"] == "registry.k8s.io/etcd:3.5.24-0"
    assert _pod(_cronjob(_spec("etcdbk-134", "1.34")))["initContainers"][0]["image"] == "registry.k8s.io/etcd:3.6.5-0"


def test_the_pod_sees_only_the_client_certificate_and_the_ca_certificate() -> None:
    pod = _pod(_cronjob(_spec("etcdbk-certs")))
    host = sorted(v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v)
    assert host == ["/etc/kubernetes/pki/etcd/ca.crt", "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
                    "/etc/kubernetes/pki/etcd/healthcheck-client.key"]
    assert pod["automountServiceAccountToken"] is False and pod["hostNetwork"] is True
    for container in pod["initContainers"] + pod["containers"]:
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert all(m.get("readOnly") for m in container["volumeMounts"] if m["name"] != "backup")


def test_a_minor_without_a_known_etcd_image_is_refused_unless_backups_are_off() -> None:
    from kubefleet.errors import RenderError

    spec = _spec("etcdbk-unknown")
    with pytest.raises(RenderError, match="no kubeadm etcd image"):
        etcd_backup.management_objects(spec, None, lambda n: {"name": n})
    off = _spec("etcdbk-unknown-off", extra="      etcdBackup: {enabled: false}\n")
    assert etcd_backup.management_objects(off, None, lambda n: {"name": n}) == []


# ---- the oracle: a real kube-apiserver takes every object, in both clusters ----


def _ensure_namespace(api: ApiServer, name: str) -> None:
    made = api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert made.ok or made.status == 409, made.message


@pytest.mark.parametrize(("label", "spec"), _specs(), ids=[k for k, _ in _specs()])
def test_management_and_workload_objects_pass_the_apiserver(apiserver: ApiServer, label: str, spec: ClusterSpec) -> None:
    refused = []
    _ensure_namespace(apiserver, capi.namespace(spec))
    for obj in _management(spec):
        result = apiserver.dry_run(obj)
        if not result.ok:
            refused.append(f"management {obj['kind']} {obj['metadata']['name']}: {result.message}")
        if obj["kind"] != "ConfigMap":
            continue
        # what Cluster API will create in the workload cluster: the ConfigMap's own payload
        for inner in etcd_backup.payload(obj):
            result = apiserver.dry_run(inner)
            if not result.ok:
                refused.append(f"workload {inner['kind']} {inner['metadata']['name']}: {result.message}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (("spec", "schedule"), "61 * * * *", "schedule"),
        (("spec", "timeZone"), "Mars/Olympus_Mons", "timeZone"),
        (("spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath", "type"), "Socketish",
         "Unsupported value"),
        (("spec", "jobTemplate", "spec", "template", "spec", "restartPolicy"), "Always", "restartPolicy"),
    ],
)
def test_the_apiserver_refuses_a_broken_cronjob(apiserver: ApiServer, path: tuple[Any, ...], value: Any,
                                                why: str) -> None:
    """Non-vacuity: the dry run above judges the CronJob's content, not just its shape."""
    job = copy.deepcopy(_cronjob(_spec("etcdbk-broken")))
    target: Any = job
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    result = apiserver.dry_run(job)
    assert not result.ok, f"{'.'.join(map(str, path))}={value!r} was accepted"
    assert why in result.message, result.message


SCHEDULES = ["0 */6 * * *", "@daily", "@hourly", "15 2 * * MON-FRI", "0 0 1 JAN,JUL *", "*/5 * * * *",
             "5/15 * * * *", "0 12 * * 0", "61 * * * *", "* * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *",
             "0 0 * * 7", "*/0 * * * *", "5-1 * * * *", "0 0 * * FOO", "@fortnightly", "x * * * *"]


def test_the_spec_accepts_exactly_the_schedules_a_cronjob_takes(apiserver: ApiServer) -> None:
    """Our validation (spec.model.cron_problem) against the CronJob API's own (robfig/cron's standard parser,
    k8s.io/kubernetes@v1.35.4 pkg/apis/batch/validation/validation.go:833-838): a schedule we let through
    must be one the API takes, else `up` would fail after `validate` passed."""
    disagree = []
    for schedule in SCHEDULES:
        job = copy.deepcopy(_cronjob(_spec("etcdbk-cron")))
        job["spec"]["schedule"] = schedule
        api_ok = apiserver.dry_run(job).ok
        ours_ok = cron_problem(schedule) is None
        if api_ok != ours_ok:
            disagree.append(f"{schedule!r}: apiserver {'takes' if api_ok else 'refuses'} it, the spec "
                            f"{'takes' if ours_ok else 'refuses'} it")
    assert not disagree, "\n".join(disagree)
    assert sum(cron_problem(s) is None for s in SCHEDULES) >= 8  # both verdicts are exercised


def _merge_patch(old: Any, new: Any) -> Any:
    """RFC 7386 merge patch from ``old`` to ``new`` - what controller-runtime's client.MergeFrom(old) sends for
    ``new`` (a field missing from ``new`` becomes null)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    patch: dict[str, Any] = {}
    for key in old.keys() | new.keys():
        if key not in new:
            patch[key] = None
        elif key not in old:
            patch[key] = new[key]
        elif old[key] != new[key]:
            patch[key] = _merge_patch(old[key], new[key]) if isinstance(old[key], dict) else new[key]
    return patch


def _reconcile(api: ApiServer, obj: dict[str, Any]) -> Any:
    """What Cluster API's ClusterResourceSet Reconcile strategy does with an object that exists already
    (clusterresourceset_scope.go:122-151): GET the live object, set our object's resourceVersion to its,
    PATCH with the merge patch from live to ours."""
    path = f"{api.path_for(obj)}/{obj['metadata']['name']}"
    live = api.request("GET", path).body
    ours = copy.deepcopy(obj)
    ours["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return api.merge_patch(path, _merge_patch(live, ours))


def _into(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = namespace
    return obj


def test_reconcile_delivers_a_changed_schedule_and_retention(apiserver: ApiServer) -> None:
    ns = "kubefleet-etcdbk-reconcile"
    _ensure_namespace(apiserver, ns)
    before = _into(_cronjob(_spec("etcdbk-rec")), ns)
    made = apiserver.create(before)
    assert made.ok, made.message
    after = _into(_cronjob(_spec("etcdbk-rec", extra="      etcdBackup: {schedule: '30 1 * * *', keep: 4}\n")), ns)
    result = _reconcile(apiserver, after)
    assert result.ok, result.message
    live = apiserver.request("GET", f"{apiserver.path_for(after)}/{etcd_backup.NAME}").body
    assert live["spec"]["schedule"] == "30 1 * * *"
    assert _pod(live)["containers"][0]["command"][-1] == "4"


def test_reconcile_would_break_the_bound_claim_so_storage_is_applied_once(apiserver: ApiServer) -> None:
    """Why the StorageClass and claim go through an ApplyOnce ClusterResourceSet: once the PV controller has
    bound the claim (spec.volumeName), Reconcile's merge patch from our object - which has no volumeName -
    would clear it, and the apiserver refuses that (a claim's spec is immutable but for its size)."""
    ns = "kubefleet-etcdbk-applyonce"
    _ensure_namespace(apiserver, ns)
    claim = _into(next(o for o in _workload(_spec("etcdbk-claim")) if o["kind"] == "PersistentVolumeClaim"), ns)
    made = apiserver.create(claim)
    assert made.ok, made.message
    bound = made.body
    bound["spec"]["volumeName"] = "pvc-0b5e-vsphere"  # what the PV controller writes when it binds
    path = f"{apiserver.path_for(claim)}/{etcd_backup.NAME}"
    put = apiserver.request("PUT", path, bound)
    assert put.ok, put.message
    result = _reconcile(apiserver, claim)
    assert result.status == 422, result.message
    assert "immutable" in result.message


# ---- the oracle: the Job's exact argv against a real etcd with TLS, etcdutl on what it wrote ----


def _etcd_tools() -> tuple[Path, Path]:
    """(etcd's dir, etcdctl/etcdutl's dir), or skip/fail with the reason."""
    bins = binaries_dir()
    env = os.environ.get("KUBEFLEET_TEST_ETCDCTL_DIR")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubefleet"
    ctl = Path(env) if env else cache / f"etcdctl-{etcd_backup_etcd_version()}" / "bin"
    missing = []
    if bins is None or not (bins / "etcd").is_file():
        missing.append("etcd (scripts/build-kube-apiserver.sh)")
    if not (ctl / "etcdctl").is_file() or not (ctl / "etcdutl").is_file():
        missing.append("etcdctl/etcdutl (scripts/build-etcdctl.sh)")
    if missing:
        reason = f"not built: {', '.join(missing)}; the etcd snapshot was not taken for real"
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert bins is not None
    return bins, ctl


def etcd_backup_etcd_version() -> str:
    from tests.capi_apiserver import ETCD_VERSION

    return ETCD_VERSION


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _kubeadm_like_pki(pki: Path) -> None:
    """etcd/ca.{crt,key}, a server certificate for 127.0.0.1 and the client pair under kubeadm's names,
    made with openssl (an etcd CA and a clientAuth leaf, as kubeadm's certlist.go:413-427 describes)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    pki.mkdir(parents=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=etcd-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)
    for name, cn, ext in (("server", "etcd-server", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1"),
                          ("healthcheck-client", "kube-etcd-healthcheck-client", "extendedKeyUsage=clientAuth")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", cwd=pki)
        (pki / f"{name}.ext").write_text(ext + "\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=pki)
        (pki / f"{name}.key").chmod(0o600)


class Etcd:
    def __init__(self, bins: Path, work: Path, *, pki: Path | None, data: Path | None = None,
                 name: str = "default", peer: int | None = None) -> None:
        self.client, self.peer = _free_port(), peer or _free_port()
        scheme = "https" if pki else "http"
        self.url = f"{scheme}://127.0.0.1:{self.client}"
        self.log = work / f"etcd-{self.client}.log"
        args = [str(bins / "etcd"), "--name", name, "--data-dir", str(data or work / f"etcd-{self.client}"),
                "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                "--listen-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-cluster", f"{name}=http://127.0.0.1:{self.peer}",
                "--unsafe-no-fsync", "--log-level", "warn"]
        if pki:
            # kubeadm's etcd flags for client TLS (cmd/kubeadm/app/phases/etcd/local.go:251-258 at v1.36.3)
            args += ["--cert-file", str(pki / "server.crt"), "--key-file", str(pki / "server.key"),
                     "--client-cert-auth=true", "--trusted-ca-file", str(pki / "ca.crt")]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def tls_etcd(tmp_path: Path) -> Iterator[tuple[Etcd, Path, Path]]:
    bins, ctl = _etcd_tools()
    pki = tmp_path / "pki" / "etcd"
    _kubeadm_like_pki(pki)
    etcd = Etcd(bins, tmp_path, pki=pki)
    try:
        yield etcd, pki, ctl
    finally:
        etcd.stop()


def _ctl(ctl: Path, etcd: Etcd, pki: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    tls = [f"--cacert={pki}/ca.crt", f"--cert={pki}/healthcheck-client.crt", f"--key={pki}/healthcheck-client.key"]
    done = subprocess.run([str(ctl / "etcdctl"), f"--endpoints={etcd.url}", *tls, *args],
                          capture_output=True, text=True, check=False, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr + etcd.log.read_text(errors="replace")[-2000:]
    return done


def _wait_healthy(ctl: Path, etcd: Etcd, pki: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if etcd.proc.poll() is not None:
            pytest.fail("etcd exited:\n" + etcd.log.read_text(errors="replace")[-3000:])
        if _ctl(ctl, etcd, pki, "endpoint", "health", check=False).returncode == 0:
            return
        time.sleep(0.3)
    pytest.fail("etcd never became healthy:\n" + etcd.log.read_text(errors="replace")[-3000:])


def _mapped(argv: list[str], *, ctl: Path, pki: Path, backup: Path, port: int, timeout: str | None = None) -> list[str]:
    """The rendered argv with only the node's paths, the binary's location and the port replaced (and, for the
    tests that wait for a failure, the command timeout shortened)."""
    rendered_timeout = f"--command-timeout={etcd_backup.COMMAND_TIMEOUT}"
    assert rendered_timeout in argv
    new_timeout = f"--command-timeout={timeout}" if timeout else rendered_timeout
    out = [str(ctl / argv[0])] + [
        new_timeout if a == rendered_timeout else
        a.replace(etcd_backup.PKI, str(pki)).replace(etcd_backup.BACKUP_DIR + "/", f"{backup}/")
        .replace("127.0.0.1:2379", f"127.0.0.1:{port}")
        for a in argv[1:]
    ]
    # nothing else differs from what the CronJob runs
    back = [etcd_backup.snapshot_argv()[0]] + [
        rendered_timeout if a == new_timeout else
        a.replace(str(pki), etcd_backup.PKI).replace(f"{backup}/", etcd_backup.BACKUP_DIR + "/")
        .replace(f"127.0.0.1:{port}", "127.0.0.1:2379") for a in out[1:]
    ]
    assert back == argv
    return out


def _rendered_argvs(keep: int = 12) -> tuple[list[str], list[str]]:
    pod = _pod(_cronjob(_spec("etcdbk-run", extra=f"      etcdBackup: {{keep: {keep}}}\n")))
    return pod["initContainers"][0]["command"], pod["containers"][0]["command"]


def _rotate(argv: list[str], backup: Path) -> subprocess.CompletedProcess[str]:
    """The rotate container's argv with /backup mapped, under dash (/bin/sh of debian-base, and of this
    machine: the test checks)."""
    sh = shutil.which("dash")
    if sh is None:
        pytest.skip("dash is not installed (debian-base's /bin/sh)")
    mapped = [sh, *[str(backup) if a == etcd_backup.BACKUP_DIR else a for a in argv[1:]]]
    return subprocess.run(mapped, capture_output=True, text=True, check=False, timeout=60)


def test_the_cronjobs_argv_snapshots_a_real_tls_etcd(tls_etcd: tuple[Etcd, Path, Path], tmp_path: Path) -> None:
    etcd, pki, ctl = tls_etcd
    _wait_healthy(ctl, etcd, pki)
    for i in range(50):
        _ctl(ctl, etcd, pki, "put", f"/registry/configmaps/default/cm-{i}", f"value-{i}")
    backup = tmp_path / "backup"
    backup.mkdir()
    snapshot, rotate = _rendered_argvs(keep=12)
    done = subprocess.run(_mapped(snapshot, ctl=ctl, pki=pki, backup=backup, port=etcd.client),
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in backup.iterdir()) == ["incoming.db"]  # no .part left behind
    rotated = _rotate(rotate, backup)
    assert rotated.returncode == 0, rotated.stderr
    (snap,) = backup.iterdir()
    assert re.fullmatch(r"etcd-\d{8}T\d{6}Z\.db", snap.name), snap.name
    status = subprocess.run([str(ctl / "etcdutl"), "snapshot", "status", str(snap), "-w", "json"],
                            capture_output=True, text=True, check=False, timeout=60)
    assert status.returncode == 0, status.stderr
    facts = json.loads(status.stdout)
    assert facts["totalKey"] >= 50 and facts["revision"] >= 50, facts

    # README's restore: etcdutl snapshot restore into a new data dir, a new etcd on it has the data
    bins, _ = _etcd_tools()
    restored, peer = tmp_path / "restored", _free_port()
    done = subprocess.run([str(ctl / "etcdutl"), "snapshot", "restore", str(snap), "--data-dir", str(restored),
                           "--name", "restored", "--initial-cluster", f"restored=http://127.0.0.1:{peer}",
                           "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    again = Etcd(bins, tmp_path, pki=None, data=restored, name="restored", peer=peer)
    try:
        got = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and again.proc.poll() is None:
            read = subprocess.run([str(ctl / "etcdctl"), f"--endpoints={again.url}", "get",
                                   "/registry/configmaps/default/cm-49", "--print-value-only"],
                                  capture_output=True, text=True, check=False, timeout=30)
            if read.returncode == 0 and read.stdout.strip():
                got = read.stdout.strip()
                break
            time.sleep(0.3)
        assert got == "value-49", again.log.read_text(errors="replace")[-2000:]
    finally:
        again.stop()


def test_without_the_client_certificate_etcd_refuses_the_snapshot(tls_etcd: tuple[Etcd, Path, Path],
                                                                     tmp_path: Path) -> None:
    """Non-vacuity: the TLS flags in the argv matter (kubeadm's etcd demands a client certificate)."""
    etcd, pki, ctl = tls_etcd
    _wait_healthy(ctl, etcd, pki)
    snapshot, _ = _rendered_argvs()
    argv = [a for a in _mapped(snapshot, ctl=ctl, pki=pki, backup=tmp_path, port=etcd.client, timeout="5s")
            if not a.startswith(("--cert=", "--key="))]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode != 0
    # the handshake is what fails (etcd asks for a client certificate), not the connection
    assert "certificate" in etcd.log.read_text(errors="replace") + done.stderr
    assert not list(tmp_path.glob("incoming.db*"))


def test_retention_keeps_the_newest_n_and_a_failed_snapshot_deletes_nothing(tls_etcd: tuple[Etcd, Path, Path],
                                                                              tmp_path: Path) -> None:
    etcd, pki, ctl = tls_etcd
    _wait_healthy(ctl, etcd, pki)
    _ctl(ctl, etcd, pki, "put", "k", "v")
    backup = tmp_path / "backup"
    backup.mkdir()
    snapshot, rotate = _rendered_argvs(keep=3)
    argv = _mapped(snapshot, ctl=ctl, pki=pki, backup=backup, port=etcd.client)
    assert subprocess.run(argv, capture_output=True, check=False, timeout=120).returncode == 0
    older = ["etcd-20260101T000000Z.db", "etcd-20260102T000000Z.db", "etcd-20260103T000000Z.db",
             "etcd-20260104T000000Z.db"]
    for name in older:
        shutil.copy(backup / "incoming.db", backup / name)
    rotated = _rotate(rotate, backup)
    assert rotated.returncode == 0, rotated.stderr
    kept = sorted(p.name for p in backup.iterdir())
    assert len(kept) == 3 and kept[:2] == older[2:] and kept[2] > older[-1], kept
    assert "removed" in rotated.stdout

    # the snapshot fails (etcd is gone): etcdctl exits non-zero and leaves nothing; were the rotate step to
    # run anyway, it finds no snapshot, fails, and deletes nothing
    etcd.stop()
    short = _mapped(snapshot, ctl=ctl, pki=pki, backup=backup, port=etcd.client, timeout="5s")
    failed = subprocess.run(short, capture_output=True, text=True, check=False, timeout=120)
    assert failed.returncode != 0
    assert not list(backup.glob("incoming.db*"))
    again = _rotate(rotate, backup)
    assert again.returncode == 1 and "no snapshot" in again.stderr
    assert sorted(p.name for p in backup.iterdir()) == kept


# ---- shellcheck and dash over the script the CronJob carries ----


def test_the_rendered_rotate_script_passes_shellcheck_as_dash(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    _, rotate = _rendered_argvs()
    assert rotate[:2] == ["/bin/sh", "-c"]
    script = tmp_path / "rotate.sh"
    script.write_text(rotate[2])
    done = subprocess.run(["shellcheck", "--shell=dash", "--severity=style", str(script)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    if shutil.which("dash"):
        assert subprocess.run(["dash", "-n", str(script)], check=False).returncode == 0
        bad = subprocess.run(["dash", "-c", rotate[2], "x", str(tmp_path), "zero"], capture_output=True, text=True,
                             check=False)
        assert bad.returncode == 2 and "KEEP" in bad.stderr


# ---- the catalog's tags are kubeadm's own ----


def _gomodcache() -> Path | None:
    try:
        done = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=False, timeout=10)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    fallback = Path.home() / "go" / "pkg" / "mod"
    return fallback if fallback.is_dir() else None


def _kubeadm_table(constants: str) -> dict[int, str]:
    """SupportedEtcdVersion from kubeadm's constants.go: literal minors, or getSkewedKubernetesVersion(n)
    relative to the file's own minor (v1.35 writes it that way)."""
    body = re.search(r"SupportedEtcdVersion = map\[uint8\]string\{(.*?)\n\t\}", constants, re.S)
    assert body is not None
    return {int(k): v for k, v in re.findall(r"^\s*(\d+): \"([^\"]+)\"", body.group(1), re.M)} | {
        -int(n) if n else 0: v
        for n, v in re.findall(r"getSkewedKubernetesVersion\((?:-(\d+)|0)\)\.Minor\(\)\):\s*\"([^\"]+)\"", body.group(1))
    }


def test_catalog_tags_are_kubeadms_supported_etcd_versions() -> None:
    """Each catalog row against kubeadm's table in the k8s.io/kubernetes module of that patch, for every
    module the Go module cache holds (scripts/build-kube-apiserver.sh downloads v1.35.4; the others were
    read when the table was written: catalog/data/etcd-images.yaml cites file and line)."""
    cache = _gomodcache()
    checked = []
    for minor, row in etcd_images().items():
        path = (cache / "k8s.io" / f"kubernetes@v{row.kubernetes}" / "cmd" / "kubeadm" / "app" / "constants"
                / "constants.go") if cache else None
        if path is None or not path.is_file():
            continue
        table = _kubeadm_table(path.read_text())
        own = int(minor.split(".")[1])
        tag = table.get(own, table.get(0))
        assert tag == row.tag, f"{minor}: kubeadm v{row.kubernetes} says {tag}, the catalog {row.tag}"
        assert row.source.url.endswith(f"/v{row.kubernetes}.zip")
        checked.append(minor)
    if not checked:
        reason = "no k8s.io/kubernetes module in the Go module cache (scripts/build-kube-apiserver.sh downloads one)"
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def test_catalog_covers_every_minor_cluster_api_manages() -> None:
    from kubefleet.resolve.versions import kubeadm_patches

    patches = kubeadm_patches()
    assert set(etcd_images()) == set(patches)
    for minor, row in etcd_images().items():
        assert row.kubernetes == patches[minor], f"{minor}: read from {row.kubernetes}, the catalog's patch is {patches[minor]}"


# ---- cost: the operator's own storage rate ----


def _backup_line(spec: ClusterSpec) -> Any:
    """The spec rendered and priced for real (the adapter's program, then the pricer)."""
    from datetime import date

    from kubefleet.catalog import load_catalog
    from kubefleet.cost.pricer import price_graph
    from kubefleet.render.cache import cached_render
    from kubefleet.resolve.cluster import resolve

    catalog = load_catalog()
    breakdown = price_graph(cached_render(resolve(spec, "kubeadm", catalog=catalog)), catalog,
                            as_of=date(2026, 12, 6))
    return next(c for c in breakdown.components if c.name.startswith("etcd backup volume"))


def test_the_volume_is_priced_at_the_on_prem_disk_rate() -> None:
    from kubefleet.cost.etcd_backup import GB_PER_GIB

    spec = _spec("etcdbk-cost", extra="      costs: {diskGbMonth: '0.10'}\n      etcdBackup: {sizeGiB: 10}\n")
    line = _backup_line(spec)
    assert line.unit_price == Decimal("0.10") and line.quantity == 10 * GB_PER_GIB
    assert line.category == "storage" and "Retain" in (line.note or "")
    default = _backup_line(_spec("etcdbk-cost-default"))
    assert default.unit_price == Decimal("0.04") and default.quantity == 26 * GB_PER_GIB  # the catalog's rate
    with pytest.raises(StopIteration):  # off: no claim is rendered, so there is no line
        _backup_line(_spec("etcdbk-cost-off", extra="      etcdBackup: {enabled: false}\n"))


# ---- the upgrade planner says where the snapshots are before Cluster API rolls the masters ----


def test_the_upgrade_plan_names_the_backup_before_a_minor_upgrade() -> None:
    from datetime import date

    from kubefleet.catalog import load_catalog
    from kubefleet.lifecycle.upgrade import ETCD_BACKUP_CRONJOB, plan_cluster

    assert ETCD_BACKUP_CRONJOB == etcd_backup.NAME  # the lifecycle layer may not import the provider
    on = _spec("etcdbk-upgrade", "1.33", "      etcdBackup: {schedule: '30 1 * * *'}\n")
    plan = plan_cluster(on, "kubeadm", target="1.35", as_of=date(2026, 12, 6), catalog=load_catalog())
    assert plan.steps
    (note,) = [n for n in plan.notes if n.startswith("etcd:")]
    assert "'30 1 * * *'" in note and f"--from=cronjob/{etcd_backup.NAME}" in note
    off = _spec("etcdbk-upgrade-off", "1.33", "      etcdBackup: {enabled: false}\n")
    plan = plan_cluster(off, "kubeadm", target="1.35", as_of=date(2026, 12, 6), catalog=load_catalog())
    (note,) = [n for n in plan.notes if n.startswith("etcd:")]
    assert "backups are off" in note
    same = plan_cluster(_spec("etcdbk-upgrade-none"), "kubeadm", target="1.35", as_of=date(2026, 12, 6),
                        catalog=load_catalog())
    assert not same.steps and not [n for n in same.notes if n.startswith("etcd:")]


# ---- the oracle: Cluster API's own ClusterResourceSet controller delivers them ----


def _wait_for(what: str, check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(1)
    pytest.fail(f"Cluster API's ClusterResourceSet controller did not {what} within {timeout:.0f} s")


def test_cluster_apis_crs_controller_applies_them_and_reconciles_a_new_schedule(apiserver: ApiServer) -> None:
    """Cluster API v1.13.6's core manager (running beside the oracle apiserver) delivers the rendered ConfigMaps
    to a "workload cluster" that is the oracle apiserver itself: a Cluster without infrastructure (the cluster
    controller marks it provisioned: internal/controllers/cluster/cluster_controller_phases.go:146-150), whose
    ``<name>-kubeconfig`` Secret points back at the apiserver, so the ClusterCache connects
    (controllers/clustercache/cluster_cache.go:495). What it applies is the rendered payload with the namespace
    and the object names changed (the apiserver is shared with the dry runs above, and a dry run of an object
    that exists answers 409). Then a new schedule and retention reach the CronJob (Reconcile), and a new size
    does not reach the claim (ApplyOnce)."""
    import base64

    if not apiserver.webhooks:
        reason = "Cluster API managers not built (scripts/build-capi-managers.sh): the ClusterResourceSet controller did not run"
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    name, workload_ns = "etcdbk-crs", "etcdbk-crs-workload"
    spec = _spec(name)
    ns = capi.namespace(spec)
    for n in (ns, workload_ns):
        _ensure_namespace(apiserver, n)
    cluster = {"apiVersion": capi.CLUSTER_API, "kind": "Cluster",
               "metadata": {"name": name, "namespace": ns, "labels": {capi.CLUSTER_NAME_LABEL: name}},
               # no infrastructure to provision; the webhook wants a control plane (or infrastructure, or a
               # topology) named, and nothing here needs it to exist
               "spec": {"controlPlaneRef": {"apiGroup": capi.CONTROLPLANE_API.split("/")[0],
                                            "kind": "KubeadmControlPlane", "name": name}}}
    made = apiserver.create(cluster)
    assert made.ok, made.message
    kubeconfig = json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "self",
        "clusters": [{"name": "self", "cluster": {
            "server": apiserver.url, "certificate-authority-data": base64.b64encode(apiserver.ca_file.read_bytes()).decode()}}],
        "users": [{"name": "self", "user": {"token": apiserver.token}}],
        "contexts": [{"name": "self", "context": {"cluster": "self", "user": "self"}}],
    })
    made = apiserver.create({"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                             "metadata": {"name": f"{name}-kubeconfig", "namespace": ns,
                                          "labels": {capi.CLUSTER_NAME_LABEL: name}},
                             "data": {"value": base64.b64encode(kubeconfig.encode()).decode()}})
    assert made.ok, made.message

    def moved(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = copy.deepcopy(objects)
        for obj in out:
            if obj["kind"] == "ConfigMap":
                obj["data"]["data"] = (obj["data"]["data"].replace("namespace: kube-system", f"namespace: {workload_ns}")
                                       .replace(f"name: {etcd_backup.NAME}", f"name: {name}-backup")
                                       .replace(f"claimName: {etcd_backup.NAME}", f"claimName: {name}-backup")
                                       .replace(f"storageClassName: {etcd_backup.NAME}", f"storageClassName: {name}-backup"))
        return out

    for obj in moved(_management(spec)):
        made = apiserver.create(obj)
        assert made.ok, f"{obj['kind']} {obj['metadata']['name']}: {made.message}"
    jobs = f"/apis/batch/v1/namespaces/{workload_ns}/cronjobs/{name}-backup"
    claims = f"/api/v1/namespaces/{workload_ns}/persistentvolumeclaims/{name}-backup"

    def live(path: str) -> dict[str, Any] | None:
        got = apiserver.request("GET", path)
        return got.body if got.ok else None

    job = _wait_for("create the CronJob", lambda: live(jobs))
    assert job["spec"]["schedule"] == "0 */6 * * *" and _pod(job)["containers"][0]["command"][-1] == "12"
    claim = _wait_for("create the claim", lambda: live(claims))
    assert claim["spec"]["resources"]["requests"]["storage"] == "26Gi"
    assert live(f"/apis/storage.k8s.io/v1/storageclasses/{name}-backup") is not None

    # day 2: a new schedule and retention, and a bigger volume
    changed = _spec(name, extra="      etcdBackup: {schedule: '30 1 * * *', keep: 4, sizeGiB: 40}\n")
    for obj in moved(_management(changed)):
        if obj["kind"] == "ConfigMap":
            put = apiserver.merge_patch(f"{apiserver.path_for(obj)}/{obj['metadata']['name']}", {"data": obj["data"]})
            assert put.ok, put.message
    job = _wait_for("re-apply the changed CronJob",
                    lambda: (j := live(jobs)) is not None and j["spec"]["schedule"] == "30 1 * * *" and j)
    assert _pod(job)["containers"][0]["command"][-1] == "4"
    assert live(claims)["spec"]["resources"]["requests"]["storage"] == "26Gi"  # type: ignore[index]  # ApplyOnce

    # off: the CronJob is suspended by the same route; removing the storage set leaves the claim
    off = _spec(name, extra="      etcdBackup: {enabled: false}\n")
    for obj in moved(_management(off)):
        if obj["kind"] == "ConfigMap":
            put = apiserver.merge_patch(f"{apiserver.path_for(obj)}/{obj['metadata']['name']}", {"data": obj["data"]})
            assert put.ok, put.message
    crs = f"/apis/{etcd_backup.ADDONS_API}/namespaces/{ns}/clusterresourcesets/{name}-etcd-backup-storage"
    assert apiserver.request("DELETE", crs).ok
    _wait_for("suspend the CronJob", lambda: (j := live(jobs)) is not None and j["spec"]["suspend"] is True)
    _wait_for("let the storage set go", lambda: live(crs) is None)
    assert live(claims) is not None


def test_a_schedule_the_cronjob_api_refuses_is_bad_input_at_its_line(tmp_path: Path) -> None:
    """`validate` stops a schedule before `up` would send it: exit 2, the file, line and column, and a hint."""
    from typer.testing import CliRunner

    from kubefleet.cli.app import app

    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.format(name="etcdbk-badcron", version="1.35", extra="      etcdBackup: {schedule: '61 * * * *'}\n"))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert "bad.yaml:" in result.output and "etcdBackup" in result.output and "minute" in result.output
    assert "0 */6 * * *" in result.output  # the hint
    assert "Traceback" not in result.output


@pytest.mark.parametrize("schedule", ["² * * * *", "0 */² * * *", "9" * 5000 + " * * * *", "0 */" + "9" * 5000 + " * * *",
                                      "0 " * 150])
def test_hostile_schedules_are_bad_input_not_a_crash(schedule: str) -> None:
    """Unicode digits ("²".isdigit() is True, int() refuses it) and digit runs past int()'s 4,300-digit limit
    are refused at their line with what a cron field allows and a hint, not int()'s own complaint ("invalid
    literal for int()", "Exceeds the limit (4300 digits)", which they got before); over 200 characters the
    field's length is the message."""
    from kubefleet.errors import SpecError

    extra = f"      etcdBackup: {{schedule: {json.dumps(schedule)}}}"
    with pytest.raises(SpecError) as refused:
        _spec("etcdbk-hostile", extra=extra)
    message = str(refused.value)
    assert "int()" not in message and "4300" not in message, message
    assert "is not a cron schedule" in message or "at most 200 characters" in message, message
