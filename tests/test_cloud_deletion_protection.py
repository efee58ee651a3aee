"""The clouds' own deletion guards follow kubefleet's production rule, not ``env: prod`` alone.

README ("Production is a rule you configure"): with the default rule, ``env: prod-eu``, ``production-1``,
``live``, ``environment: production`` and ``stage: prod`` are production and ``preprod`` is not; a cluster
marked ``metadata.protected: true`` is protected whatever its labels. The same rule sets Pulumi's ``protect``
and ``destroy``'s refusal, so an EKS cluster's ``deletionProtection`` (held by the EKS API: botocore eks
``UpdateClusterConfigRequest.deletionProtection``) and GKE's ``deletion_protection`` (the provider's state
guard) must be on exactly when that rule says so: otherwise a cluster `destroy` refuses to delete is not
guarded in the cloud, or one it would delete is.
"""

from __future__ import annotations

import pytest

from kubefleet.render.offline import render
from kubefleet.spec.loader import load_text
from tests.conftest import MINIMAL, shape_resolver

#: (labels line, protected:) -> expected guard, from README's statement of the default rule
CASES = [
    ("env: dev", False, False),
    ("env: prod", False, True),
    ("env: prod-eu", False, True),
    ("env: production-1", False, True),
    ("env: live", False, True),
    ("env: preprod", False, False),
    ("env: dev, stage: prod", False, True),
    ("env: dev", True, True),
]
TYPES = {"gke": "gcp:container/cluster:Cluster", "eks": "aws:eks/cluster:Cluster"}


@pytest.mark.parametrize("provider", sorted(TYPES))
@pytest.mark.parametrize(("labels", "protected", "expected"), CASES)
def test_cloud_deletion_guard_follows_the_production_rule(provider: str, labels: str, protected: bool,
                                                           expected: bool) -> None:
    text = MINIMAL.replace("env: dev", labels)
    if protected:
        text = text.replace("  name: mini\n", "  name: mini\n  protected: true\n")
    graph = render(load_text(text, "mini.yaml")[0].spec, provider, resolver=shape_resolver(provider))
    cluster = graph.one(TYPES[provider])
    assert cluster.get("deletionProtection") is expected
    assert cluster.protect is expected  # Pulumi's protect: the same rule
