"""Check a rendered graph against the cloud's own API model (an oracle kubefleet did not write).

The offline render only type-checks against the Pulumi SDK, which validates neither enum values nor
cross-field rules. Each managed-provider adapter maps the Pulumi inputs it renders onto the fields of the
cloud's API model as published in the cloud's official SDK on PyPI (GKE: ``google-cloud-container``'s
``container_v1``; EKS: ``botocore``'s EKS/EC2/IAM service models; AKS: ``azure-mgmt-containerservice``) and
checks enum membership (case-sensitive), required members, ranges and patterns. Those packages are the
optional extra ``kubefleet[verify]``; without it :func:`kubefleet.providers.verify_graph` raises
:class:`VerifyUnavailable` with the install hint.

The mapping lives in each adapter (``providers/<name>/verify.py``), because cloud SDK imports stay inside
their adapter; this module is the neutral contract (report, violation, errors) they fill in, and sits below
the adapters; the dispatch by provider is the registry's (:func:`kubefleet.providers.verify_graph`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubefleet.errors import KubefleetError, ProblemFound

if TYPE_CHECKING:
    pass

INSTALL_HINT = "install the API models: pip install 'kubefleet[verify]'"


@dataclass(frozen=True)
class Violation:
    """One rendered input the cloud's API model would reject."""

    resource: str  # "<type>::<name>" of the rendered resource
    field: str  # Pulumi input path, dotted (list items by index): "nodeConfig.sandboxConfig.sandboxType"
    api_field: str  # the API model's field: "container.v1.SandboxConfig.type"
    value: str  # the rendered value, as text (never a secret: secret inputs are "[secret]" already)
    problem: str  # "not one of the allowed values" | "required member missing" | "out of range" | ...
    allowed: str  # the allowed set / range / pattern, as the model states it
    oracle: str  # which model said so: "google-cloud-container 2.65.0 container_v1.SandboxConfig.Type"

    def render(self) -> str:
        return (f"{self.resource}: {self.field} = {self.value!r}: {self.problem} "
                f"(API field {self.api_field}; allowed: {self.allowed}; per {self.oracle})")

    def as_dict(self) -> dict[str, str]:
        return {"resource": self.resource, "field": self.field, "api_field": self.api_field,
                "value": self.value, "problem": self.problem, "allowed": self.allowed, "oracle": self.oracle}


@dataclass
class VerifyReport:
    """What the oracle checked for one graph, and what it rejected."""

    cluster: str
    provider: str
    oracle: str | None  # the model(s) used, with versions; None = no API model exists for this provider
    checked: int = 0  # number of (resource, field) pairs compared against the model
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # deliberate provider/API differences, with citations

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {"cluster": self.cluster, "provider": self.provider, "oracle": self.oracle,
                "checked": self.checked, "violations": [v.as_dict() for v in self.violations],
                "notes": list(self.notes)}


class VerifyUnavailable(KubefleetError):
    """The API-model packages of the ``verify`` extra are not installed."""


class VerificationFailed(ProblemFound):
    """The oracle rejected at least one rendered input (exit 1: the job ran and found a problem)."""


def raise_on_violations(reports: Iterable[VerifyReport]) -> None:
    bad = [v for r in reports for v in r.violations]
    if bad:
        lines = [v.render() for v in bad]
        raise VerificationFailed(
            f"{len(bad)} rendered input(s) the cloud's API would reject:\n" + "\n".join(lines),
            hint="fix the spec (or report a kubefleet bug if the spec is valid); `plan --verify` checks again",
        )
