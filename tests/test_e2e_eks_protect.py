"""`destroy` of a production EKS cluster through the REAL Pulumi CLI, against the local cloud (tests/localcloud).

EKS holds deletion protection itself: "If you try to delete an active cluster that has deletion protection turned
on, you will receive a InvalidRequestException"; it must first be disabled with UpdateClusterConfig
(https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html; the field in botocore 1.44.18
data/eks/2017-11-01/service-2.json, UpdateClusterConfigRequest.deletionProtection). The local cloud refuses
DeleteCluster while the cluster it holds says so (cloud.held_delete_error), whatever Pulumi's state says.
The oracle is the engine's own plan and the cloud's log of what it was asked to do.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.localcloud import cloud
from tests.test_e2e_engine import Env, engine_env, kf, live, ok, pytestmark

__all__ = ["engine_env", "pytestmark"]  # the fixture and the marks (slow; skipped without the CLI), shared

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _cluster(env: Env) -> dict[str, Any]:
    (record,) = live(env, EKS_CLUSTER)
    return record


def _prod_up(env: Env) -> tuple[str, dict[str, Any]]:
    env.write_spec(env="prod")
    spec = str(env.spec)
    ok("up", spec, "-p", "eks", "-y")
    record = _cluster(env)
    assert record["outputs"]["deletionProtection"] is True, "a prod EKS cluster is created with deletion protection"
    return spec, record


def _ops_since(env: Env, start: int) -> list[dict[str, Any]]:
    return cloud.read_log(env.cloud)[start:]


def test_prod_eks_destroy_without_force_refuses_and_touches_nothing(engine_env: Env) -> None:
    spec, _ = _prod_up(engine_env)
    before = live(engine_env)
    start = len(cloud.read_log(engine_env.cloud))
    refused = kf("destroy", spec, "-p", "eks", "-y")
    assert refused.exit_code == 2, refused.output
    assert "refusing to destroy" in refused.output and "--force" in refused.output
    assert live(engine_env) == before  # nothing updated, nothing deleted
    assert not [e for e in _ops_since(engine_env, start) if e["op"] in ("update", "delete", "delete-failed")]
    assert _cluster(engine_env)["outputs"]["deletionProtection"] is True


def test_prod_eks_destroy_force_turns_protection_off_first_then_destroys_everything(engine_env: Env) -> None:
    spec, record = _prod_up(engine_env)
    start = len(cloud.read_log(engine_env.cloud))
    out = ok("destroy", spec, "-p", "eks", "-y", "--force")
    assert "turned deletion protection off on 1 resource(s)" in out
    ops = _ops_since(engine_env, start)
    updates = [i for i, e in enumerate(ops) if e["op"] == "update"]
    deletes = [i for i, e in enumerate(ops) if e["op"] == "delete"]
    # exactly one update, of the cluster (the targeted up touches nothing else), before the first delete
    assert [ops[i]["type"] for i in updates] == [EKS_CLUSTER] and ops[updates[0]]["id"] == record["id"]
    assert deletes and updates[0] < deletes[0]
    assert not [e for e in ops if e["op"].endswith("-failed")]
    assert EKS_CLUSTER in {ops[i]["type"] for i in deletes} and NODE_GROUP in {ops[i]["type"] for i in deletes}
    assert live(engine_env) == []  # the whole stack is gone from the cloud ...
    assert engine_env.state_files() == [] or "aws:eks" not in engine_env.state_text()  # ... and from the backend


def test_without_the_pre_update_destroy_force_leaves_half_a_cluster(engine_env: Env,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect the pre-update fixes, reproduced by removing it: the node groups are deleted, then EKS refuses
    DeleteCluster, and a rerun fails the same way. Proves the other tests fail if the step goes."""
    from kubefleet.engine import workspace

    spec, _ = _prod_up(engine_env)
    monkeypatch.setattr(workspace, "release_cloud_guards", lambda *args, **kwargs: None)
    for _ in range(2):
        result = kf("destroy", spec, "-p", "eks", "-y", "--force")
        assert result.exit_code == 2, result.output
        assert "InvalidRequestException" in result.output and "deletion protection" in result.output
        assert live(engine_env, NODE_GROUP) == []
        assert _cluster(engine_env)["outputs"]["deletionProtection"] is True
    failed = [e for e in cloud.read_log(engine_env.cloud) if e["op"] == "delete-failed"]
    assert [e["type"] for e in failed] == [EKS_CLUSTER, EKS_CLUSTER]


def test_a_failed_pre_update_deletes_nothing_and_says_so(engine_env: Env) -> None:
    spec, record = _prod_up(engine_env)
    before = live(engine_env)
    cloud.fail_next(engine_env.cloud, EKS_CLUSTER, "permission", op="update")
    start = len(cloud.read_log(engine_env.cloud))
    result = kf("destroy", spec, "-p", "eks", "-y", "--force")
    # EngineError: exit 2 (kubefleet/errors.py, mapped in one place), the step named, the cloud's reason shown
    assert result.exit_code == 2, result.output
    assert "turning deletion protection off first; nothing was deleted" in result.output
    assert "AccessDeniedException" in result.output  # the cloud's own reason
    assert "nothing was deleted and the cluster is still protected" in result.output  # the hint
    assert "eks:UpdateClusterConfig" in result.output
    assert "Traceback" not in result.output
    assert live(engine_env) == before
    assert not [e for e in _ops_since(engine_env, start) if e["op"] == "delete"]
    # the switch went with the failed run, so the next `up` renders the cluster protected again
    configs = list((engine_env.home / "workspaces").rglob("Pulumi.*.yaml"))
    assert configs and not [p for p in configs if "releaseDeletionProtection" in p.read_text(encoding="utf-8")]
    assert _cluster(engine_env)["outputs"]["deletionProtection"] is True
    # and once the cause is gone, the same command finishes the job
    ok("destroy", spec, "-p", "eks", "-y", "--force")
    assert live(engine_env) == []
    assert [e["id"] for e in cloud.read_log(engine_env.cloud) if e["op"] == "update"] == [record["id"]]


def test_force_refuses_when_the_unprotect_update_would_change_more_than_the_guard(engine_env: Env) -> None:
    """A targeted update applies every pending change of the cluster: when the spec no longer matches what was
    deployed, turning the guard off would also change the cluster (here its tags) right before deleting it.
    The engine's own preview says so, and destroy stops with nothing changed."""
    spec, _ = _prod_up(engine_env)
    before = live(engine_env)
    engine_env.spec.write_text(engine_env.spec.read_text(encoding="utf-8").replace("team: platform", "team: data"),
                               encoding="utf-8")
    start = len(cloud.read_log(engine_env.cloud))
    result = kf("destroy", spec, "-p", "eks", "-y", "--force")
    assert result.exit_code == 2, result.output
    assert "refusing to turn deletion protection off" in result.output and "tags" in result.output
    assert "`kubefleet up` this spec first" in result.output
    assert live(engine_env) == before
    assert not [e for e in _ops_since(engine_env, start) if e["op"] in ("update", "delete")]
