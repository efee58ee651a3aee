"""Policy config files: levels and typed parameters per rule; every mistake with file:line:col."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kubefleet.errors import ConfigError
from kubefleet.policies.config import load_policy_config, parse_policy_config
from kubefleet.policies.rules import RULES
from tests.conftest import ROOT


def test_example_config_loads() -> None:
    cfg = load_policy_config(ROOT / "policies" / "policy.example.yaml")
    assert cfg.settings(RULES["budget-cluster"]).params["monthlyCap"] == Decimal("25000")
    assert cfg.settings(RULES["budget-team"]).params["teamCaps"]["payments"] == Decimal("30000")
    assert cfg.settings(RULES["mesh-overhead"]).params["maxShare"] == Decimal("0.15")
    assert cfg.level("disk-encryption") == "advisory"


def test_defaults_without_a_file() -> None:
    cfg = load_policy_config(None)
    assert cfg.level("ownership-labels") == "mandatory"
    assert cfg.settings(RULES["ownership-labels"]).params["costCenterPattern"] == r"^cc-[0-9]{4}$"


def test_short_and_long_forms() -> None:
    cfg = parse_policy_config("rules:\n  mesh-overhead: mandatory\n  min-workers: {level: disabled, minWorkers: 3}\n")
    assert cfg.level("mesh-overhead") == "mandatory" and cfg.level("min-workers") == "disabled"
    assert cfg.settings(RULES["min-workers"]).params == {"minWorkers": 3, "exempt": ["dev"]}


def test_money_is_decimal() -> None:
    cfg = parse_policy_config('rules: {budget-cluster: {monthlyCap: 1234.10}, budget-team: {teamCaps: {a: "99.99"}}}')
    assert cfg.settings(RULES["budget-cluster"]).params["monthlyCap"] == Decimal("1234.10")
    assert cfg.settings(RULES["budget-team"]).params["teamCaps"] == {"a": Decimal("99.99")}


@pytest.mark.parametrize("text, where, fragment", [
    ("rules:\n  ownership-lables: mandatory\n", "p.yaml:2:3", "did you mean 'ownership-labels'?"),
    ("rules:\n  mesh-overhead: mandatroy\n", "p.yaml:2:18", "did you mean 'mandatory'?"),
    ("rules:\n  mesh-overhead:\n    maxShar: 0.2\n", "p.yaml:3:5", "did you mean 'maxShare'?"),
    ("rules:\n  budget-cluster:\n    monthlyCap: lots\n", "p.yaml:3:17", "monthlyCap must be a number"),
    ("rules:\n  budget-cluster:\n    monthlyCap: -5\n", "p.yaml:3:17", "≥ 0"),
    ("rules:\n  min-workers: {minWorkers: two}\n", "p.yaml:2:29", "whole number"),
    ("rules:\n  allowed-regions: {regions: us-east}\n", "p.yaml:2:30", "list of strings"),
    ("rules:\n  ownership-labels: {costCenterPattern: '(['}\n", "p.yaml:2:41", "not a valid regular expression"),
    ("rules:\n  version-support: {requireStandard: yes please}\n", "p.yaml:2:38", "true or false"),
    ("rules:\n  prod-autoscaling: {level: mandatory, cap: 1}\n", "p.yaml:2:40", "no parameter 'cap'"),
    ("rulez: {}\n", "p.yaml:1:1", "unknown field 'rulez'"),
    ("kind: Cluster\n", "p.yaml:1:7", "kind must be PolicyConfig"),
    ("rules: [a]\n", "p.yaml:1:8", "rules must be a mapping"),
    ("rules:\n  a: [\n", "p.yaml:3:1", "not valid YAML"),
])
def test_mistakes_are_positioned(text: str, where: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_policy_config(text, "p.yaml")
    rendered = err.value.render()
    assert rendered.startswith(where + ":"), rendered
    assert fragment in rendered
    assert err.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policy config not found"):
        load_policy_config(tmp_path / "nope.yaml")


def test_empty_file_is_defaults() -> None:
    assert parse_policy_config("", "e.yaml").levels == {}
