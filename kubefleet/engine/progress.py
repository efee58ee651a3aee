"""Typed engine events -> neutral progress records the CLI draws (rich bar or plain lines).

The Automation API calls ``on_event`` with ``pulumi.automation.events.EngineEvent`` objects from a
watcher thread. :class:`EventRouter` turns resource pre/outputs/failed events into
:class:`StepProgress`, error and warning diagnostics into :class:`Diagnostic` (secrets scrubbed), and
forwards every event to any extra listeners (e.g. a :class:`kubefleet.changes.model.ChangeCollector`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kubefleet.changes.model import ENGINE_OPS, INTERNAL_TYPE_PREFIXES
from kubefleet.engine.tracebacks import condense_tracebacks
from kubefleet.redact import scrub

if TYPE_CHECKING:
    from pulumi.automation.events import EngineEvent, StepEventMetadata

Phase = Literal["start", "done", "failed"]

#: how a step reads in a progress line, by engine op
VERBS: dict[str, str] = {
    "create": "creating", "import": "importing", "update": "updating", "replace": "replacing",
    "create-replacement": "creating replacement", "delete-replaced": "deleting replaced",
    "delete": "deleting", "refresh": "refreshing", "read": "reading", "same": "unchanged",
}


@dataclass(frozen=True)
class StepProgress:
    """One resource step starting, finishing or failing."""

    urn: str
    type: str
    name: str
    op: str  # the engine's op (create, update, create-replacement, refresh, ...)
    phase: Phase
    planning: bool  # True during a preview (nothing is changed)

    @property
    def changes_anything(self) -> bool:
        return ENGINE_OPS.get(self.op, "same") != "same"

    def line(self) -> str:
        verb = VERBS.get(self.op, self.op)
        if self.phase == "done":
            verb = {"creating": "created", "updating": "updated", "replacing": "replaced",
                    "deleting": "deleted", "refreshing": "refreshed", "reading": "read",
                    "importing": "imported", "creating replacement": "created replacement",
                    "deleting replaced": "deleted replaced"}.get(verb, verb)
        elif self.phase == "failed":
            verb = f"FAILED {verb}"
        return f"{verb} {self.type} {self.name}"


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning", and with --debug "info" | "debug"
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class PolicyViolation:
    """A policy pack's finding, as the engine reports it (``pulumi.automation.events.PolicyEvent``)."""

    pack: str
    policy: str
    level: str  # "advisory" | "mandatory" | "remediate" | "disabled"
    message: str
    urn: str | None = None

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def line(self) -> str:
        where = f" ({self.urn.rsplit('::', 1)[-1]})" if self.urn else ""
        return f"{self.level} policy {self.policy} of {self.pack}{where}: {self.message}"


def _step(meta: StepEventMetadata, phase: Phase, planning: bool) -> StepProgress | None:
    if meta.type.startswith(INTERNAL_TYPE_PREFIXES):
        return None
    op = meta.op.value if hasattr(meta.op, "value") else str(meta.op)
    name = meta.urn.rsplit("::", 1)[-1] if "::" in meta.urn else meta.urn
    return StepProgress(urn=meta.urn, type=meta.type, name=name, op=op, phase=phase, planning=planning)


def step_from_event(event: EngineEvent) -> StepProgress | None:
    """The progress record in an engine event, if it is about a resource step."""
    if event.resource_pre_event is not None:
        return _step(event.resource_pre_event.metadata, "start", bool(event.resource_pre_event.planning))
    if event.res_outputs_event is not None:
        return _step(event.res_outputs_event.metadata, "done", bool(event.res_outputs_event.planning))
    if event.res_op_failed_event is not None:
        return _step(event.res_op_failed_event.metadata, "failed", False)
    return None


class EventRouter:
    """The ``on_event`` callback: progress to ``on_step``, diagnostics to ``on_diagnostic``, all events
    to ``listeners``. Callbacks run on the Automation API's watcher thread, one at a time."""

    def __init__(
        self,
        on_step: Callable[[StepProgress], None] | None = None,
        on_diagnostic: Callable[[Diagnostic], None] | None = None,
        listeners: Iterable[Callable[[EngineEvent], None]] = (),
        secrets: Iterable[str] = (),
        debug: bool = False,
    ) -> None:
        self.on_step = on_step
        self.on_diagnostic = on_diagnostic
        self.listeners = list(listeners)
        self._secrets = [s for s in secrets if s]
        self._shown = ("error", "warning", "info", "debug") if debug else ("error", "warning")
        self._lock = threading.Lock()
        self.summary: dict[str, int] | None = None
        self.failed = 0
        self.violations: list[PolicyViolation] = []

    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            for listener in self.listeners:
                listener(event)
            step = step_from_event(event)
            if step is not None:
                if step.phase == "failed":
                    self.failed += 1
                if self.on_step is not None:
                    self.on_step(step)
            diag = event.diagnostic_event
            if diag is not None and self.on_diagnostic is not None and not diag.ephemeral:
                severity = diag.severity.split("#", 1)[0]
                if severity in self._shown:
                    message = scrub(condense_tracebacks(diag.message).strip(), self._secrets)
                    if message:
                        self.on_diagnostic(Diagnostic(severity=severity, message=message, urn=diag.urn))
            policy = event.policy_event
            if policy is not None:
                found = PolicyViolation(pack=policy.policy_pack_name, policy=policy.policy_name,
                                        level=policy.enforcement_level,
                                        message=scrub(" ".join(policy.message.split()), self._secrets),
                                        urn=policy.resource_urn)
                self.violations.append(found)
                if self.on_diagnostic is not None:
                    self.on_diagnostic(Diagnostic(severity="error" if found.mandatory else "warning",
                                                  message=found.line(), urn=found.urn))
            if event.summary_event is not None:
                self.summary = {str(getattr(k, "value", k)): int(v)
                                for k, v in event.summary_event.resource_changes.items()}
