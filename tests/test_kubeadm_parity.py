"""The kubeadm parity rows on the Cluster API path (providers/kubeadm/support.py) rest on upstream lines:
each cited line is opened where it lives - Cluster API v1.13.6 as the Go module proxy serves it (the module
cache `scripts/build-capi-managers.sh` fills), CAPV v1.16.1's pinned files in this repository - and must say
what the row relies on. Without the module cache the Cluster API half skips (and fails under
KUBEFLEET_REQUIRE_CAPI_ORACLE=1, as .ci/run sets it)."""

from __future__ import annotations

import functools
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
    if not path.startswith("config/default/crd/bases/"):
        return ROOT / "tests" / "data" / "capi" / "capv-v1.16.1-src" / path
    return ROOT / "tests" / "data" / "capi" / "crds" / "capv-v1.16.1" / Path(path).name


@functools.lru_cache(maxsize=4)
def _module_dir(module: str = f"sigs.k8s.io/{support.CAPI}") -> Path | None:
    """Where the Go module cache holds ``module`` (``host/name@version``), or None."""
    roots = [os.environ.get("GOMODCACHE"), str(Path.home() / "go" / "pkg" / "mod"), "/root/go/pkg/mod"]
    try:
        done = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=False, timeout=10)
        roots.insert(0, done.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    for root in roots:
        if root and (Path(root) / module).is_dir():
            return Path(root) / module
    return None


#: the Go module each cited repository is (Kubernetes' own: k8s.io/kubernetes and k8s.io/apiserver, which the
#: kube-apiserver build downloads)
MODULES = {support.CAPI: f"sigs.k8s.io/{support.CAPI}", support.K8S: f"k8s.io/{support.K8S}",
           support.K8S_APISERVER: f"k8s.io/{support.K8S_APISERVER}"}


@pytest.mark.parametrize("key", sorted(support.SOURCES))
def test_every_cited_line_says_what_the_row_relies_on(key: str) -> None:
    cite = support.SOURCES[key]
    if cite.repo == support.CAPV:
        path = _capv_pinned(cite.path)
    else:
        base = _module_dir(MODULES[cite.repo])
        if base is None:
            reason = (f"{MODULES[cite.repo]} is not in the Go module cache (scripts/build-capi-managers.sh and "
                      "scripts/build-kube-apiserver.sh download them)")
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
    availability = rows["spec.controlPlane.availability"].detail
    assert "soft anti-affinity" in availability and "NodeAntiAffinity" in availability
    assert "feature/feature.go:75" in availability and "pkg/clustermodule/util.go:64" in availability
    # the credentials findings, with their upstream lines (cited lines checked above)
    keys = rows["spec.controlPlane.replicas"].detail
    for shown in ("ca.key on every master", "guestinfo.userdata", support.GUESTINFO_ISSUE,
                  "util/secret/certificates.go:149", "controlplane_join.go:61", "manifests.go:337", "clone.go:75"):
        assert shown in keys, shown
    admin = rows["spec.providers.kubeadm.managementCluster"].detail
    for shown in ("system:masters", "365 days", "0600", "Istio", "kubefleet-parity", "util/kubeconfig/kubeconfig.go:59",
                  "helpers.go:86", "reload.go:97", "x509.go:185"):
        assert shown in admin, shown
    replicas = rows["spec.controlPlane.replicas"].detail
    assert "etcd member" in replicas and "certificatesExpiryDays" in replicas
    # nothing on the old in-guest lifecycle survives in the table
    text = " ".join(r.detail for r in rows.values())
    for gone in ("kubeadmDrainedNodes", "kubeadm reset", "cloud-init", "bootstrap token", "apt-mark"):
        assert gone not in text, gone


def test_feature_table_names_what_the_renderer_installs() -> None:
    from kubefleet.catalog import load_catalog
    from kubefleet.providers.kubeadm import capi

    features = load_catalog().features()
    assert capi.CALICO_VERSION in features["network_policy"].values["kubeadm"].value
    assert "management cluster" in features["control_plane_billing"].values["kubeadm"].value


def test_readmes_clusterctl_init_is_what_clusterctl_v1_13_6_takes() -> None:
    """README's install command, checked against clusterctl's own source in the module: every flag is one
    `clusterctl init` declares (cmd/clusterctl/cmd/init.go), every provider name one clusterctl knows
    (cmd/clusterctl/client/config/providers_client.go), every version the pinned one (capi.py, and
    tests/data/capi/PROVENANCE.md for CAPV and IPAM), and CLUSTER_TOPOLOGY the variable the core manager's
    feature gate reads, off by default (config/manager/manager.yaml)."""
    import re
    import shlex

    from kubefleet.providers.kubeadm import capi

    readme = (ROOT / "README.md").read_text()
    (command,) = [line for line in readme.splitlines() if line.strip().startswith("clusterctl init ")]
    base = _module_dir()
    if base is None:
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail("Cluster API module not in the Go module cache")
        pytest.skip("Cluster API module not in the Go module cache")
    init = (base / "cmd/clusterctl/cmd/init.go").read_text()
    known = set(re.findall(r'= "([a-z0-9-]+)"', (base / "cmd/clusterctl/client/config/providers_client.go").read_text()))
    provenance = (ROOT / "tests/data/capi/PROVENANCE.md").read_text()
    args = shlex.split(command)[2:]
    pins = {"cluster-api": capi.CAPI_VERSION, "kubeadm": capi.CAPI_VERSION, "vsphere": "v1.16.1", "in-cluster": "v1.0.3"}
    flags = set()
    for flag, value in zip(args[::2], args[1::2], strict=True):
        assert flag.startswith("--") and f'"{flag[2:]}"' in init, flag
        flags.add(flag)
        name, version = value.split(":")
        assert name in known and version == pins[name], value
    assert flags == {"--core", "--bootstrap", "--control-plane", "--infrastructure", "--ipam"}
    assert "CAPV v1.16.1" in provenance and "v1.0.3" in provenance
    manager = (base / "config/manager/manager.yaml").read_text()
    assert "ClusterTopology=${CLUSTER_TOPOLOGY:=false}" in manager
    assert "export CLUSTER_TOPOLOGY=true" in readme
    from kubefleet.engine import management  # the line `up` prints when Cluster API is missing

    assert "CLUSTER_TOPOLOGY=true EXP_NODE_ANTI_AFFINITY=true " + command.strip() == management.INSTALL
    # CAPV's manager reads the anti-affinity gate from EXP_NODE_ANTI_AFFINITY, off by default (pinned CAPV files)
    capv = ROOT / "tests" / "data" / "capi" / "capv-v1.16.1-src"
    assert "NodeAntiAffinity=${EXP_NODE_ANTI_AFFINITY:=false}" in (capv / "config/manager/manager.yaml").read_text()
    assert "export EXP_NODE_ANTI_AFFINITY=true" in readme


def test_readmes_credentials_paragraph_cites_the_checked_lines() -> None:
    """README's kubeadm credentials bullets cite the same upstream lines as the parity rows (each opened and
    checked by test_every_cited_line_says_what_the_row_relies_on)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("- Credentials - what Cluster API keeps where"):readme.index("- `destroy` deletes the Cluster API")]
    flat = " ".join(section.split())
    for key in ("capi-admin-kubeconfig", "capi-cert-year", "capi-renew-half", "kcp-kubeconfig-rotation",
                "system-masters", "client-cert-chain-only", "cabpk-join-writes-keys", "kcm-signing-key",
                "kubeadm-join-pki", "capv-guestinfo"):
        cite = support.SOURCES[key]
        assert f"{cite.path}:{cite.line}" in flat, key
    assert "util/secret/certificates.go:139-166" in flat and support.GUESTINFO_ISSUE in flat
    assert support.GUEST_READ_ISSUE in flat
