"""Once-per-project resources through the REAL engine (Pulumi CLI + local cloud): the project's APIs and the
fleet's ``servicemesh`` Feature live in one shared scope stack (providers/scope.py, providers/gke/scope.py).

The local cloud answers a second create of a project's Feature with 409 ALREADY_EXISTS, as the GKE Hub API
does (terraform-google-modules/terraform-google-kubernetes-engine#1590), so a program that declared the Feature
per cluster fails here exactly where it failed on GCP. One local cloud and one backend for all the steps:
two clusters of one project come up; destroying one keeps the other and the scope; the same spec is destroyed
and re-created; ``destroy --scope`` refuses while a cluster stack uses the scope (exit 1, naming it) and works
after; a Feature that already exists (made in the console) is adopted (imported), not created, and is kept
when the scope stack is destroyed.
"""

from __future__ import annotations

from pathlib import Path

from tests.localcloud import cloud
from tests.test_e2e_engine import Env, engine_env, kf, live, ok  # noqa: F401  (engine_env is the fixture)

FEATURE = "gcp:gkehub/feature:Feature"
SERVICE = "gcp:projects/service:Service"
SCOPE = "scope-gcp-local-project"
MESH = "  addons:\n    istio: {mode: managed, dataPlane: sidecar}\n"


def _spec(env: Env, name: str) -> Path:
    text = env.spec.read_text(encoding="utf-8").replace("name: e2e", f"name: {name}", 1)
    text = text.replace("  providers:\n", MESH + "  providers:\n", 1)
    path = env.root / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _stacks(env: Env) -> set[str]:
    """The stacks in the backend, from the engine's own state files (no CLI round trip)."""
    return {p.name.removesuffix(".json") for p in env.state_files()}


def _features(env: Env) -> list[dict[str, object]]:
    return live(env, FEATURE)


def _console_feature(env: Env) -> None:
    """A servicemesh Feature someone enabled in the console before kubefleet ran (another label, no scope)."""
    with cloud.locked(env.cloud):
        cloud.put(env.cloud, {"type": FEATURE, "urn": "console", "id": "servicemesh-console",
                              "inputs": {"name": "servicemesh", "project": "local-project", "location": "global"},
                              "outputs": {"name": "servicemesh", "project": "local-project", "location": "global",
                                          "labels": {"team": "mesh-admins"}}})


def test_two_clusters_share_one_scope_stack_through_the_real_engine(engine_env: Env) -> None:  # noqa: F811
    env = engine_env
    a, b = str(_spec(env, "mesh-a")), str(_spec(env, "mesh-b"))
    key = {"project": "local-project", "location": "global", "name": "servicemesh"}
    assert cloud.duplicate_error(env.cloud, FEATURE, key) is None

    # the project already has the Feature (console): the scope stack adopts it - an import, not a create,
    # which the local cloud (like the GKE Hub API) would refuse with 409
    _console_feature(env)
    assert "Error 409" in str(cloud.duplicate_error(env.cloud, FEATURE, key))
    out = ok("up", a, "-p", "gke", "-y")
    assert f"{SCOPE} is up" in out and "mesh-a-gke is up" in out
    assert [f["id"] for f in live(env, FEATURE)] == ["servicemesh-console"]
    assert not any(e["op"] in ("create", "create-failed") and e["type"] == FEATURE for e in cloud.read_log(env.cloud))
    apis = {r["inputs"]["service"]: r["inputs"] for r in live(env, SERVICE)}
    assert {"container.googleapis.com", "compute.googleapis.com", "gkehub.googleapis.com",
            "mesh.googleapis.com"} <= set(apis)
    assert all(i["disableOnDestroy"] is False for i in apis.values())

    # a second cluster of the project: comes up; the scope has nothing to do; still the one Feature
    out = ok("up", b, "-p", "gke", "-y")
    assert "mesh-b-gke is up" in out and f"{SCOPE} is up" not in out
    assert [f["id"] for f in live(env, FEATURE)] == ["servicemesh-console"]
    assert len(live(env, "gcp:container/cluster:Cluster")) == 2

    # destroy one cluster: the other and the scope stay
    ok("destroy", a, "-p", "gke", "-y")
    assert _stacks(env) == {SCOPE, "mesh-b-gke"}
    assert len(live(env, FEATURE)) == 1 and len(live(env, "gcp:container/cluster:Cluster")) == 1

    # destroy and re-create the same spec: nothing collides (the Feature is not the cluster stack's)
    ok("up", a, "-p", "gke", "-y")
    assert len(live(env, "gcp:container/cluster:Cluster")) == 2 and len(live(env, FEATURE)) == 1

    # destroy --scope refuses while clusters use it, naming them (exit 1), and destroys nothing
    refused = kf("destroy", a, "-p", "gke", "--scope", "-y")
    assert refused.exit_code == 1, refused.output
    flat = " ".join(refused.output.split())
    assert "mesh-a-gke" in flat and "mesh-b-gke" in flat and "Traceback" not in refused.output
    assert len(live(env, SERVICE)) == len(apis)

    # no cluster left: destroy --scope works; the adopted Feature is given back as it was found
    ok("destroy", a, "-p", "gke", "-y")
    ok("destroy", b, "-p", "gke", "-y")
    out = ok("destroy", a, "-p", "gke", "--scope", "-y")
    assert f"{SCOPE} destroyed" in out
    assert _stacks(env) == set() and live(env, SERVICE) == []
    assert [f["id"] for f in live(env, FEATURE)] == ["servicemesh-console"]
