"""Passing typed ``*Args`` objects to azure-native resources whose ARM path has a ``resourceName``.

``ManagedClusterArgs``, ``AgentPoolArgs`` and ``MaintenanceConfigurationArgs`` expose the cluster's ARM
name as ``resource_name``, but the resources' constructors take it as ``resource_name_`` (``resource_name``
is the Pulumi logical name), so ``ManagedCluster(name, ManagedClusterArgs(resource_name=...))`` fails with
"got multiple values for argument 'resource_name'" (pulumi-azure-native 3.x). We still build the typed
Args object (so a wrong keyword fails where it is written) and hand its fields over as keywords.
"""

from __future__ import annotations

from typing import Any


def as_kwargs(args: Any) -> dict[str, Any]:
    """The fields of an azure-native ``*Args`` object as constructor keywords."""
    kwargs = dict(vars(args))
    if "resource_name" in kwargs:
        kwargs["resource_name_"] = kwargs.pop("resource_name")
    return kwargs
