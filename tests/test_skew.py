"""Version skew and provider refusals (kubefleet/lifecycle/skew.py).

Oracles: the Kubernetes version-skew policy (kubernetes/website@01bc097:content/en/releases/version-skew-policy.md
:55 kubelet never newer than kube-apiserver, :56 at most three minors older (two below 1.25), :192 kube-apiserver
never skips a minor) and Cluster API's worked example of a chained and efficient upgrade
(kubernetes-sigs/cluster-api@ae7ff047db499ac3858ade268ba38db8c9f128bb:docs/proposals/
20250513-chained-and-efficient-upgrades-for-clusters-with-managed-topologies.md:280-289), reproduced exactly.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubefleet.errors import KubefleetError, UsageError
from kubefleet.lifecycle.skew import (
    PROVIDER_RULES,
    UpgradeRefused,
    chain,
    control_plane_hops,
    kubelet_allowed,
    max_kubelet_lag,
    parse_minor,
    transition_refusal,
)

PROVIDERS = ("gke", "eks", "aks", "kubeadm")


def test_parse_minor_accepts_the_providers_version_spellings() -> None:
    assert parse_minor("1.33") == (1, 33)
    assert parse_minor("v1.33.2") == (1, 33)
    assert parse_minor("1.33.4-gke.1350000") == (1, 33)
    assert parse_minor("1.31.2-eks-7f9249a") == (1, 31)
    for bad in ("", "latest", "1", "1.x", "1.33.4.5", "a" * 500):
        with pytest.raises(UsageError):
            parse_minor(bad)


def test_hops_are_each_minor_after_current_up_to_target() -> None:
    assert control_plane_hops("1.31.4", "1.34") == ["1.32", "1.33", "1.34"]
    assert control_plane_hops("1.33", "1.33.9") == []
    with pytest.raises(UpgradeRefused) as err:
        control_plane_hops("1.35", "1.34")
    assert err.value.exit_code == 2 and isinstance(err.value, KubefleetError)
    assert "downgrade" in err.value.message


def test_cluster_api_worked_example_is_reproduced_exactly() -> None:
    """v1.29.0 -> v1.33.0 on a Cluster API (kubeadm) cluster, proposal lines 284-289."""
    steps = [(s.kind, s.from_minor, s.to_minor) for s in chain("kubeadm", "v1.29.0", "v1.33.0")]
    assert steps == [
        ("control-plane", "1.29", "1.30"),  # workers can remain on v1.29.0
        ("control-plane", "1.30", "1.31"),  # workers can remain on v1.29.0
        ("control-plane", "1.31", "1.32"),
        ("workers", "1.29", "1.32"),  # workers must upgrade to prevent violation of version skew rules
        ("control-plane", "1.32", "1.33"),
        ("workers", "1.32", "1.33"),
    ]


def test_cluster_api_default_worker_plan_matches_for_long_chains() -> None:
    """Cluster API's default workers plan (upgrade_plan.go:216-232): a step every third minor, then the target."""
    for start in range(25, 35):
        for end in range(start + 1, 38):
            want = [f"1.{start + i}" for i in range(1, end - start) if i % 3 == 0] + [f"1.{end}"]
            got = [s.to_minor for s in chain("kubeadm", f"1.{start}", f"1.{end}") if s.kind == "workers"]
            assert got == want, (start, end)


def test_providers_narrower_node_skew_forces_earlier_rollouts() -> None:
    assert max_kubelet_lag("eks", "1.30")[0] == 3
    assert max_kubelet_lag("aks", "1.30")[0] == 2 and "upgrade-node-pools.md:102" in max_kubelet_lag("aks", "1.30")[1]
    assert max_kubelet_lag("gke", "1.30")[0] == 2
    assert max_kubelet_lag("kubeadm", "1.24")[0] == 2  # kubelet < 1.25: two minors (policy line 56)
    steps = [(s.kind, s.to_minor) for s in chain("aks", "1.30", "1.33")]
    assert steps == [("control-plane", "1.31"), ("control-plane", "1.32"), ("workers", "1.32"),
                     ("control-plane", "1.33"), ("workers", "1.33")]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_refuses_a_skip_and_a_downgrade_with_its_rule(provider: str) -> None:
    assert transition_refusal(provider, "1.33", "1.33.7") is None
    assert transition_refusal(provider, "1.33", "1.34") is None
    skip = transition_refusal(provider, "1.32", "1.34")
    assert skip is not None and skip.kind == "skip" and skip.chain == ["1.33", "1.34"]
    assert skip.rule == PROVIDER_RULES[provider].skip and ("@" in skip.rule or skip.rule.startswith("https://"))
    assert "1.32 → 1.33 → 1.34" in skip.hint
    down = transition_refusal(provider, "1.35", "1.34")
    assert down is not None and down.kind == "downgrade" and down.chain == []
    assert down.rule == PROVIDER_RULES[provider].downgrade
    err = down.error()
    assert isinstance(err, UpgradeRefused) and err.exit_code == 2 and err.refusal is down


