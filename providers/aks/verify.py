"""The AKS oracle: rendered ``azure-native:containerservice:*`` inputs checked against the ARM API model in
Microsoft's own Python SDK, ``azure-mgmt-containerservice`` (an oracle kubefleet did not write).

Which API version
    pulumi-azure-native 3.x's default ``containerservice`` module speaks one ARM API version, stated in
    each resource's docstring ("Uses Azure REST API version 2025-09-01" in 3.29.0,
    pulumi_azure_native/containerservice/managed_cluster.py). ``azure-mgmt-containerservice`` ships one
    API version per release since 34.x: 40.1.0 ships exactly 2025-09-01 (its operations send
    ``api-version=2025-09-01``; 40.0.0 ships 2025-08-01, 40.2.0 2025-10-01, 41.x 2026-01-01 and later as
    TypeSpec "hybrid" models without ``_attribute_map``/``_validation``). The ``verify`` extra pins
    40.1.0; both versions are read at run time and any difference is reported as a note.

How inputs map onto the model
    pulumi-azure-native inputs are the REST (camelCase) names with the ARM ``properties`` envelope
    flattened away (the provider is generated from azure-rest-api-specs, which marks ``properties`` as
    ``x-ms-client-flatten``). The SDK's msrest models carry the REST name of every attribute in
    ``_attribute_map[attr]["key"]`` (``"properties.kubernetesVersion"``), so the mapping is read from the
    model, never guessed: REST name = key without the ``properties.`` prefix. Enum classes come from the
    model constructors' annotations (``Union[str, "_models.OSSKU"]``); required members, ranges and
    patterns from ``_validation``; the checks themselves are the SDK serializer's own ``validation``
    rules. Path parameters (``resourceName``, ``agentPoolName``, ``configName``, ``resourceGroupName``)
    are not part of the body model: they are checked by running the SDK's own request builder
    (``build_create_or_update_request``) and applying the constraints it passes for each URL parameter.

Enum membership is checked case-sensitively: ARM often accepts another case on create, but the service
echoes its own spelling back and pulumi-azure-native then shows a diff on every preview.

Not covered by this oracle (no API model in the ``verify`` extra): Microsoft.Network (VNet, subnet, NAT
gateway, public IP), Microsoft.Authorization role assignments, resource groups, and Kubernetes objects
declared through pulumi-kubernetes. The report says so in its notes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module, metadata
from typing import TYPE_CHECKING, Any, Final
from unittest import mock

if TYPE_CHECKING:
    from kubefleet.graph import RenderedResource, ResourceGraph
    from kubefleet.verify import VerifyReport, Violation

MODEL_DIST: Final = "azure-mgmt-containerservice"
#: The release that ships the API version pulumi-azure-native 3.x speaks (see the module docstring).
PINNED_MODEL: Final = "40.1.0"

#: Pulumi type -> (model class, operations module, Pulumi input -> request-builder keyword for URL parameters)
RESOURCES: Final[dict[str, tuple[str, str, dict[str, str]]]] = {
    "azure-native:containerservice:ManagedCluster": (
        "ManagedCluster", "_managed_clusters_operations",
        {"resourceGroupName": "resource_group_name", "resourceName": "resource_name"},
    ),
    "azure-native:containerservice:AgentPool": (
        "AgentPool", "_agent_pools_operations",
        {"resourceGroupName": "resource_group_name", "resourceName": "resource_name",
         "agentPoolName": "agent_pool_name"},
    ),
    "azure-native:containerservice:MaintenanceConfiguration": (
        "MaintenanceConfiguration", "_maintenance_configurations_operations",
        {"resourceGroupName": "resource_group_name", "resourceName": "resource_name",
         "configName": "config_name"},
    ),
}

#: Rules of the SDK serializer's ``validation`` table that apply to a value (``required``/``readonly``
#: are handled separately).
VALUE_RULES: Final = ("minimum", "maximum", "minimum_ex", "maximum_ex", "min_length", "max_length",
                      "pattern", "min_items", "max_items", "unique", "multiple")

_API_VERSION = re.compile(r"Uses Azure REST API version ([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)")
_ENUM_REF = re.compile(r"_models\.([A-Za-z0-9_]+)")
_BASIC: Final[dict[str, tuple[type, ...]]] = {
    "str": (str,), "bool": (bool,), "int": (int,), "float": (int, float), "long": (int,),
}
SECRET: Final = "[secret]"
OFFLINE_SUBSCRIPTION: Final = "00000000-0000-0000-0000-000000000000"


@dataclass
class _Models:
    """The loaded SDK: its models module, operations package, version and the API version it speaks."""

    models: Any
    operations: Any
    serializer_cls: Any
    version: str
    api_version: str
    label: str = field(init=False)

    def __post_init__(self) -> None:
        self.label = f"{MODEL_DIST} {self.version} (ARM API {self.api_version})"


def load_models() -> _Models:
    """Import the SDK lazily; :class:`VerifyUnavailable` when it is missing or has no msrest models."""
    from kubefleet.verify import INSTALL_HINT, VerifyUnavailable

    try:
        models = import_module("azure.mgmt.containerservice.models")
        serialization = import_module("azure.mgmt.containerservice._utils.serialization")
    except ImportError as err:
        raise VerifyUnavailable(f"the AKS API model ({MODEL_DIST}) is not installed: {err}",
                                hint=INSTALL_HINT) from err
    version = metadata.version(MODEL_DIST)
    if not hasattr(models.ManagedCluster, "_attribute_map"):
        raise VerifyUnavailable(
            f"{MODEL_DIST} {version} ships TypeSpec models without the REST attribute map and validation "
            f"table the AKS oracle reads; {PINNED_MODEL} ships the ARM API version pulumi-azure-native speaks",
            hint=f"pip install '{MODEL_DIST}=={PINNED_MODEL}' (or pip install 'kubefleet[verify]')",
        )
    operations = import_module("azure.mgmt.containerservice.operations")
    builder = import_module("azure.mgmt.containerservice.operations._managed_clusters_operations")
    request = builder.build_create_or_update_request(
        resource_group_name="rg", resource_name="c", subscription_id=OFFLINE_SUBSCRIPTION)
    found = re.search(r"api-version=([0-9a-z-]+)", request.url)
    return _Models(models, operations, serialization.Serializer, version, found.group(1) if found else "unknown")


def pulumi_api_version() -> str | None:
    """The ARM API version of pulumi-azure-native's default containerservice module, from its docstring."""
    from importlib.util import find_spec
    from pathlib import Path

    # Read the source without importing it: importing a submodule of pulumi-azure-native's lazily
    # loaded packages directly breaks their attribute access (``containerservice.ManagedCluster``).
    try:
        found_spec = find_spec("pulumi_azure_native")
    except ImportError:  # pragma: no cover - pulumi-azure-native is a core dependency
        return None
    if found_spec is None or not found_spec.submodule_search_locations:
        return None
    source = Path(next(iter(found_spec.submodule_search_locations))) / "containerservice" / "managed_cluster.py"
    if not source.is_file():
        return None
    text = source.read_text(encoding="utf-8")
    found = _API_VERSION.search(text)
    return found.group(1) if found else None


