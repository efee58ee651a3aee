"""Policies: rules as plain functions over the spec and the rendered graph, the offline check, and the
CrossGuard pack (PulumiPolicy.yaml + __main__.py) that wraps the same rules.

Importing this package imports neither pulumi_policy nor the renderer; :mod:`kubefleet.policies.pack`
does, and only the pack's entry point builds the PolicyPack.
"""

from __future__ import annotations

from kubefleet.policies.config import PolicyConfig, load_policy_config, parse_policy_config
from kubefleet.policies.engine import CheckResult, check
from kubefleet.policies.model import Finding, Level, Rule
from kubefleet.policies.report import findings_markdown
from kubefleet.policies.rules import RULES

__all__ = [
    "RULES",
    "CheckResult",
    "Finding",
    "Level",
    "PolicyConfig",
    "Rule",
    "check",
    "findings_markdown",
    "load_policy_config",
    "parse_policy_config",
]