def test_aks_allows_a_skip_from_an_unsupported_version_or_between_lts() -> None:
    assert transition_refusal("aks", "1.27", "1.30", current_unsupported=True) is None
    assert transition_refusal("aks", "1.27", "1.30", lts=True) is None
    assert transition_refusal("eks", "1.27", "1.30", current_unsupported=True) is not None
    refused = transition_refusal("aks", "1.31", "1.29", current_unsupported=True)
    assert refused is not None and refused.kind == "downgrade"


def test_unknown_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        transition_refusal("openshift", "1.30", "1.31")


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(PROVIDERS), start=st.integers(20, 40), length=st.integers(0, 12),
       lag=st.integers(0, 3))
def test_every_chain_keeps_the_skew(provider: str, start: int, length: int, lag: int) -> None:
    """Every (from, to) pair: each control-plane hop is +1 minor; kubelets are never newer than the API server and
    never more than the allowed lag behind, at every point of the chain; the chain ends with both at target."""
    current, target, workers = f"1.{start}", f"1.{start + length}", f"1.{start - lag}"
    if not kubelet_allowed(provider, current, workers):
        with pytest.raises(UpgradeRefused):
            chain(provider, current, target, workers=workers)
        return
    cp, w = start, start - lag
    steps = chain(provider, current, target, workers=workers)
    for step in steps:
        if step.kind == "control-plane":
            assert parse_minor(step.from_minor)[1] == cp and parse_minor(step.to_minor)[1] == cp + 1
            cp += 1
        else:
            assert parse_minor(step.from_minor)[1] == w and parse_minor(step.to_minor)[1] == cp  # to the CP's version
            w = cp
        # oracle arithmetic from the policy text, not from skew.py: never newer; <= 3 behind (2 below 1.25 and on
        # GKE/AKS, whose documents say two)
        allowed = 2 if (w < 25 or provider in ("gke", "aks")) else 3
        assert w <= cp and cp - w <= allowed, (provider, current, target, workers, step)
    assert cp == start + length and (w == cp or (lag == 0 and length == 0))
    hops = [s for s in steps if s.kind == "control-plane"]
    assert [s.to_minor for s in hops] == control_plane_hops(current, target)
    # efficient: a worker rollout happens only when the next hop would break the skew, or at the end
    rollouts = [i for i, s in enumerate(steps) if s.kind == "workers"]
    for i in rollouts:
        if i != len(steps) - 1:
            nxt = steps[i + 1]
            assert nxt.kind == "control-plane"
            before = parse_minor(steps[i].from_minor)[1]
            nxt_cp = parse_minor(nxt.to_minor)[1]
            assert nxt_cp - before > (2 if (before < 25 or provider in ("gke", "aks")) else 3)


@settings(max_examples=200, deadline=None)
@given(provider=st.sampled_from(PROVIDERS), a=st.integers(20, 40), b=st.integers(20, 40))
def test_refusal_iff_not_same_or_next_minor(provider: str, a: int, b: int) -> None:
    refusal = transition_refusal(provider, f"1.{a}", f"1.{b}")
    assert (refusal is None) == (b in (a, a + 1))
    if refusal is not None and b > a:
        assert refusal.chain == [f"1.{m}" for m in range(a + 1, b + 1)]


def test_upgrade_group_is_registered_with_plan() -> None:
    from typer.testing import CliRunner

    from kubefleet.cli.app import app
    from kubefleet.cli.upgrade_cmds import SUBCOMMAND_MODULES, upgrade_app

    assert isinstance(SUBCOMMAND_MODULES, tuple) and upgrade_app.info.name == "upgrade"
    result = CliRunner().invoke(app, ["upgrade", "--help"])
    assert result.exit_code == 0 and "plan" in result.output
