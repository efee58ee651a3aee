"""Policy config files: enforcement level and parameters per rule id.

```yaml
apiVersion: kubefleet.dev/v1alpha1
kind: PolicyConfig
rules:
  mesh-overhead: mandatory                 # short form: just the level
  budget-cluster: {level: mandatory, monthlyCap: 5000}
  allowed-regions: {regions: [us-east, europe-west]}
```

Every mistake is a :class:`ConfigError` with ``file:line:col``. Rules not named keep their defaults.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, cast

from ruamel.yaml.comments import CommentedMap

from kubefleet.errors import ConfigError, SpecError
from kubefleet.policies.model import LEVELS, Level, Param, Rule
from kubefleet.policies.rules import RULES
from kubefleet.resolve.cluster import ProtectionRule
from kubefleet.safeio import FileProblem, parse_documents, read_text

API_VERSION: Final = "kubefleet.dev/v1alpha1"
KIND: Final = "PolicyConfig"
MAX_CONFIG_BYTES: Final = 1024 * 1024  # a policy config is a few hundred bytes


@dataclass(frozen=True)
class RuleSettings:
    level: Level
    params: Mapping[str, Any]


@dataclass
class PolicyConfig:
    """Levels and parameters per rule id, over the rules' defaults."""

    levels: dict[str, Level] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<defaults>"

    def settings(self, rule: Rule) -> RuleSettings:
        params = rule.defaults()
        params.update(self.params.get(rule.id, {}))
        return RuleSettings(self.levels.get(rule.id, rule.level), params)

    def level(self, rule_id: str) -> Level:
        return self.settings(RULES[rule_id]).level

    def protection(self) -> ProtectionRule:
        """Which clusters are production: rule prod-deletion-protection's labels and pattern."""
        from kubefleet.policies.rules import protection_rule

        return protection_rule(self.settings(RULES["prod-deletion-protection"]).params)


def default_config() -> PolicyConfig:
    return PolicyConfig()


class _Where:
    """Positions (1-based) inside the parsed document, for error messages."""

    def __init__(self, file: str) -> None:
        self.file = file

    def at(self, node: Any, key: Any = None, *, value: bool = True) -> str:
        line, col = 0, 0
        lc = getattr(node, "lc", None)
        if lc is not None:
            line, col = lc.line, lc.col
            if key is not None:
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    line, col = (lc.value(key) if value else lc.key(key)) if isinstance(node, CommentedMap) \
                        else lc.item(key)
        return f"{self.file}:{line + 1}:{col + 1}"


