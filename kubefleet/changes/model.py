"""The change model: what an update would do to one cluster on one provider.

Built from the engine's typed events (``pulumi.automation.events.ResourcePreEvent`` and its
``StepEventMetadata``: op, ``diffs``, ``detailed_diff``, ``old``/``new`` state), never by scraping
text; the offline ``kubefleet diff`` builds the same records from two rendered graphs. Reports
(``kubefleet.report.pr_markdown``, ``--output json``) render from here.

* :class:`InputChange` — one property: path, old value, new value (secrets are ``[secret]``)
* :class:`ResourceChange` — one resource: op (create/update/replace/delete/same), type, name,
  its input changes, and whether it drifted (changed in the cloud outside the code)
* :class:`ClusterChanges` — all resources of one cluster × provider, with monthly cost before/after
* :class:`ChangeCollector` — an ``on_event`` callback that builds a :class:`ClusterChanges`

A refresh step whose state differs from the cloud is drift. Values are plain JSON data.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

from kubefleet.redact import SECRET, contains_secret, is_secret_marker, is_secret_name, mask

if TYPE_CHECKING:
    from pulumi.automation.events import EngineEvent, StepEventMetadata, StepEventStateMetadata

Op = Literal["create", "update", "replace", "delete", "same"]
OPS: Final[tuple[Op, ...]] = ("create", "update", "replace", "delete", "same")

#: the order reports list resources in (most dangerous first) and how ops merge for one resource
OP_ORDER: Final[dict[str, int]] = {"replace": 0, "delete": 1, "create": 2, "update": 3, "same": 4}

#: engine step op -> our op
ENGINE_OPS: Final[dict[str, Op]] = {
    "create": "create",
    "import": "create",
    "update": "update",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "discard-replaced": "replace",
    "import-replacement": "replace",
    "read-replacement": "replace",
    "delete": "delete",
    "discard": "delete",
    "same": "same",
    "read": "same",
    "refresh": "same",
    "remove-pending-replace": "same",
}

#: engine-internal resources that are not part of the cluster
INTERNAL_TYPE_PREFIXES: Final = ("pulumi:pulumi:", "pulumi:providers:")

ABSENT: Final = None  # an added property has old None; a removed one has new None


@dataclass(frozen=True)
class InputChange:
    """One changed property. ``old``/``new`` are JSON data, ``None`` when absent, ``[secret]`` if secret.
    ``uncertain``: a secret on both sides that may or may not have changed (the offline diff sees masked
    values only)."""

    path: str
    old: Any
    new: Any
    uncertain: bool = False

    @property
    def secret(self) -> bool:
        return self.old == SECRET or self.new == SECRET

    def as_json(self) -> dict[str, Any]:
        data = {"path": self.path, "old": self.old, "new": self.new}
        if self.uncertain:
            data["uncertain"] = True
        return data


@dataclass(frozen=True)
class ResourceChange:
    """What happens to one resource."""

    op: Op
    type: str
    name: str
    inputs: tuple[InputChange, ...] = ()
    drift: bool = False
    #: what the refresh found, old = the recorded state, new = the cloud (``inputs`` of an update read old =
    #: the cloud, new = the program); kept apart so the drift's cloud values are never guessed
    drift_inputs: tuple[InputChange, ...] = field(default=(), compare=False)

    @property
    def destructive(self) -> bool:
        """Replacements and deletions destroy a cloud resource."""
        return self.op in ("replace", "delete")

    def sort_key(self) -> tuple[int, str, str]:
        return (OP_ORDER[self.op], self.type, self.name)

    def as_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "type": self.type,
            "name": self.name,
            "drift": self.drift,
            "inputs": [i.as_json() for i in self.inputs],
        }


@dataclass(frozen=True)
class ClusterChanges:
    """Every resource change for one cluster on one provider, and what it does to the monthly bill."""

    cluster: str
    provider: str
    changes: tuple[ResourceChange, ...]
    monthly_before: Decimal | None = None
    monthly_after: Decimal | None = None

    @property
    def counts(self) -> dict[Op, int]:
        """Resources per op (every op present, zero included)."""
        out: dict[Op, int] = dict.fromkeys(OPS, 0)
        for change in self.changes:
            out[change.op] += 1
        return out

    @property
    def delta(self) -> Decimal | None:
        """Monthly cost after minus before, each rounded to cents first (so the figures shown add up);
        ``None`` unless both are known."""
        if self.monthly_before is None or self.monthly_after is None:
            return None
        return cents(self.monthly_after) - cents(self.monthly_before)

    @property
    def drifted(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.sorted() if c.drift)

    @property
    def destructive(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.sorted() if c.destructive)

    @property
    def has_changes(self) -> bool:
        return any(c.op != "same" for c in self.changes)

    def sorted(self) -> tuple[ResourceChange, ...]:
        return tuple(sorted(self.changes, key=ResourceChange.sort_key))

    def as_json(self) -> dict[str, Any]:
        """The stable ``--output json`` contract (sorted; money as strings)."""
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "counts": dict(self.counts),
            "drift": len(self.drifted),
            "monthly_before": _money_json(self.monthly_before),
            "monthly_after": _money_json(self.monthly_after),
            "monthly_delta": _money_json(self.delta),
            "changes": [c.as_json() for c in self.sorted()],
        }


def cents(value: Decimal) -> Decimal:
    """Round money to cents, half up (how invoices round)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _money_json(value: Decimal | None) -> str | None:
    return None if value is None else str(cents(value))


