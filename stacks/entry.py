"""Select the spec and provider from stack config and run the one program."""

from __future__ import annotations

from pathlib import Path

import pulumi

from kubefleet.errors import UsageError
from kubefleet.providers import check_provider
from kubefleet.render.program import cluster_program
from kubefleet.spec.loader import load_file


def run_from_config(config: pulumi.Config) -> None:
    spec_path = Path(config.require("spec"))
    if not spec_path.is_absolute():
        # Pulumi runs the program with cwd = the directory of `main` (stacks/); specs are named
        # relative to the project root, where Pulumi.yaml lives.
        root = Path(__file__).resolve().parent.parent
        candidates = [Path.cwd() / spec_path, Path.cwd().parent / spec_path, root / spec_path]
        spec_path = next((c for c in candidates if c.exists()), candidates[0])
    specs = load_file(spec_path)
    wanted = config.get("cluster")
    if wanted:
        chosen = [s for s in specs if s.spec.name == wanted]
        if not chosen:
            names = ", ".join(s.spec.name for s in specs)
            raise UsageError(f"{spec_path} has no cluster named {wanted!r}", hint=f"clusters in it: {names}")
        spec = chosen[0].spec
    elif len(specs) == 1:
        spec = specs[0].spec
    else:
        names = ", ".join(s.spec.name for s in specs)
        raise UsageError(f"{spec_path} holds several clusters", hint=f"set kubefleet:cluster to one of: {names}")
    provider = check_provider(config.get("provider") or spec.spec.provider or "")
    from kubefleet.cost.sources.cache import active_catalog  # what `kubefleet plan`/`compare` price with

    protection = None
    policy_config = config.get("policyConfig")
    if policy_config:  # the production rule of the policy config the pack reads, so both agree
        from kubefleet.policies.config import load_policy_config

        protection = load_policy_config(policy_config).protection()
    cluster_program(spec, provider, catalog=active_catalog(), protection=protection)
