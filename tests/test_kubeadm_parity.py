"""The kubeadm parity rows on the Cluster API path (providers/kubeadm/support.py) rest on upstream lines:
each cited line is opened where it lives - Cluster API v1.13.6 as the Go module proxy serves it (the module
cache `scripts/build-capi-managers.sh` fills), CAPV v1.16.1's pinned files in this repository - and must say
what the row relies on. Without the module cache the Cluster API half skips (and fails under
KUBEFLEET_REQUIRE_CAPI_ORACLE=1, as .ci/run sets it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kubefleet.providers.kubeadm import capv_template, support
from kubefleet.providers.kubeadm.adapter import KubeadmAdapter
from kubefleet.spec.loader import load_text
from tests.conftest import ROOT, resolved


def _capv_pinned(path: str) -> Path:
    """Where CAPV's file is pinned byte for byte here (tests/data/capi/PROVENANCE.md; test_capi_render checks
    the digests)."""
    if path == "templates/cluster-template.yaml":
        return capv_template.TEMPLATE
    assert path.startswith("config/default/crd/bases/"), path
    return ROOT / "tests" / "data" / "capi" / "crds" / "capv-v1.16.1" / Path(path).name


def _module_dir() -> Path | None:
    roots = [os.environ.get("GOMODCACHE"), str(Path.home() / "go" / "pkg" / "mod"), "/root/go/pkg/mod"]
    try:
        done = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=False, timeout=10)
        roots.insert(0, done.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    for root in roots:
        if root and (Path(root) / "sigs.k8s.io" / support.CAPI).is_dir():
            return Path(root) / "sigs.k8s.io" / support.CAPI
    return None


@pytest.mark.parametrize("key", sorted(support.SOURCES))
def test_every_cited_line_says_what_the_row_relies_on(key: str) -> None:
    cite = support.SOURCES[key]
    if cite.repo == support.CAPV:
        path = _capv_pinned(cite.path)
    else:
        base = _module_dir()
        if base is None:
            reason = f"{support.CAPI} is not in the Go module cache (scripts/build-capi-managers.sh downloads it)"
            if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
        path = base / cite.path
    lines = path.read_text().splitlines()
    window = "\n".join(lines[cite.line - 1 : cite.line + 2])
    assert cite.phrase in window, f"{cite}: {cite.phrase!r} not in\n{window}"


SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata: {name: parity, labels: {team: t, owner: o, cost-center: c, env: dev}}
spec:
  kubernetes: {version: "1.34"}
  region: us-west
  controlPlane: {availability: regional, replicas: 3}
  upgrades: {strategy: blue-green}
  nodePools:
    - name: tiny
      machine: {vcpus: 1, memoryGiB: 2}
      count: 2
"""


def test_rows_follow_the_cluster_api_objects() -> None:
    spec = load_text(SPEC, "parity.yaml")[0].spec
    rows = KubeadmAdapter().field_support(resolved(spec, "kubeadm"))
    version = rows["spec.kubernetes.version"]
    assert version.status == "native" and "v1.34.4" in version.detail and "chained" in version.detail
    assert "internal/webhooks/cluster.go:382" in version.detail
    assert rows["spec.nodePools[].machine.vcpus"].status == "emulated"  # CAPV's numCPUs floor of 2
    assert rows["spec.upgrades.strategy"].status == "emulated" and "100%" in rows["spec.upgrades.strategy"].detail
    assert "ubuntu-2404-kube-v1.34.4" in rows["spec.providers.kubeadm.vsphere.template"].detail
    replicas = rows["spec.controlPlane.replicas"].detail
    assert "etcd member" in replicas and "certificatesExpiryDays" in replicas
    # nothing on the old in-guest lifecycle survives in the table
    text = " ".join(r.detail for r in rows.values())
    for gone in ("kubeadmDrainedNodes", "kubeadm reset", "cloud-init", "bootstrap token", "apt-mark"):
        assert gone not in text, gone
