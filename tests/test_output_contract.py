"""One JSON shape whatever the number of clusters (issue 25), as kubectl keeps it.

Every command with ``--output json`` prints a top-level object with ``apiVersion: kubefleet.dev/v1`` and a
``kind``; a list result is ``<Thing>List`` with ``items`` even for one entry (Kubernetes API conventions,
kubernetes/community@24e7d8f5409c1a0121394a613746e524f781e044:contributors/devel/sig-architecture/
api-conventions.md:145-147). Each command runs here for real with ONE cluster and with SEVERAL, and:

* the output validates against its published schema in schemas/ (the oracle: the ``jsonschema`` library's
  Draft 2020-12 validator, which also checks each schema itself),
* the two documents have the same kind and the same top-level keys, and the per-cluster array holds 1 and 2,
* every command whose ``--output`` offers json is covered here or, for engine commands that need a deployed
  stack, named in :data:`ENGINE_ONLY` with the test that validates its real output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from kubefleet.cli.app import app
from kubefleet.report.contract import API_VERSION, SCHEMAS
from tests.conftest import EXAMPLES, ROOT
from tests.localcloud.install import find_pulumi_cli
from tests.test_output_yaml import _commands

runner = CliRunner()
DAY = "2026-11-27"


@pytest.fixture(autouse=True)
def _shared_render_home(_isolated_home: None, tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One kubefleet home (its render cache) for the tests of this module: the same specs are rendered once."""
    home = tmp_path_factory.getbasetemp() / "output-contract-render-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("KUBEFLEET_HOME", str(home))

#: command -> (args with ONE/MANY standing for the spec file, kind, where the per-cluster entries are)
CASES: dict[str, tuple[list[str], str, str | None]] = {
    "kubefleet plan": (["plan", "SPEC", "-p", "eks"], "PlanList", "items"),
    "kubefleet cost": (["cost", "SPEC", "-p", "eks", "--as-of", DAY], "CostList", "items"),
    "kubefleet compare": (["compare", "SPEC", "--providers", "eks", "--as-of", DAY], "ComparisonList", "items"),
    "kubefleet diff": (["diff", "--base", "SPEC", "SPEC", "--providers", "eks", "--as-of", DAY], "SpecDiff", "clusters"),
    "kubefleet policy check": (["policy", "check", "SPEC", "--provider", "eks"], "PolicyReport", "checked"),
    "kubefleet fleet show": (["fleet", "show", "SPEC", "--no-compare", "--as-of", DAY], "FleetReport", "clusters"),
    "kubefleet fleet calendar": (["fleet", "calendar", "SPEC", "--as-of", DAY], "FleetCalendar", None),
    "kubefleet upgrade plan": (["upgrade", "plan", "SPEC", "-p", "eks", "--as-of", DAY], "UpgradePlanList", "items"),
}
#: commands that take no spec: run once
NO_SPEC: dict[str, tuple[list[str], str]] = {
    "kubefleet policy rules": (["policy", "rules"], "PolicyRuleList"),
    "kubefleet prices show": (["prices", "show", "-p", "eks", "-r", "us-east-1", "--as-of", DAY], "PriceCatalog"),
}
#: read a backend (an empty local file backend is enough; needs the Pulumi CLI)
BACKEND: dict[str, tuple[list[str], str]] = {
    "kubefleet stacks": (["stacks"], "StackList"),
    "kubefleet fleet show --stacks": (["fleet", "show", "--stacks", "SPEC"], "FleetStackList"),
}
#: need a deployed stack: their real output is validated against the schema where the engine runs
ENGINE_ONLY: dict[str, tuple[str, str]] = {
    "kubefleet outputs": ("StackOutputs", "tests/test_e2e_engine.py::test_lifecycle_through_the_real_engine"),
    "kubefleet preview": ("Preview", "tests/test_e2e_engine.py::test_refresh_accepts_the_clouds_state"),
    "kubefleet upgrade apply": ("UpgradeRun", "tests/test_upgrade_apply.py (schemas/upgrade-run.schema.json)"),
}


