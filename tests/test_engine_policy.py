"""`up/preview --policy-pack`: the engine gets the same pack and the same spec the offline check uses,
and `up` refuses before touching anything when the offline check finds a mandatory violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubefleet.cli.engine_cmds import _policy_setup
from kubefleet.engine.backend import resolve_backend
from kubefleet.engine.workspace import stack_target
from kubefleet.errors import ProblemFound, UsageError
from kubefleet.loader import load_file
from tests.conftest import EXAMPLES, MINIMAL, ROOT


def target_for(path: Path, provider: str):  # type: ignore[no-untyped-def]
    spec = load_file(path)[0].spec
    return stack_target(spec, provider, resolve_backend(None), None)


def test_pack_and_stack_config_for_the_engine() -> None:
    file = EXAMPLES / "sweet-spot.yaml"
    packs, config = _policy_setup(file, target_for(file, "gke"), ROOT / "policies", None, offline_check=True)
    assert packs == [str((ROOT / "policies").resolve())]
    assert config == {"kubefleet:spec": str(file.resolve()), "kubefleet:provider": "gke",
                      "kubefleet:cluster": "sweet-spot"}


def test_policy_config_is_passed_to_the_pack() -> None:
    file = EXAMPLES / "sweet-spot.yaml"
    cfg = ROOT / "policies" / "policy.example.yaml"
    _, config = _policy_setup(file, target_for(file, "eks"), ROOT / "policies", cfg, offline_check=False)
    assert config["kubefleet:policyConfig"] == str(cfg.resolve())


def test_up_refuses_on_a_mandatory_violation(tmp_path: Path) -> None:
    bad = tmp_path / "public-prod.yaml"
    bad.write_text(MINIMAL.replace("env: dev", "env: prod"))  # prod with a public endpoint, zonal pools
    with pytest.raises(ProblemFound) as info:
        _policy_setup(bad, target_for(bad, "gke"), ROOT / "policies", None, offline_check=True)
    assert info.value.exit_code == 1
    assert "nothing was applied" in info.value.message and "prod-private-endpoint" in info.value.message


@pytest.mark.parametrize("pack, config, expect", [
    ("examples", None, "not a policy pack"),
    (None, "policies/policy.example.yaml", "needs --policy-pack"),
])
def test_bad_policy_options(pack: str | None, config: str | None, expect: str) -> None:
    file = EXAMPLES / "sweet-spot.yaml"
    with pytest.raises(UsageError, match=expect):
        _policy_setup(file, target_for(file, "gke"), ROOT / pack if pack else None,
                      ROOT / config if config else None, offline_check=False)
