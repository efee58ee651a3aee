"""The cluster's generated secrets and the creation time they are dated from.

- bootstrap token: two ``random.RandomString`` parts whose ``keepers`` hold a digest of the node set, so a
  new token is made whenever nodes are added or removed (old nodes never see it: user-data drift is
  ignored, nodes.py); it lives ``TOKEN_TTL`` in the cluster (kubeadm_config.py, bootstrap_token.py);
- CA / admin seeds: ``random.RandomId`` (32 bytes) from which pki.py derives every key;
- the creation time: a ``random.RandomId`` whose ``keepers.createdAt`` is this run's clock on the first
  ``pulumi up`` and, because of ``ignore_changes=["keepers"]``, the value kept in state ever after (Pulumi
  uses the program value only when there is no prior state, then the serialized state value: pulumi/docs
  pull request #16161, content/docs/iac/concepts/options/ignorechanges.md). Certificates are dated from it,
  and only runs within ``INIT_WINDOW`` of it may give the first master ``kubeadm init`` documents.

Every output is marked secret (``additional_secret_outputs``), and so is anything derived from them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from kubefleet.providers.kubeadm.pki import ClusterPki, cluster_pki

_ID_OUTPUTS = ["hex", "b64_std", "b64_url", "dec"]
CREATED_AT_KEY = "createdAt"
#: Runs within this long of the creation time may still give the first master its init documents (a first
#: ``pulumi up`` that failed before the VM was made is retried); the VM's own /readyz probe of the VIP then
#: decides between init and join. Later runs only ever join. Equal to the join token's lifetime.
INIT_WINDOW = dt.timedelta(hours=24)


def parse_time(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class ClusterSecrets:
    token: pulumi.Output[str]  # [a-z0-9]{6}.[a-z0-9]{16}
    pki: pulumi.Output[ClusterPki]
    created_at: pulumi.Output[str]  # ISO 8601, from state
    first_run: pulumi.Output[bool]  # this run creates the cluster
    now: dt.datetime


def node_set_digest(node_names: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(node_names)).encode()).hexdigest()[:16]


def _token_part(name: str, length: int, keepers: dict[str, str], parent: pulumi.Resource) -> random.RandomString:
    return random.RandomString(
        name,
        random.RandomStringArgs(length=length, lower=True, upper=False, numeric=True, special=False, keepers=keepers),
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result"]),
    )


def _seed(name: str, parent: pulumi.Resource) -> random.RandomId:
    return random.RandomId(
        name,
        random.RandomIdArgs(byte_length=32),
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=_ID_OUTPUTS),
    )


def creation_clock(cluster: str, now: dt.datetime, parent: pulumi.Resource) -> pulumi.Output[str]:
    clock = random.RandomId(
        f"{cluster}-created",
        random.RandomIdArgs(byte_length=4, keepers={CREATED_AT_KEY: now.isoformat()}),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["keepers"]),
    )
    return clock.keepers.apply(lambda k: str((k or {}).get(CREATED_AT_KEY) or now.isoformat()))


def cluster_secrets(
    cluster: str, node_names: Sequence[str], parent: pulumi.Resource, now: dt.datetime
) -> ClusterSecrets:
    """``now`` is the resolved cluster's clock (the epoch offline, the wall clock when the engine runs)."""
    when = now
    keepers = {"nodes": node_set_digest(node_names)}
    token_id = _token_part(f"{cluster}-token-id", 6, keepers, parent)
    token_secret = _token_part(f"{cluster}-token-secret", 16, keepers, parent)
    ca_seed = _seed(f"{cluster}-ca-seed", parent)
    admin_seed = _seed(f"{cluster}-admin-seed", parent)
    created_at = creation_clock(cluster, when, parent)
    # The random outputs are already secret (additional_secret_outputs); Output.secret states it again.
    token: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.concat(token_id.result, ".", token_secret.result))
    pki: pulumi.Output[ClusterPki] = pulumi.Output.secret(
        pulumi.Output.all(ca_seed.hex, admin_seed.hex, created_at).apply(
            lambda v: cluster_pki(v[0], v[1], created_at=parse_time(v[2]), now=when)
        )
    )
    first_run = created_at.apply(lambda c: when - parse_time(c) < INIT_WINDOW)
    return ClusterSecrets(token=token, pki=pki, created_at=created_at, first_run=first_run, now=when)