def validate(doc: Any) -> str:
    """Check ``doc`` against the schema of its kind; return the kind."""
    assert isinstance(doc, dict) and doc.get("apiVersion") == API_VERSION, str(doc)[:300]
    kind = doc["kind"]
    schema = json.loads((ROOT / "schemas" / SCHEMAS[kind]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    if kind.endswith("List"):
        assert isinstance(doc["items"], list)
    else:
        assert "items" not in doc, f"{kind}: only a list kind has items"
    return str(kind)


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ONE: a single cluster; MANY: two clusters in one file (the fleet example's first two, both on EKS)."""
    folder = tmp_path_factory.mktemp("contract")
    one = folder / "one.yaml"
    one.write_text((EXAMPLES / "dev-small.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    many = folder / "many.yaml"
    first_two = "\n---".join((EXAMPLES / "fleet.yaml").read_text(encoding="utf-8").split("\n---")[:2])
    many.write_text(first_two.replace("provider: gke", "provider: eks"), encoding="utf-8")
    return {"ONE": one, "MANY": many}


def _run(args: list[str], spec: Path | None = None) -> dict[str, Any]:
    argv = [str(spec) if a == "SPEC" and spec is not None else a for a in args]
    result = runner.invoke(app, [*argv, "-o", "json"])
    assert result.exit_code in (0, 1), result.output  # 1: the command found something (a policy finding…)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", list(CASES))
def test_one_shape_for_one_and_for_several_clusters(name: str, specs: dict[str, Path]) -> None:
    args, kind, entries = CASES[name]
    one, many = _run(args, specs["ONE"]), _run(args, specs["MANY"])
    assert validate(one) == validate(many) == kind
    assert set(one) == set(many), f"{name}: the top-level keys depend on the number of clusters"
    if entries is not None:
        assert isinstance(one[entries], list) and isinstance(many[entries], list)
        assert (len(one[entries]), len(many[entries])) == (1, 2), name


@pytest.mark.parametrize("name", list(NO_SPEC))
def test_commands_without_a_spec_keep_the_contract(name: str) -> None:
    args, kind = NO_SPEC[name]
    assert validate(_run(args)) == kind


PULUMI_DIR, NO_PULUMI = find_pulumi_cli()


@pytest.mark.skipif(PULUMI_DIR is None, reason=NO_PULUMI)
@pytest.mark.parametrize("name", list(BACKEND))
def test_backend_listings_keep_the_contract(name: str, specs: dict[str, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{state}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only-passphrase")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join([str(PULUMI_DIR), os.environ.get("PATH", "")]))
    args, kind = BACKEND[name]
    doc = _run(args, specs["MANY"])
    assert validate(doc) == kind
    # nothing is deployed: stacks lists none; fleet --stacks lists each spec's cluster as not deployed
    assert [i.get("cluster") for i in doc["items"]] == ([] if name == "kubefleet stacks" else ["orders-prod", "orders-staging"])


def test_every_json_command_is_covered_and_every_kind_has_a_schema() -> None:
    import typer.main

    from kubefleet.cli.main import tidy_help

    root = typer.main.get_command(app)
    tidy_help(root)
    offering = set()
    for path, command in _commands(root):
        for param in command.params:
            desc = getattr(param, "type_descriptor", None)
            choices = [str(getattr(c, "value", c)) for c in (getattr(desc, "choices", None) or ())]
            if param.name == "output" and "json" in choices:
                offering.add(path)
    covered = {*CASES, *NO_SPEC, *ENGINE_ONLY, *(n.removesuffix(" --stacks") for n in BACKEND)}
    assert offering <= covered, f"JSON outputs without a contract test: {sorted(offering - covered)}"
    kinds = {k for _a, k, _e in CASES.values()} | {k for _a, k in NO_SPEC.values()} | \
        {k for _a, k in BACKEND.values()} | {k for k, _t in ENGINE_ONLY.values()}
    assert kinds == set(SCHEMAS), "every kind has a schema, and every schema a command"
    for kind, file in SCHEMAS.items():
        schema = json.loads((ROOT / "schemas" / file).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        declared = schema["properties"]["kind"]
        assert kind == declared.get("const") or kind in declared.get("enum", ()), (kind, file)
        assert schema["properties"]["apiVersion"] == {"const": API_VERSION}, file


def test_plan_json_carries_the_shared_scope_stack_once_beside_the_clusters(tmp_path: Path) -> None:
    """`plan -o json` shows what `plan` prints and `up` applies: the project's shared stack (providers/scope.py)
    once, not inside each cluster. The fleet's servicemesh Feature exists once per project (a second create is
    409 alreadyExists, terraform-google-modules/terraform-google-kubernetes-engine#1590), so two meshed clusters of
    one project list it once, under the scope, and in no cluster's resources."""
    from tests.conftest import MINIMAL

    def cluster(name: str, project: str | None) -> str:
        text = MINIMAL.replace("name: mini", f"name: {name}").replace("spec:\n", "spec:\n  provider: gke\n", 1)
        text = text.replace('version: "1.33"', 'version: "1.35"') + "  addons: {istio: {mode: managed}}\n"
        return text + (f"  providers: {{gke: {{project: {project}}}}}\n" if project else "")

    spec = tmp_path / "two.yaml"
    spec.write_text("---\n".join([cluster("alpha", "acme-prod"), cluster("beta", "acme-prod")]), encoding="utf-8")
    doc = _run(["plan", "SPEC"], spec)
    assert validate(doc) == "PlanList"
    (scope,) = doc["scopes"]
    assert (scope["stack"], scope["key"], scope["clusters"]) == ("scope-gcp-acme-prod", "acme-prod", ["alpha", "beta"])
    assert "mesh" in scope["needs"]
    features = [r for r in scope["resources"] if r["type"] == "gcp:gkehub/feature:Feature"]
    assert [f["inputs"].get("name") for f in features] == ["servicemesh"]
    assert {r["inputs"].get("service") for r in scope["resources"] if r["type"] == "gcp:projects/service:Service"} \
        >= {"mesh.googleapis.com", "gkehub.googleapis.com"}
    for item in doc["items"]:
        assert not [r for r in item["resources"] if r["type"] == "gcp:gkehub/feature:Feature"], item["cluster"]
    # the text plan shows the same stack once
    text = runner.invoke(app, ["plan", str(spec)], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and text.output.count("stack scope-gcp-acme-prod") == 1, text.output
    # no project named anywhere: the scope is the environment's at `up`, so its key and stack are null (not the
    # placeholder the offline render uses)
    spec.write_text(cluster("gamma", None), encoding="utf-8")
    doc = _run(["plan", "SPEC"], spec)
    assert validate(doc) == "PlanList"
    (scope,) = doc["scopes"]
    assert (scope["stack"], scope["key"], scope["clusters"]) == (None, None, ["gamma"])
    # EKS has no once-per-account resources (providers/scope.py): the array is there, empty
    assert _run(["plan", "SPEC", "-p", "eks"], EXAMPLES / "dev-small.yaml")["scopes"] == []
