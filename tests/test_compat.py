"""The compatibility mechanism: dated rows per channel, positioned problems, no data = not checked.

The provider rows themselves (and tests pinning them to their cited sources) live with each provider.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.errors import CatalogError
from kubefleet.lifecycle.check import problems
from kubefleet.lifecycle.compat import Compat, load_compat, parse_compat
from kubefleet.spec.loader import load_text

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata: {name: c1, labels: {team: t, owner: o, cost-center: cc-1, env: dev}}
spec:
  provider: gke
  kubernetes:
    version: "1.33"
    channel: stable
  region: us-east
  nodePools: [{name: p, machine: {vcpus: 2, memoryGiB: 8}, count: 1}]
  addons: {istio: {mode: managed}}
"""

DATA = {
    "provider": "gke",
    "sources": {"s": {"url": "https://example.invalid/notes", "read": date(2026, 11, 1), "title": "t"}},
    "channels": {"stable": {"label": "STABLE channel", "minors": [
        {"minor": "1.33", "from": date(2025, 1, 1), "until": date(2026, 6, 30), "source": "s"},
        {"minor": "1.34", "from": date(2025, 6, 1), "until": None, "source": "s"},
    ]}},
    "mesh": [{"revision": "asm-1-9", "minors": ["1.33"], "from": None, "until": None, "source": "s"},
             {"revision": "asm-1-10", "minors": ["1.33", "1.34"], "from": None, "until": None, "source": "s"}],
}


def compat(data: dict[str, object] = DATA) -> Compat:
    return Compat({"gke": parse_compat(data, "compat-gke.yaml", "gke")})


def test_offered_on_dates_and_positioned_problem() -> None:
    loaded = load_text(SPEC, "c1.yaml")[0]
    c = compat()
    assert c.offered_minors("gke", "stable", date(2026, 1, 1)) == ["1.33", "1.34"]
    assert problems(loaded, "gke", date(2026, 1, 1), c) == []
    [issue] = problems(loaded, "gke", date(2026, 7, 1), c)
    assert (issue.file, issue.line, issue.column) == ("c1.yaml", 7, 14)  # the version's value
    assert "1.33 is not offered on GKE's STABLE channel" in issue.message
    assert "1.34" in (issue.hint or "") and "https://example.invalid/notes" in (issue.hint or "")


def test_no_data_is_not_checked() -> None:
    loaded = load_text(SPEC.replace("stable", "rapid"), "c1.yaml")[0]
    assert compat().offered_minors("gke", "rapid", date(2026, 7, 1)) is None
    assert problems(loaded, "gke", date(2026, 7, 1), compat()) == []


def test_mesh_revisions_newest_first_by_number_not_text() -> None:
    c = compat()
    assert [r.revision for r in c.mesh_revisions("gke", "1.33", date(2026, 1, 1))] == ["asm-1-10", "asm-1-9"]
    loaded = load_text(SPEC.replace('"1.33"', '"1.35"'), "c1.yaml")[0]
    found = problems(loaded, "gke", date(2026, 1, 1), c)
    assert any("no managed Istio revision" in i.message and i.line == 11 for i in found)


@pytest.mark.parametrize("bad", [
    {"provider": "eks"},
    {"provider": "gke", "sources": {"s": {"url": "http://x", "read": date(2026, 1, 1), "title": "t"}}},
    {"provider": "gke", "channels": {"stable": {"minors": [{"minor": "1.3x", "source": "s"}]}}},
    {"provider": "gke", "channels": {"stable": {"minors": [{"minor": "1.33", "source": "nope"}]}}},
])
def test_malformed_files_are_catalog_errors(bad: dict[str, object]) -> None:
    with pytest.raises(CatalogError):
        parse_compat(bad, "compat-gke.yaml", "gke")


def test_shipped_files_load() -> None:
    load_compat()


def test_plan_verify_without_an_api_model_says_so() -> None:
    result = CliRunner().invoke(app, ["plan", "examples/dev-small.yaml", "--provider", "kubeadm", "--verify"])
    assert result.exit_code == 0, result.output
    assert "no cloud API model" in result.output


def test_kubefleet_as_of_pins_the_clis_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubefleet.cli.common import today
    from kubefleet.errors import UsageError

    monkeypatch.setenv("KUBEFLEET_AS_OF", "2027-05-01")
    assert today() == date(2027, 5, 1)
    monkeypatch.setenv("KUBEFLEET_AS_OF", "next tuesday")
    with pytest.raises(UsageError, match="KUBEFLEET_AS_OF"):
        today()


def test_kubeadm_version_range_is_a_positioned_compat_problem() -> None:
    # kubeadm.k8s.io/v1beta4 needs kubeadm >= 1.31 (the floor and its citation: providers/kubeadm/kubeadm_config.py)
    loaded = load_text(SPEC.replace('"1.33"', '"1.30"').replace("mode: managed", "mode: none"), "c1.yaml")[0]
    [issue] = problems(loaded, "kubeadm", date(2026, 11, 29))
    assert (issue.line, issue.column) == (7, 14) and "1.31" in issue.message


LIMITS_SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: limits
  labels: {{team: t, owner: o, cost-center: cc-1, env: dev}}
spec:
  provider: {provider}
  kubernetes: {{version: "1.35", channel: stable}}
  region: us-east
  nodePools:
    - name: general
      machine: {{vcpus: 4, memoryGiB: 16}}
      count: 3
      disk: {{sizeGiB: {size}}}
      labels: {{role: "{role}"}}
