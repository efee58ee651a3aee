"""How kubefleet authenticates to AWS on EKS: the stack's ``aws:*`` configuration, passed on explicitly.

The adapter declares its own ``aws.Provider`` (region per cluster). An explicit provider does not inherit the
stack's ``aws:`` configuration - only the default provider reads it - so ``aws:profile`` and
``aws:assumeRoles`` set with ``pulumi config set`` would be silently ignored and the program would run as
whatever the ambient credentials are. pulumi-eks handles the same gap by reading ``new pulumi.Config("aws")``
and carrying the profile into the kubeconfig (pulumi/pulumi-eks@7bf0c1b179932ce51cb02dfc4f9bd0d7550cb0cd:
nodejs/eks/cluster/cluster.ts:2102-2112), and by passing ``--role``/``--profile`` to ``aws eks get-token``
(same file, 228-237; it prefers ``--profile`` over ``AWS_PROFILE`` because ambient credentials can override
the variable). kubefleet does both from one place: :func:`stack_auth` reads the stack configuration,
:func:`provider_args` gives the explicit provider the same settings, and :func:`get_token_args` the
kubeconfig's exec plugin (the first assumed role, as the AWS CLI's ``--role-arn``, and the profile).

Ambient environment variables (``AWS_PROFILE``, ``AWS_ROLE_ARN``...) are not read here - the render must not
depend on the environment of the machine that runs it - but both the provider and the AWS CLI honour them
at apply and kubectl time anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

#: pulumi-aws assumeRoles keys (camelCase in stack config) -> ProviderAssumeRoleArgs keyword.
_ASSUME_ROLE_KEYS = {
    "roleArn": "role_arn", "sessionName": "session_name", "externalId": "external_id", "duration": "duration",
    "policy": "policy", "policyArns": "policy_arns", "sourceIdentity": "source_identity", "tags": "tags",
    "transitiveTagKeys": "transitive_tag_keys",
}


@dataclass(frozen=True)
class StackAuth:
    """The ``aws:*`` settings of the stack that decide who the program acts as."""

    profile: str | None = None
    assume_roles: tuple[Mapping[str, Any], ...] = ()
    shared_config_files: tuple[str, ...] = ()
    shared_credentials_files: tuple[str, ...] = ()
    allowed_account_ids: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role_arn(self) -> str | None:
        """The role ``aws eks get-token`` must assume: the last of the chain (the one the provider ends as)."""
        for role in reversed(self.assume_roles):
            arn = role.get("roleArn")
            if isinstance(arn, str) and arn:
                return arn
        return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value)
    return ()


def stack_auth() -> StackAuth:
    """Read ``aws:profile``, ``aws:assumeRoles`` (or the older single ``aws:assumeRole``), shared files and
    allowed accounts from the stack configuration (empty under the offline render)."""
    cfg = pulumi.Config("aws")
    roles: Any = cfg.get_object("assumeRoles") or []
    single = cfg.get_object("assumeRole")
    if not roles and isinstance(single, Mapping):
        roles = [single]
    return StackAuth(
        profile=cfg.get("profile") or None,
        assume_roles=tuple(r for r in roles if isinstance(r, Mapping)) if isinstance(roles, Sequence) else (),
        shared_config_files=_strings(cfg.get_object("sharedConfigFiles")),
        shared_credentials_files=_strings(cfg.get_object("sharedCredentialsFiles")),
        allowed_account_ids=_strings(cfg.get_object("allowedAccountIds")),
    )


def provider_args(region: str, auth: StackAuth) -> aws.ProviderArgs:
    """The explicit provider's arguments: the cluster's region plus the stack's identity settings."""
    roles = [
        aws.ProviderAssumeRoleArgs(**{_ASSUME_ROLE_KEYS[k]: v for k, v in role.items() if k in _ASSUME_ROLE_KEYS})
        for role in auth.assume_roles
    ]
    return aws.ProviderArgs(
        region=region,
        profile=auth.profile,
        assume_roles=roles or None,
        shared_config_files=list(auth.shared_config_files) or None,
        shared_credentials_files=list(auth.shared_credentials_files) or None,
        allowed_account_ids=list(auth.allowed_account_ids) or None,
    )


def get_token_args(auth: StackAuth) -> list[str]:
    """Extra ``aws eks get-token`` arguments so kubectl (and the Helm provider) act as the program does."""
    args: list[str] = []
    if auth.role_arn:
        args += ["--role-arn", auth.role_arn]
    if auth.profile:
        args += ["--profile", auth.profile]
    return args