# ---- reading the msrest model ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Field:
    attr: str  # the SDK attribute (snake_case)
    rest: str  # the REST / Pulumi input name (camelCase)
    type: str  # msrest type string: "str", "[str]", "ManagedClusterSKU", "{str}", ...
    rules: Mapping[str, Any]
    enum: Any | None  # the enum class, if the constructor annotates one


def _enum_class(models: Any, annotation: Any) -> Any | None:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    for name in _ENUM_REF.findall(text):
        candidate = getattr(models, name, None)
        if candidate is not None and isinstance(candidate, type) and hasattr(candidate, "__members__"):
            return candidate
    return None


def model_fields(models: Any, cls: Any) -> dict[str, _Field]:
    """REST name -> field of one msrest model, read from ``_attribute_map``/``_validation``/annotations.

    Where two attributes share a REST name after the ``properties.`` envelope is removed (AgentPool's
    read-only resource ``type`` and its writable ``properties.type``), the writable one wins.
    """
    annotations = getattr(cls.__init__, "__annotations__", {})
    out: dict[str, _Field] = {}
    for attr, entry in cls._attribute_map.items():
        key = str(entry["key"])
        rest = key.removeprefix("properties.").replace("\\.", ".")
        rules = cls._validation.get(attr, {})
        item = _Field(attr, rest, str(entry["type"]), rules, _enum_class(models, annotations.get(attr)))
        if rest in out and not out[rest].rules.get("readonly"):
            continue
        out[rest] = item
    return out


