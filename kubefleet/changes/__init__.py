"""Changes: what would change between two states of a cluster, in resource and in spec terms.

Owns the change model shared by the offline diff and the engine's previews (:mod:`.model`: operations,
input changes, secrets masked), the offline pull-request diff of two specs rendered and priced
(:mod:`.diff`), and drift — the cloud against the spec, named by spec field and priced (:mod:`.drift`).
It may import the cost model and the pricer, the graph, the spec and the adapters' registry (the
replace/update rules live in each adapter); the report layer formats what it returns.
"""
