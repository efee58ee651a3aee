"""Select the spec and provider from stack config and run the one program."""

from __future__ import annotations

from pathlib import Path

import pulumi

from kubefleet.errors import UsageError
from kubefleet.providers import check_provider
from kubefleet.render.program import cluster_program
from kubefleet.spec.loader import load_file


def run_from_config(config: pulumi.Config) -> None:
    scope = config.get("scope")
    if scope:  # a project's shared stack (providers/scope.py): kubefleet:scope names the provider
        run_scope_from_config(check_provider(scope))
        return
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


def run_scope_from_config(provider: str) -> None:
    """The shared per-project stack (``kubefleet:scope: gke``; the project from ``gcp:project``; what it holds
    from ``kubefleet:scopeNeeds``, e.g. ``mesh``): the stack cluster stacks of that project reference, under the
    name ``scope-gcp-<project>`` they expect."""
    from kubefleet.providers import get_adapter
    from kubefleet.providers.scope import Scope
    from kubefleet.render.program import scope_program

    probe = get_adapter(provider).scope_cloud()
    key = pulumi.Config(probe[0]).get(probe[1]) if probe else None
    if not probe or not key:
        raise UsageError(f"{provider} has no shared per-project stack, or its project is not set",
                         hint="kubefleet:scope: gke with gcp:project set")
    expected = f"scope-{probe[0]}-{key}"
    if pulumi.get_stack() != expected:
        raise UsageError(f"the scope stack of project {key!r} must be named {expected!r} (cluster stacks reference it "
                         f"by that name), not {pulumi.get_stack()!r}")
    scope_program(Scope(provider, probe[0], key))