def changes_json(items: Iterable[ClusterChanges]) -> str:
    """Several clusters as one stable JSON document."""
    data = [c.as_json() for c in sorted(items, key=lambda c: (c.cluster, c.provider))]
    return json.dumps({"clusters": data}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------ property paths

_SEGMENT = re.compile(r'\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.\[\]]+)')


def parse_path(path: str) -> list[str | int]:
    """A Pulumi property path (``a.b[0]["c.d"]``) -> segments."""
    out: list[str | int] = []
    for m in _SEGMENT.finditer(path):
        index, quoted, plain = m.groups()
        if index is not None:
            out.append(int(index))
        elif quoted is not None:
            out.append(quoted.replace('\\"', '"'))
        elif plain is not None:
            out.append(plain)
    return out


def value_at(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or ``None``; a secret on the way makes the result ``[secret]``."""
    node = data
    for segment in parse_path(path):
        if is_secret_marker(node):
            return SECRET
        if isinstance(segment, int) and isinstance(node, list) and segment < len(node):
            node = node[segment]
        elif isinstance(node, Mapping) and str(segment) in node:
            node = node[str(segment)]
        else:
            return ABSENT
    return node


def input_change(path: str, old: Any, new: Any) -> InputChange:
    """An :class:`InputChange` with secrets masked (by marker or by property name)."""
    old_m, new_m = mask(old, path), mask(new, path)
    if contains_secret(old) or contains_secret(new) or is_secret_name(path):
        # a change inside a secret shows only that it changed
        old_m = SECRET if old is not None else None
        new_m = SECRET if new is not None else None
    return InputChange(path=path, old=old_m, new=new_m)


def _deep_diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Paths at which two JSON values differ (dict keys recursed, lists compared whole)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping) and not is_secret_marker(old) and not is_secret_marker(new):
        paths: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{prefix}.{key}" if prefix else str(key)
            paths.extend(_deep_diff(old.get(key), new.get(key), sub))
        return paths
    return [] if old == new else [prefix or "(value)"]


def _state(state: StepEventStateMetadata | None, outputs: bool) -> Mapping[str, Any]:
    if state is None:
        return {}
    data = state.outputs if outputs else state.inputs
    return data or {}


def _lookup(path: str, *sources: Mapping[str, Any]) -> Any:
    """The value at ``path`` in the first source that has it."""
    for source in sources:
        value = value_at(source, path)
        if value is not ABSENT:
            return value
    return ABSENT


def step_inputs(meta: StepEventMetadata, *, refresh: bool = False) -> tuple[InputChange, ...]:
    """The property changes of one step, from its ``detailed_diff`` (else ``diffs``, else a state compare).

    For a refresh step (drift) the compare is between the recorded state and what the cloud reports,
    limited to properties the program sets (its inputs), so computed status fields are not drift.
    """
    op = "refresh" if refresh else (meta.op.value if hasattr(meta.op, "value") else str(meta.op))
    if op in ("delete", "discard", "delete-replaced", "discard-replaced", "same", "read", "remove-pending-replace"):
        return ()
    if op in ("create", "import", "create-replacement") and not meta.detailed_diff and not meta.diffs:
        return ()
    refresh = op == "refresh"
    old_in, new_in = _state(meta.old, outputs=False), _state(meta.new, outputs=False)
    old_out, new_out = _state(meta.old, outputs=True), _state(meta.new, outputs=True)
    if refresh:
        old_src, new_src = (old_out, old_in), (new_out, new_in)
    else:
        old_src, new_src = (old_in, old_out), (new_in, new_out)
    paths: list[str]
    if meta.detailed_diff:
        paths = list(meta.detailed_diff)
    elif meta.diffs:
        paths = list(meta.diffs)
    elif refresh:
        controlled = set(old_in) or set(old_out) | set(new_out)
        paths = [p for p in _deep_diff(old_out, new_out) if parse_path(p)[:1] and str(parse_path(p)[0]) in controlled]
    else:
        paths = _deep_diff(old_in, new_in)
    changes: dict[str, InputChange] = {}
    for path in paths:
        changes[path] = input_change(path, _lookup(path, *old_src), _lookup(path, *new_src))
    return tuple(changes[p] for p in sorted(changes))


def _op_name(meta: StepEventMetadata) -> str:
    return meta.op.value if hasattr(meta.op, "value") else str(meta.op)


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


@dataclass
class _Pending:
    type: str
    name: str
    op: Op | None = None
    inputs: dict[str, InputChange] = field(default_factory=dict)
    drift_inputs: dict[str, InputChange] = field(default_factory=dict)
    steps: set[str] = field(default_factory=set)  # the engine's own op names seen

    def final_op(self) -> Op:
        """The merged op; a resource whose only steps are ``delete-replaced`` and ``remove-pending-replace`` is
        deleted, not replaced: a removed resource that depends on a delete-before-replace resource is deleted
        first and never re-created (seen with pulumi v3.274.0 when a GKE cluster is replaced delete-first and
        a pool is removed in the same update; tests/test_e2e_day2.py)."""
        if self.op == "replace" and "remove-pending-replace" in self.steps and not (
                self.steps & {"create-replacement", "replace"}):
            return "delete"
        return self.op or "same"


class ChangeCollector:
    """An ``on_event`` callback: feed it engine events, then read :meth:`result`.

    Thread-safe (the Automation API calls ``on_event`` from its log-watcher thread).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_urn: dict[str, _Pending] = {}
        self._refreshing: set[str] = set()

    def __call__(self, event: EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None:
            self.add_step(pre.metadata)
            if _op_name(pre.metadata) == "refresh":
                with self._lock:
                    self._refreshing.add(pre.metadata.urn)
        # A refresh step's pre event is sent before the provider's Read, so its old and new states are
        # the same; what the cloud reported (and the engine's diff of it) arrives with the step's outputs
        # event, whose op is "refresh" in `preview --refresh` but "update" (the display op of a refresh
        # that found a difference) in `refresh`. Seen with the real CLI (pulumi v3.274.0;
        # tests/test_e2e_engine.py).
        done = event.res_outputs_event
        if done is not None:
            with self._lock:
                refreshed = done.metadata.urn in self._refreshing
                self._refreshing.discard(done.metadata.urn)
            if refreshed or _op_name(done.metadata) == "refresh":
                self.add_step(done.metadata, refresh=True)

    def add_step(self, meta: StepEventMetadata, *, refresh: bool = False) -> None:
        """Record one step; ``refresh``: it is the result of a refresh whatever its op says."""
        if meta.type.startswith(INTERNAL_TYPE_PREFIXES):
            return
        op_name = "refresh" if refresh else _op_name(meta)
        with self._lock:
            pending = self._by_urn.setdefault(meta.urn, _Pending(type=meta.type, name=_urn_name(meta.urn)))
            inputs = step_inputs(meta, refresh=refresh)
            if op_name == "refresh":
                for change in inputs:
                    pending.drift_inputs[change.path] = change
                if pending.op is None:
                    pending.op = "same"
                return
            pending.steps.add(op_name)
            op = ENGINE_OPS.get(op_name, "same")
            if pending.op is None or OP_ORDER[op] < OP_ORDER[pending.op]:
                pending.op = op
            for change in inputs:
                pending.inputs[change.path] = change

    def resource_changes(self) -> tuple[ResourceChange, ...]:
        with self._lock:
            out = []
            for pending in self._by_urn.values():
                merged = {**pending.drift_inputs, **pending.inputs}
                out.append(ResourceChange(
                    op=pending.final_op(),
                    type=pending.type,
                    name=pending.name,
                    inputs=tuple(merged[p] for p in sorted(merged)),
                    drift=bool(pending.drift_inputs),
                    drift_inputs=tuple(pending.drift_inputs[p] for p in sorted(pending.drift_inputs)),
                ))
        return tuple(sorted(out, key=ResourceChange.sort_key))

    def result(
        self,
        cluster: str,
        provider: str,
        monthly_before: Decimal | None = None,
        monthly_after: Decimal | None = None,
    ) -> ClusterChanges:
        return ClusterChanges(cluster=cluster, provider=provider, changes=self.resource_changes(),
                              monthly_before=monthly_before, monthly_after=monthly_after)


def changes_from_events(
    events: Iterable[EngineEvent],
    cluster: str,
    provider: str,
    monthly_before: Decimal | None = None,
    monthly_after: Decimal | None = None,
) -> ClusterChanges:
    """A :class:`ClusterChanges` from a finished event stream."""
    collector = ChangeCollector()
    for event in events:
        collector(event)
    return collector.result(cluster, provider, monthly_before, monthly_after)
