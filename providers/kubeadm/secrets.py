"""The cluster's generated secrets: bootstrap token, certificate key and the CA / admin seeds.

All come from ``pulumi_random`` resources, so they are created once, kept in the (encrypted) state and
stable across runs; every output is marked secret (``additional_secret_outputs``), and so is anything
derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from kubefleet.providers.kubeadm.pki import ClusterPki, cluster_pki

_ID_OUTPUTS = ["hex", "b64_std", "b64_url", "dec"]


@dataclass(frozen=True)
class ClusterSecrets:
    token: pulumi.Output[str]  # [a-z0-9]{6}.[a-z0-9]{16}
    certificate_key: pulumi.Output[str]  # 64 hex characters
    pki: pulumi.Output[ClusterPki]


def _token_part(name: str, length: int, parent: pulumi.Resource) -> random.RandomString:
    return random.RandomString(
        name,
        random.RandomStringArgs(length=length, lower=True, upper=False, numeric=True, special=False),
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result"]),
    )


def _seed(name: str, parent: pulumi.Resource) -> random.RandomId:
    return random.RandomId(
        name,
        random.RandomIdArgs(byte_length=32),
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=_ID_OUTPUTS),
    )


def cluster_secrets(cluster: str, parent: pulumi.Resource) -> ClusterSecrets:
    token_id = _token_part(f"{cluster}-token-id", 6, parent)
    token_secret = _token_part(f"{cluster}-token-secret", 16, parent)
    certificate_key = _seed(f"{cluster}-certificate-key", parent)
    ca_seed = _seed(f"{cluster}-ca-seed", parent)
    admin_seed = _seed(f"{cluster}-admin-seed", parent)
    # The random outputs are already secret (additional_secret_outputs); Output.secret states it again.
    token: pulumi.Output[str] = pulumi.Output.secret(
        pulumi.Output.concat(token_id.result, ".", token_secret.result)
    )
    pki: pulumi.Output[ClusterPki] = pulumi.Output.secret(
        pulumi.Output.all(ca_seed.hex, admin_seed.hex).apply(lambda seeds: cluster_pki(seeds[0], seeds[1]))
    )
    cert_key: pulumi.Output[str] = pulumi.Output.secret(certificate_key.hex)
    return ClusterSecrets(token=token, certificate_key=cert_key, pki=pki)
