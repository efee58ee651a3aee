"""Lifecycle: which Kubernetes minors, mesh revisions and Istio releases each provider offers on which date.

Owns the dated compatibility model and its loading (:mod:`.compat`; the data files, each row citing its
source, ship with the catalog in ``kubefleet/catalog/data/compat-*.yaml``) and the checks ``validate``,
``plan`` and ``up`` run before anything is touched (:mod:`.check`). The coming upgrade planner belongs
here. It may import the spec, the catalog's source records and the error family; the resolve step reads it
to make dated choices, and import-linter keeps the adapters away from it.
"""
