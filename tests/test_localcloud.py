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
    assert [e["op"] for e in cloud.read_log(state) if e["op"] != "read"] == ["create", "console-edit", "update",
                                                                               "delete"]


def test_a_create_can_be_told_to_fail(gcp: tuple[Any, Path]) -> None:
    stub, state = gcp
    cloud.fail_next(state, POOL, "quota")
    with pytest.raises(grpc.RpcError) as failed:
        stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default", properties=to_struct(_pool())))
    assert "Quota 'CPUS' exceeded" in str(failed.value.details())
    assert cloud.all_resources(state) == []
    again = stub.Create(provider_pb2.CreateRequest(urn=URN, type=POOL, name="e2e-default", properties=to_struct(_pool())))
    assert again.id  # the failure was consumed


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


def _master_record(spec_text: str, role: str = "init", seed: str = "5a") -> dict[str, Any]:
    """A master VM record as the local cloud stores it, its user data built by the kubeadm adapter's own
    functions (the offline render masks it as a secret)."""
    import base64
    import datetime as dt

    from kubefleet.providers.kubeadm import cloudinit, kubeadm_config, pki
    from kubefleet.providers.kubeadm.nodes import ROLE_KEY
    from kubefleet.spec.loader import load_text

    spec = load_text(spec_text)[0].spec
    when = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    material = pki.cluster_pki(seed * 32, "a5" * 32, created_at=when, now=when)
    secrets = kubeadm_config.JoinSecrets(token="abcdef.0123456789abcdef", ca_cert_hash="sha256:" + "cd" * 32)
    name = f"{spec.name}-cp0"
    text = cloudinit.user_data(
        spec, hostname=name, role="init", vip=kubeadm_config.control_plane_vip(spec),
        join_document=kubeadm_config.join_document(spec, name, secrets, None),
        init_documents=kubeadm_config.init_documents(spec, name, secrets), pki=material)
    extra = {"guestinfo.userdata": base64.b64encode(text.encode()).decode(), ROLE_KEY: role}
    vm = "vsphere:index/virtualMachine:VirtualMachine"
    return {"type": vm, "urn": f"urn:pulumi:s::p::{vm}::{name}-{seed}", "id": f"vm-{seed}",
            "inputs": {"extraConfig": extra}, "outputs": {"extraConfig": extra, "defaultIpAddress": "10.0.0.5"}}


KUBEADM_SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: standin
  labels: {team: t, owner: o, cost-center: cc-1, env: dev}
spec:
  provider: kubeadm
  kubernetes: {version: "1.35"}
  region: us-east
  nodePools:
    - {name: general, machine: {vcpus: 2, memoryGiB: 8}, count: 1}
  providers:
    kubeadm: {controlPlaneVip: 127.0.0.1}
"""


def test_the_stand_in_serves_what_kubeadm_would_and_openssl_agrees(tmp_path: Path) -> None:
    """The serving certificate verifies against the CA from the user data (openssl, an oracle we did not
    write) and carries the VIP kubeadm would put on apiserver.crt."""
    import shutil

    from tests.localcloud import apiserver

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (.ci/run installs it)")
    assert apiserver.read_control_plane(tmp_path) == (None, ["no control-plane VM exists yet"])
    cloud.put(tmp_path, _master_record(KUBEADM_SPEC))
    plane, why = apiserver.read_control_plane(tmp_path)
    assert plane is not None and why == []
    assert "127.0.0.1" in plane.ips and "kubernetes.default.svc.cluster.local" in plane.dns_names
    cert, _key = apiserver.serving_certificate(plane)
    leaf = cert.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    (tmp_path / "leaf.pem").write_text(leaf)
    (tmp_path / "ca.pem").write_text(plane.ca_cert_pem)
    verify = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile",
                             str(tmp_path / "ca.pem"), str(tmp_path / "leaf.pem")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    sans = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(tmp_path / "leaf.pem")],
                          capture_output=True, text=True, check=True).stdout
    assert "IP Address:127.0.0.1" in sans


def test_the_stand_in_refuses_masters_with_different_cas(tmp_path: Path) -> None:
    from tests.localcloud import apiserver

    cloud.put(tmp_path, _master_record(KUBEADM_SPEC))
    cloud.put(tmp_path, _master_record(KUBEADM_SPEC, role="control-plane", seed="6b"))
    plane, why = apiserver.read_control_plane(tmp_path)
    assert plane is None and why == ["the 2 masters carry 2 different CAs"]


def test_the_stand_in_binds_loopback_only() -> None:
    from tests.localcloud import apiserver

    with pytest.raises(ValueError, match="only binds loopback"):
        apiserver.require_loopback("10.0.0.10")
    apiserver.require_loopback("127.42.0.10")