# ---- the walk -------------------------------------------------------------------------------------

@dataclass
class _Walk:
    m: _Models
    resource: str
    violations: list[Violation] = field(default_factory=list)
    checked: int = 0

    def add(self, path: str, api: str, value: Any, problem: str, allowed: str, what: str) -> None:
        from kubefleet.verify import Violation

        self.violations.append(Violation(
            resource=self.resource, field=path, api_field=api, value=_text(value), problem=problem,
            allowed=allowed, oracle=f"{self.m.label} {what}"))

    def model(self, cls: Any, data: Any, path: str, skip: frozenset[str] = frozenset()) -> None:
        fields = model_fields(self.m.models, cls)
        if not isinstance(data, Mapping):
            self.checked += 1
            self.add(path or "(inputs)", cls.__name__, data, "expected an object", f"a {cls.__name__} object",
                     f"models.{cls.__name__}")
            return
        for key, value in data.items():
            if key in skip:
                continue
            where = f"{path}.{key}" if path else key
            f = fields.get(key)
            self.checked += 1
            if f is None:
                self.add(where, f"{cls.__name__}.{key}", value, "not a field of the API model",
                         ", ".join(sorted(k for k, v in fields.items() if not v.rules.get("readonly"))),
                         f"models.{cls.__name__}._attribute_map")
                continue
            api = f"{cls.__name__}.{f.attr}"
            if f.rules.get("readonly"):
                self.add(where, api, value, "read-only: set by the service, never sent",
                         "(omit it)", f"models.{cls.__name__}._validation")
                continue
            self.value(f, value, where, api, cls)
        for rest, f in fields.items():
            if f.rules.get("required") and not f.rules.get("readonly") and rest not in data and rest not in skip:
                where = f"{path}.{rest}" if path else rest
                self.checked += 1
                self.add(where, f"{cls.__name__}.{f.attr}", None, "required member missing", "a value",
                         f"models.{cls.__name__}._validation")

    def value(self, f: _Field, value: Any, where: str, api: str, owner: Any) -> None:
        if value is None or value == SECRET:
            return
        for rule in VALUE_RULES:
            if rule in f.rules and _comparable(rule, value):
                broken = self.m.serializer_cls.validation[rule](value, f.rules[rule])
                if broken:
                    self.add(where, api, value, f"violates {rule}", f"{rule} {f.rules[rule]}",
                             f"models.{owner.__name__}._validation")
        typ = f.type
        if typ.startswith("[") and typ.endswith("]"):
            if not isinstance(value, list):
                self.add(where, api, value, "expected a list", typ, f"models.{owner.__name__}._attribute_map")
                return
            inner = _Field(f.attr, f.rest, typ[1:-1], {}, f.enum)
            for i, item in enumerate(value):
                self.value(inner, item, f"{where}.{i}", api, owner)
            return
        if typ.startswith("{") and typ.endswith("}") and f.rest == "userAssignedIdentities" and isinstance(value, list):
            # pulumi-azure-native takes the identities as a list of ARM resource IDs and sends them as the keys
            # of ARM's map (ManagedClusterIdentityArgs.user_assigned_identities: "The keys must be ARM resource
            # IDs"), so the body the model judges is {id: {}}
            value = {str(v): {} for v in value}
        if typ.startswith("{") and typ.endswith("}"):
            if not isinstance(value, Mapping):
                self.add(where, api, value, "expected a map", typ, f"models.{owner.__name__}._attribute_map")
                return
            inner = _Field(f.attr, f.rest, typ[1:-1], {}, f.enum)
            for k, item in value.items():
                self.value(inner, item, f"{where}.{k}", api, owner)
            return
        nested = getattr(self.m.models, typ, None)
        if nested is not None and hasattr(nested, "_attribute_map"):
            self.model(nested, value, where)
            return
        if f.enum is not None and isinstance(value, str):
            allowed = [str(e.value) for e in f.enum]
            if value not in allowed:
                near = [a for a in allowed if a.lower() == value.lower()]
                problem = (f"differs in case from the API's {near[0]!r}" if near
                           else "not one of the allowed values")
                self.add(where, api, value, problem, " | ".join(allowed), f"models.{f.enum.__name__}")
            return
        expected = _BASIC.get(typ)
        if expected is not None and (not isinstance(value, expected) or (typ != "bool" and isinstance(value, bool))):
            self.add(where, api, value, f"expected {typ}", typ, f"models.{owner.__name__}._attribute_map")


