"""Entry point for plain `pulumi up` from the repository (Pulumi.yaml: main: stacks/).

Stack config (stacks/Pulumi.<stack>.yaml) names the spec file and the provider:

    config:
      kubefleet:spec: examples/sweet-spot.yaml
      kubefleet:provider: gke
      kubefleet:cluster: sweet-spot     # which cluster, for multi-document files (optional)
"""

from __future__ import annotations

import pulumi

from kubefleet.stacks.entry import run_from_config

run_from_config(pulumi.Config("kubefleet"))
