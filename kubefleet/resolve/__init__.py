"""Resolve: turn a spec and a provider into a :class:`~kubefleet.resolve.model.ResolvedCluster`.

Owns instance choice (:mod:`.instances`, :mod:`.matching`), the dated version choices (:mod:`.versions`:
the self-managed Istio release, the AKS add-on revision) and the step that makes them all once
(:mod:`.cluster`). It sits between the spec and the render: it may import the spec, the catalog and the
lifecycle data; the adapters may import only its value types (:mod:`.model`).
"""