def _comparable(rule: str, value: Any) -> bool:
    if rule in ("minimum", "maximum", "minimum_ex", "maximum_ex", "multiple"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if rule == "pattern":
        return isinstance(value, str)
    if rule in ("min_items", "max_items", "unique"):
        return isinstance(value, list)
    return isinstance(value, (str, list))


def _text(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, sort_keys=True, default=str)


# ---- URL parameters, through the SDK's own request builder -----------------------------------------

def check_path(w: _Walk, r: RenderedResource, module: str, params: Mapping[str, str]) -> None:
    """Run the SDK's ``build_create_or_update_request`` and apply the constraints it gives each URL part."""
    ops = import_module(f"azure.mgmt.containerservice.operations.{module}")
    calls: list[tuple[str, Any, dict[str, Any]]] = []
    base = w.m.serializer_cls

    class Recording(base):  # type: ignore[misc, valid-type]
        def url(self, name: str, data: Any, data_type: str, **kwargs: Any) -> Any:
            calls.append((name, data, kwargs))
            return super().url(name, data, data_type, **kwargs)

    kwargs = {sdk: str(r.inputs.get(pulumi_name, "")) for pulumi_name, sdk in params.items()}
    with mock.patch.object(ops, "_SERIALIZER", Recording()):
        ops.build_create_or_update_request(subscription_id=OFFLINE_SUBSCRIPTION, **kwargs)
    by_sdk = {sdk: pulumi_name for pulumi_name, sdk in params.items()}
    for name, data, rules in calls:
        if name not in by_sdk:
            continue
        w.checked += 1
        for rule, limit in rules.items():
            if rule in VALUE_RULES and _comparable(rule, data) and base.validation[rule](data, limit):
                w.add(by_sdk[name], f"URL parameter {{{_camel(name)}}}", data, f"violates {rule}",
                      f"{rule} {limit}", f"operations.{module}.build_create_or_update_request")


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


# ---- the report -----------------------------------------------------------------------------------

def verify_graph(graph: ResourceGraph) -> VerifyReport:
    from kubefleet.verify import VerifyReport

    m = load_models()
    report = VerifyReport(cluster=graph.cluster, provider=graph.provider, oracle=m.label)
    speaks = pulumi_api_version()
    if speaks is None:
        report.notes.append("could not read the ARM API version pulumi-azure-native's containerservice uses")
    elif speaks != m.api_version:
        report.notes.append(
            f"pulumi-azure-native's containerservice speaks ARM API {speaks}, the model is {m.api_version}: "
            f"fields added or removed between them are judged by {m.api_version} "
            f"(install {MODEL_DIST}=={PINNED_MODEL} for 2025-09-01)")
    else:
        report.notes.append(f"pulumi-azure-native's containerservice speaks ARM API {speaks}, the same as the model")
    unchecked: dict[str, int] = {}
    for r in graph.custom():
        entry = RESOURCES.get(r.type)
        if entry is None:
            if r.type.startswith("pulumi:providers:"):
                continue
            unchecked[r.type] = unchecked.get(r.type, 0) + 1
            continue
        cls_name, module, params = entry
        w = _Walk(m, f"{r.type}::{r.name}")
        w.model(getattr(m.models, cls_name), r.inputs, "", skip=frozenset(params))
        check_path(w, r, module, params)
        report.checked += w.checked
        report.violations.extend(w.violations)
    if unchecked:
        listed = ", ".join(f"{t} x{n}" for t, n in sorted(unchecked.items()))
        report.notes.append(f"no API model in the verify extra for: {listed}")
    return report