def _fail(where: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError(f"{where}: {message}", hint=hint)


def coerce_param(param: Param, value: Any, where: str) -> Any:
    """A raw config value -> the parameter's type, or ConfigError naming ``where``."""
    kind = param.kind
    if value is None and param.default is None:
        return None
    if kind in ("str", "regex"):
        if not isinstance(value, str):
            raise _fail(where, f"{param.name} must be a string, not {type(value).__name__}")
        if kind == "regex":
            try:
                re.compile(value)
            except re.error as err:
                raise _fail(where, f"{param.name} is not a valid regular expression: {err}") from None
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(where, f"{param.name} must be a whole number ≥ 0, not {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(where, f"{param.name} must be true or false, not {value!r}")
        return value
    if kind == "decimal":
        return _decimal(param.name, value, where)
    if kind == "str-list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(where, f"{param.name} must be a list of strings", f"e.g. {param.name}: [a, b]")
        return [str(v) for v in value]
    if not isinstance(value, Mapping):
        raise _fail(where, f"{param.name} must be a mapping of name to amount", f"e.g. {param.name}: {{payments: 20000}}")
    return {str(k): _decimal(f"{param.name}.{k}", v, where) for k, v in value.items()}


def _decimal(name: str, value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _fail(where, f"{name} must be a number, not {value!r}")
    try:
        # floats from YAML go through their shortest text form, so 0.15 stays 0.15
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise _fail(where, f"{name} must be a number, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise _fail(where, f"{name} must be a finite number ≥ 0, not {value!r}")
    return amount


def coerce_params(rule: Rule, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Parameters given for ``rule`` (plain mapping, e.g. from Pulumi's policy-pack config)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        param = rule.param(str(key))
        if param is None:
            raise _unknown_param(rule, str(key), where)
        out[param.name] = coerce_param(param, value, where)
    return out


def _unknown_param(rule: Rule, key: str, where: str) -> ConfigError:
    known = [p.name for p in rule.params]
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    else:
        hint = f"{rule.id} takes: " + (", ".join(known) if known else "no parameters, only `level`")
    return _fail(where, f"rule {rule.id!r} has no parameter {key!r}", hint)


def _level(value: Any, where: str) -> Level:
    if value not in LEVELS:
        close = difflib.get_close_matches(str(value), LEVELS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "use advisory, mandatory or disabled"
        raise _fail(where, f"{value!r} is not an enforcement level", hint)
    return cast(Level, value)


def _config_error(err: SpecError) -> ConfigError:
    issue = err.issues[0]
    message = issue.message.replace("invalid YAML:", "not valid YAML:", 1)
    return _fail(f"{issue.file}:{issue.line}:{issue.column}", message, issue.hint)


def parse_policy_config(text: str, file: str = "<string>") -> PolicyConfig:
    """The config in ``text``, parsed by the guarded YAML reader (kubefleet.safeio: bounded values and
    nesting, no self-referencing merge keys, YAML 1.2 core scalars), every problem at file:line:col."""
    w = _Where(file)
    try:
        docs = [d for d in parse_documents(text, file) if d is not None]
    except SpecError as err:
        raise _config_error(err) from None
    if len(docs) > 1:
        raise _fail(w.at(docs[1]), "a policy config is one YAML document", "remove the second `---` document")
    if not docs:
        return PolicyConfig(source=file)
    doc = docs[0]
    if not isinstance(doc, CommentedMap):
        raise _fail(w.at(doc), "a policy config is a mapping with apiVersion, kind and rules")
    for key in doc:
        if key not in ("apiVersion", "kind", "rules"):
            raise _fail(w.at(doc, key, value=False), f"unknown field {key!r}", "a policy config has apiVersion, kind and rules")
    if doc.get("apiVersion", API_VERSION) != API_VERSION:
        raise _fail(w.at(doc, "apiVersion"), f"apiVersion must be {API_VERSION}")
    if doc.get("kind", KIND) != KIND:
        raise _fail(w.at(doc, "kind"), f"kind must be {KIND}")
    rules = doc.get("rules") or {}
    if not isinstance(rules, CommentedMap):
        raise _fail(w.at(doc, "rules"), "rules must be a mapping of rule id to level or settings")
    config = PolicyConfig(source=file)
    for rule_id, entry in rules.items():
        rule = RULES.get(str(rule_id))
        if rule is None:
            close = difflib.get_close_matches(str(rule_id), list(RULES), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "kubefleet policy rules lists them"
            raise _fail(w.at(rules, rule_id, value=False), f"unknown rule {rule_id!r}", hint)
        if isinstance(entry, str):
            config.levels[rule.id] = _level(entry, w.at(rules, rule_id))
            continue
        if not isinstance(entry, CommentedMap):
            raise _fail(w.at(rules, rule_id), f"{rule.id}: give a level or a mapping of level and parameters")
        params: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "level":
                config.levels[rule.id] = _level(value, w.at(entry, key))
                continue
            param = rule.param(str(key))
            if param is None:
                raise _unknown_param(rule, str(key), w.at(entry, key, value=False))
            params[param.name] = coerce_param(param, _plain(value), w.at(entry, key))
        if params:
            config.params[rule.id] = params
    return config


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return str(node)  # ruamel keeps the text ("0.15"); Decimal reads it exactly
    if isinstance(node, str):
        return str(node)
    return node


def load_policy_config(path: str | Path | None) -> PolicyConfig:
    """The config at ``path``; None -> the rules' defaults. Missing or unreadable files are ConfigErrors."""
    if path is None:
        return default_config()
    p = Path(path)
    try:
        text = read_text(p, MAX_CONFIG_BYTES)
    except FileProblem as problem:
        if problem.message == "no such file":
            raise ConfigError(f"{p}: policy config not found",
                              hint="policies/policy.example.yaml shows the format") from None
        raise ConfigError(f"{p}:1:1: cannot read policy config: {problem.message}",
                          hint=problem.hint or "give a policy config file saved on disk") from None
    return parse_policy_config(text, str(p))
