"""The test-only local cloud, spoken to over gRPC with the Pulumi SDK's own client stubs, the way the
engine does: a launcher prints its port, then CheckConfig/Configure/Check/Diff/Create/Read/Update/
Delete/Invoke. Needs no Pulumi CLI, so it runs everywhere (the e2e tests use the same plugin)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.localcloud import cloud
from tests.localcloud.install import install_plugins
from tests.localcloud.plugin import to_dict, to_struct

POOL = "gcp:container/nodePool:NodePool"
URN = f"urn:pulumi:dev::kubefleet::kubefleet:gke:Cluster${POOL}::e2e-default"


@pytest.fixture
def gcp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Path]]:
    state = tmp_path / "cloud"
    monkeypatch.setenv(cloud.STATE_ENV, str(state))
    launchers = install_plugins(tmp_path / "bin", tmp_path / "pulumi-home")
    launcher = next(p for p in launchers if p.name == "pulumi-resource-gcp")
    proc = subprocess.Popen([str(launcher), "127.0.0.1:1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())  # the plugin handshake: first line is the port
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield provider_pb2_grpc.ResourceProviderStub(channel), state
        channel.close()
    finally:
        proc.kill()
        proc.wait()


def _pool(count: int = 2, spot: bool = False) -> dict[str, Any]:
    return {"name": "default", "cluster": "e2e", "location": "us-east1-b", "project": "p", "nodeCount": count,
            "nodeConfig": {"machineType": "e2-standard-2", "spot": spot}}


def test_plugin_lifecycle_over_grpc(gcp: tuple[Any, Path]) -> None:
    stub, state = gcp
    configured = stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True))
    assert configured.supportsPreview and not configured.acceptSecrets
    assert stub.GetPluginInfo(empty_pb2.Empty()).version

    created = stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default",
                                                     properties=to_struct(_pool())))
    assert created.id.startswith("default-")
    assert to_dict(created.properties)["instanceGroupUrls"]  # computed by the cloud
    assert cloud.find(state, POOL, "e2e-default")["outputs"]["nodeCount"] == 2

    # in place: a count change; forced replacement: spot (kubefleet/changes/diff.py registry)
    same = stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, type=POOL, olds=created.properties,
                                              old_inputs=to_struct(_pool()), news=to_struct(_pool())))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    resize = stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, type=POOL, olds=created.properties,
                                                old_inputs=to_struct(_pool()), news=to_struct(_pool(3))))
    assert resize.changes == provider_pb2.DiffResponse.DIFF_SOME and list(resize.replaces) == []
    assert resize.detailedDiff["nodeCount"].kind == provider_pb2.PropertyDiff.UPDATE
    spot = stub.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, type=POOL, olds=created.properties,
                                              old_inputs=to_struct(_pool()), news=to_struct(_pool(spot=True))))
    assert list(spot.replaces) == ["nodeConfig"]
    assert spot.detailedDiff["nodeConfig.spot"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE
    # the program set the pool's `name`, which pulumi-gcp autonames: the bridge asks to delete first
    # (pulumi-terraform-bridge provider.go:1275; pulumi-gcp resources.go:3014 SetAutonaming)
    assert spot.deleteBeforeReplace and not resize.deleteBeforeReplace
    # ... because GKE refuses a second pool of that name in the cluster
    with pytest.raises(grpc.RpcError) as taken:
        stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default", properties=to_struct(_pool())))
    assert "Error 409: Already exists: nodePools/default" in str(taken.value.details())

    # an out-of-band resize shows in Read, as cloud state and as re-derived inputs
    cloud.edit(state, POOL, "e2e-default", {"nodeCount": 5})
    read = stub.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, type=POOL, properties=created.properties,
                                              inputs=to_struct(_pool())))
    assert to_dict(read.properties)["nodeCount"] == 5 and to_dict(read.inputs)["nodeCount"] == 5

    updated = stub.Update(provider_pb2.UpdateRequest(id=created.id, urn=URN, type=POOL, olds=read.properties,
                                                     news=to_struct(_pool())))
    assert to_dict(updated.properties)["nodeCount"] == 2

    stub.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, type=POOL, properties=updated.properties))
    gone = stub.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, type=POOL, properties=updated.properties))
    assert gone.id == ""  # deleted: the engine drops it from state
    assert [e["op"] for e in cloud.read_log(state) if e["op"] != "read"] == ["create", "create-failed", "console-edit",
                                                                               "update", "delete"]


def test_a_create_can_be_told_to_fail(gcp: tuple[Any, Path]) -> None:
    stub, state = gcp
    cloud.fail_next(state, POOL, "quota")
    with pytest.raises(grpc.RpcError) as failed:
        stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default", properties=to_struct(_pool())))
    assert "Quota 'CPUS' exceeded" in str(failed.value.details())
    assert cloud.all_resources(state) == []
    again = stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default", properties=to_struct(_pool())))
    assert again.id  # the failure was consumed


def test_aks_refuses_pool_changes_through_the_cluster_and_new_zones_on_a_pool() -> None:
    """What AKS answers a ManagedCluster / AgentPool PUT (cloud.update_error, each text cited there)."""
    pool = {"name": "system", "vmSize": "Standard_D2s_v5", "availabilityZones": ["1"], "count": 1}
    running = {"agentPoolProfiles": [pool]}
    mc = "azure-native:containerservice:ManagedCluster"
    assert cloud.update_error(mc, running, {"agentPoolProfiles": [{**pool, "count": 3}]}) is None
    assert "Changing property 'agentPoolProfile.vmSize' is not allowed" in str(
        cloud.update_error(mc, running, {"agentPoolProfiles": [{**pool, "vmSize": "Standard_D4s_v5"}]}))
    assert "agentPoolProfile.availabilityZones" in str(
        cloud.update_error(mc, running, {"agentPoolProfiles": [{**pool, "availabilityZones": ["1", "2", "3"]}]}))
    assert "A new agent pool was introduced" in str(
        cloud.update_error(mc, running, {"agentPoolProfiles": [pool, {**pool, "name": "user"}]}))
    ap = "azure-native:containerservice:AgentPool"
    assert cloud.update_error(ap, {"availabilityZones": ["1"]}, {"availabilityZones": ["1"], "count": 4}) is None
    assert "availabilityZones" in str(cloud.update_error(ap, {"availabilityZones": ["1"]}, {"availabilityZones": ["2"]}))


def test_invokes_answer_the_data_sources_the_programs_call(gcp: tuple[Any, Path]) -> None:
    stub, _ = gcp
    zones = stub.Invoke(provider_pb2.InvokeRequest(tok="gcp:compute/getZones:getZones",
                                                   args=to_struct({"region": "us-east1", "project": "p"})))
    assert to_dict(getattr(zones, "return"))["names"] == ["us-east1-a", "us-east1-b", "us-east1-c"]
    with pytest.raises(grpc.RpcError) as unknown:
        stub.Invoke(provider_pb2.InvokeRequest(tok="gcp:compute/getImage:getImage", args=to_struct({})))
    assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_random_values_are_generated_and_every_argument_replaces() -> None:
    value = cloud.random_outputs("random:index/randomString:RandomString",
                                 {"length": 16, "lower": True, "upper": False, "numeric": True, "special": False})
    assert len(value["result"]) == 16 and value["result"] == value["result"].lower()
    seed = cloud.random_outputs("random:index/randomId:RandomId", {"byteLength": 32})
    assert len(seed["hex"]) == 64 and int(seed["dec"]) == int(seed["hex"], 16)


# ------------------------------------------------------------------ the kubeadm API-server stand-in