"""


@pytest.mark.parametrize("provider, size, role, expect", [
    ("aks", 4096, "web", ["14:23: AKS node disks are at most 2,048 GiB"]),
    ("aks", 2048, "", []),  # AKS takes an empty label value
    ("eks", 4096, "", ["15:22: EKS refuses an empty node-label value"]),  # EKS has data-sized root volumes
    ("gke", 4096, "", []),
])
def test_provider_api_limits_are_positioned_at_the_spec_field(
    tmp_path: Path, provider: str, size: int, role: str, expect: list[str]
) -> None:
    """The limits come from the providers' API models (tests/test_verify_{aks,eks}.py tie the constants to
    them); validate reports them at the field's line:col for the spec's own provider."""
    spec = tmp_path / "limits.yaml"
    spec.write_text(LIMITS_SPEC.format(provider=provider, size=size, role=role), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(spec)])
    lines = [ln.split(f"{spec}:", 1)[1] for ln in result.output.splitlines() if ln.startswith(f"{spec}:")]
    assert [ln for ln in lines for e in expect if ln.startswith(e)] == lines and len(lines) == len(expect), \
        result.output
    assert result.exit_code == (2 if expect else 0), result.output


@pytest.mark.parametrize("on", [None, "2026-05-01", "2026-03-15"])
def test_plan_as_of_dates_the_mesh_revision_too(on: str | None) -> None:
    """`plan --as-of D` checks compatibility on D and renders the revision that is newest on D, read straight
    from the dated rows of compat-aks.yaml (without --as-of: the data's own date)."""
    import json as _json

    from ruamel.yaml import YAML

    from tests.conftest import ROOT

    rows = YAML(typ="safe").load((ROOT / "kubefleet/catalog/data/compat-aks.yaml").read_text())["mesh"]
    sources = YAML(typ="safe").load((ROOT / "kubefleet/catalog/data/compat-aks.yaml").read_text())["sources"]
    day = date.fromisoformat(on) if on else max(s["read"] for s in sources.values())
    offered = [r for r in rows if "1.35" in r["minors"] and r["from"] <= day and (r["until"] is None or day <= r["until"])]
    expected = max(offered, key=lambda r: int(r["revision"].rsplit("-", 1)[1]))["revision"]
    args = ["plan", str(ROOT / "examples/istio-microservices.yaml"), "-p", "aks", "-o", "json"]
    result = CliRunner().invoke(app, args + (["--as-of", on] if on else []))
    assert result.exit_code == 0, result.output
    (data,) = _json.loads(result.output[result.output.index("{"):])["items"]
    (cluster,) = [r for r in data["resources"] if r["type"] == "azure-native:containerservice:ManagedCluster"]
    assert cluster["inputs"]["serviceMeshProfile"]["istio"]["revisions"] == [expected]


def test_plan_as_of_renders_are_cached_by_their_dated_choices() -> None:
    """The render cache keys on the resolved cluster, so a `plan --as-of` render is cached like any other
    (it bypassed the cache while the dated choices were made inside the render): the same date reads the
    entry back, another date is another entry."""
    from kubefleet.render import cache as render_cache
    from tests.conftest import ROOT

    def entries() -> list[Path]:
        return sorted(render_cache.cache_dir().rglob("*.json"))

    args = ["plan", str(ROOT / "examples/istio-microservices.yaml"), "-p", "aks", "-o", "json"]
    first = CliRunner().invoke(app, [*args, "--as-of", "2026-03-15"])
    assert first.exit_code == 0, first.output
    stored = entries()
    assert len(stored) == 1
    again = CliRunner().invoke(app, [*args, "--as-of", "2026-03-15"])
    assert again.output == first.output and entries() == stored
    other = CliRunner().invoke(app, [*args, "--as-of", "2026-05-01"])
    assert other.exit_code == 0 and len(entries()) == 2
    assert other.output != first.output  # another add-on revision on that day (the test above reads which)


@pytest.mark.parametrize(("on", "release"), [(None, "1.31.1"), ("2026-06-01", "1.30.5")])
def test_compare_as_of_dates_the_istio_release_like_plan(on: str | None, release: str) -> None:
    """An explicit `compare --as-of D` makes the dated choices for D, as `plan --as-of D` does; without it
    they are made for the data's own date. Expected releases: istio.io's support tables as pinned in
    tests/test_mesh_istio.py (1.31 was released on 2026-08-31; on 2026-06-01 the newest release
    supporting Kubernetes 1.35 is 1.30)."""
    import json as _json

    from tests.conftest import ROOT

    args = ["compare", str(ROOT / "examples/istio-microservices.yaml"), "--providers", "eks", "-o", "json"]
    result = CliRunner().invoke(app, args + (["--as-of", on] if on else []))
    assert result.exit_code == 0, result.output
    (data,) = _json.loads(result.stdout)["items"]
    (mode,) = [n["detail"] for n in data["providers"]["eks"]["parity"] if n["field"] == "spec.addons.istio.mode"]
    assert f"Helm releases of Istio {release} " in mode, mode


def test_validate_refuses_the_aks_system_pool_name_at_its_line(tmp_path: Path) -> None:
    from kubefleet.spec.limits import AKS_SYSTEM_POOL_KEY
    from tests.conftest import MINIMAL

    spec = tmp_path / "reserved.yaml"
    spec.write_text(MINIMAL.replace("- name: general", f"- name: {AKS_SYSTEM_POOL_KEY}")
                    .replace('version: "1.33"', 'version: "1.35"').replace("spec:\n", "spec:\n  provider: aks\n", 1))
    result = CliRunner().invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2, result.output
    line = next(n for n, text in enumerate(spec.read_text().splitlines(), 1) if AKS_SYSTEM_POOL_KEY in text)
    assert f"{spec}:{line}:" in result.output and "reserved on AKS" in result.output, result.output
