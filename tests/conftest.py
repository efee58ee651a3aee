"""Shared fixtures: golden files with an update switch, example specs, a deterministic resolver."""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubefleet.resolve.model import InstanceChoice, ResolvedCluster
from kubefleet.spec.loader import LoadedSpec, load_file, load_text
from kubefleet.spec.model import ClusterSpec, NodePool

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"

# The suite runs "as of" one fixed day (the CLI's today(), for version support and compatibility data),
# inherited by every CLI subprocess too, so what was offered or supported on that day stays the answer
# next year. Set KUBEFLEET_AS_OF yourself to run it as of another day.
TEST_DAY = "2026-11-29"
os.environ.setdefault("KUBEFLEET_AS_OF", TEST_DAY)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden files with the current output instead of comparing",
    )


class Golden:
    """Compare text with tests/golden/<name>; with --update-goldens, rewrite it."""

    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, name: str, actual: str) -> None:
        path = GOLDEN / name
        if self.update or (not path.exists() and os.environ.get("KUBEFLEET_NEW_GOLDENS") == "1"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual)
            return
        if not path.exists():
            pytest.fail(f"golden file {path.relative_to(ROOT)} is missing; run pytest --update-goldens")
        expected = path.read_text()
        if expected != actual:
            diff = "".join(difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                fromfile=f"golden/{name}", tofile="actual", n=2,
            ))
            pytest.fail(f"output differs from golden/{name} (pytest --update-goldens to accept):\n{diff[:6000]}")

    def check_json(self, name: str, data: Any) -> None:
        self.check(name, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    return Golden(bool(request.config.getoption("--update-goldens")))


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def example_specs() -> list[LoadedSpec]:
    out: list[LoadedSpec] = []
    for f in example_files():
        out.extend(load_file(f))
    return out


@pytest.fixture
def load_spec() -> Callable[[str], ClusterSpec]:
    def load(text: str) -> ClusterSpec:
        return load_text(text, "test.yaml")[0].spec
    return load


MINIMAL = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: mini
  labels: {team: t, owner: o, cost-center: cc-1, env: dev}
spec:
  kubernetes: {version: "1.33"}
  region: us-east
  nodePools:
    - name: general
      machine: {vcpus: 4, memoryGiB: 16}
      count: 3
"""


@pytest.fixture
def minimal_text() -> str:
    return MINIMAL


def shape_resolver(provider: str) -> Callable[[NodePool], InstanceChoice]:
    """A deterministic stand-in for shape matching, for adapter unit tests that must not depend on
    the price catalog. Product code always uses kubefleet.resolve.matching."""
    def resolve(pool: NodePool) -> InstanceChoice:
        m = pool.machine
        pinned = pool.pinned(provider)
        gpu = m.gpu
        names = {
            "gke": f"n2-standard-{m.vcpus}",
            "eks": {2: "m7i.large", 4: "m7i.xlarge"}.get(m.vcpus, f"m7i.{m.vcpus // 4}xlarge"),
            "aks": f"Standard_D{m.vcpus}s_v5",
            "kubeadm": f"vsphere-{m.vcpus}vcpu-{m.memory_gib}gib",
        }
        return InstanceChoice(
            name=pinned or names[provider], reason="test resolver", vcpus=m.vcpus, memory_gib=m.memory_gib,
            gpu_kind=gpu.kind if gpu else None, gpu_count=gpu.count if gpu else 0,
            accelerator="nvidia-tesla-t4" if provider == "gke" and gpu and gpu.kind == "nvidia-t4" else None,
            # the invented names are x86_64 types; a pin's facts come from the catalog, as in product code
            arch=None if pinned else "x86_64",
        )
    return resolve


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own kubefleet home and no Pulumi backend from the developer's environment."""
    home = tmp_path_factory.mktemp("kfhome")
    monkeypatch.setenv("KUBEFLEET_HOME", str(home))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    # pytest-xdist workers inherit COLUMNS=80; the CLI honours COLUMNS, so tests that want a width set it
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    # a job still running after KUBEFLEET_PROGRESS_AFTER seconds says so on stderr: on a loaded test machine
    # that would depend on timing, so tests that check progress set the delay themselves
    monkeypatch.setenv("KUBEFLEET_PROGRESS_AFTER", "3600")
    yield


def resolved(spec: ClusterSpec, provider: str) -> ResolvedCluster:
    """``spec`` resolved on ``provider`` with the stand-in shape matching (:func:`shape_resolver`): what an
    adapter's ``build``/``field_support`` take, for unit tests that must not depend on the price catalog."""
    from kubefleet.resolve.cluster import resolve

    return resolve(spec, provider, resolver=shape_resolver(provider))


@pytest.fixture(scope="session")
def apiserver() -> Iterator[Any]:
    """One kube-apiserver + etcd with Cluster API's and CAPV's CRDs, and Cluster API's managers with their
    admission webhooks when built, for the whole test session (tests/capi_apiserver.py): starting them
    costs ~15 s, so every Cluster API oracle test shares them. Tests keep to their own namespaces
    (``kubefleet-<cluster name>``), so each uses cluster names no other test uses.

    Without the binaries (no Go toolchain to build them) the tests skip and say why; .ci/run builds them
    and sets KUBEFLEET_REQUIRE_CAPI_ORACLE=1, which turns that skip into a failure."""
    from tests.capi_apiserver import binaries_dir, managers_dir, running_apiserver

    bins = binaries_dir()
    if bins is None:
        reason = (
            "kube-apiserver/etcd not built (scripts/build-kube-apiserver.sh needs a Go toolchain); "
            "the Cluster API objects were not checked against the CRDs"
        )
        if os.environ.get("KUBEFLEET_REQUIRE_CAPI_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with running_apiserver(bins, managers_dir()) as api:
        for ns in ("capv-system",):
            api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        yield api
