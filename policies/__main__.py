"""The CrossGuard policy pack's entry point (PulumiPolicy.yaml: runtime python).

Pulumi's policy host runs this file as ``__main__``; importing it does nothing, so tests and tools may
import the package freely. The policies themselves are built in :mod:`kubefleet.policies.pack`.
"""

from __future__ import annotations

if __name__ == "__main__":
    from kubefleet.policies.pack import serve

    serve()
