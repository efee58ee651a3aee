"""`up/preview --policy-pack`: the engine gets the same pack and the same spec the offline check uses,
and `up` refuses before touching anything when the offline check finds a mandatory violation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from kubefleet.cli.engine_cmds import _policy_setup
from kubefleet.engine.backend import resolve_backend
from kubefleet.engine.workspace import stack_target
from kubefleet.errors import ProblemFound, UsageError
from kubefleet.spec.loader import load_file
from tests.conftest import EXAMPLES, MINIMAL, ROOT


def target_for(path: Path, provider: str):  # type: ignore[no-untyped-def]
    spec = load_file(path)[0].spec
    return stack_target(spec, provider, resolve_backend(None), None)


@pytest.mark.parametrize("pack", [Path("kubefleet"), ROOT / "policies"])
def test_own_pack_and_stack_config_for_the_engine(pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kubefleet's own pack (by name or by its directory) is handed to the engine as a copy whose runtime is
    the interpreter running kubefleet: the shipped PulumiPolicy.yaml names ../.venv, which exists only in a
    checkout (tests/test_e2e_engine.py boots the copy through the real engine)."""
    monkeypatch.setenv("KUBEFLEET_HOME", str(tmp_path))
    file = EXAMPLES / "sweet-spot.yaml"
    packs, config, env = _policy_setup(file, target_for(file, "gke"), pack, None, offline_check=True)
    (prepared,) = map(Path, packs)
    assert prepared.parent == tmp_path / "policy-pack"
    project = yaml.safe_load((prepared / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["name"] == "python"
    if sys.prefix != sys.base_prefix:
        assert project["runtime"]["options"]["virtualenv"] == sys.prefix and env == {}
    else:
        assert "virtualenv" not in project["runtime"]["options"] and env == {"PULUMI_PYTHON_CMD": sys.executable}
    assert (prepared / "__main__.py").read_bytes() == (ROOT / "policies" / "__main__.py").read_bytes()
    assert config == {"kubefleet:spec": str(file.resolve()), "kubefleet:provider": "gke",
                      "kubefleet:cluster": "sweet-spot"}
    again, _, _ = _policy_setup(file, target_for(file, "gke"), pack, None, offline_check=False)
    assert again == packs  # reused, not copied per run


def test_another_pack_is_handed_over_as_it_is(tmp_path: Path) -> None:
    pack = tmp_path / "acme-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: nodejs\n", encoding="utf-8")
    file = EXAMPLES / "sweet-spot.yaml"
    packs, _, env = _policy_setup(file, target_for(file, "gke"), pack, None, offline_check=False)
    assert packs == [str(pack.resolve())] and env == {}


def test_policy_config_is_passed_to_the_pack() -> None:
    file = EXAMPLES / "sweet-spot.yaml"
    cfg = ROOT / "policies" / "policy.example.yaml"
    _, config, _ = _policy_setup(file, target_for(file, "eks"), ROOT / "policies", cfg, offline_check=False)
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


def test_a_half_made_pack_copy_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupted run can leave the copy without its files; the next run makes it whole."""
    from kubefleet.engine import policy_pack

    first, _ = policy_pack.prepare("kubefleet", home=tmp_path)
    (first / "__main__.py").unlink()
    again, _ = policy_pack.prepare("kubefleet", home=tmp_path)
    assert again == first and (again / "__main__.py").is_file() and (again / "PulumiPolicy.yaml").is_file()
    assert [p.name for p in again.parent.iterdir()] == [again.name]  # no temporary directories left
