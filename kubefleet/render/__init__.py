"""Render: run the one Pulumi program for a resolved cluster and record what it declares.

Owns the program every path runs (:mod:`.program`: plain ``pulumi up``, the Automation API inline program,
the offline render), the offline render under the SDK's own mock monitor (:mod:`.offline`) and the disk
cache of rendered graphs keyed on the resolved cluster (:mod:`.cache`). It may import the spec, the
resolve step, the adapters and the resource graph; it never prices or reports. Submodules are imported
explicitly (``kubefleet.render.offline``): importing this package imports no Pulumi SDK.
"""
