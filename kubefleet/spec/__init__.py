"""The spec: what a user writes, and nothing decided for them yet.

Owns the provider-neutral ``Cluster`` model (:mod:`.model`), the neutral vocabulary of providers and
regions (:mod:`.regions`), loading with file:line:col positions and hostile-input limits (:mod:`.loader`),
the directory walk (:mod:`.files`), the JSON Schema and reference docs generated from the model
(:mod:`.schema`, :mod:`.doc`) and the provider limits the neutral schema allows but one provider's API does
not (:mod:`.limits`). The bottom of the pipeline: it may import only ``kubefleet.errors`` and
``kubefleet.safeio``; everything else may import it.
"""
