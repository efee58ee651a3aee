"""Upgrade schedules: the AKS-managed maintenance configurations driven by ``upgrades.maintenanceWindow``.

``aksManagedAutoUpgradeSchedule`` gates the cluster auto-upgrade channel, ``aksManagedNodeOSUpgradeSchedule``
the node-image channel; both get the same weekly window (UTC, at least four hours).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from kubefleet.providers.aks import translate as t
from kubefleet.providers.aks.resource_args import as_kwargs
from kubefleet.spec.model import ClusterSpec


def build_maintenance(
    spec: ClusterSpec,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> list[Any]:
    window = spec.spec.upgrades.maintenance_window
    configs = t.maintenance_configs(spec)
    if window is None or not configs:
        return []
    out = []
    for config_name in configs:
        out.append(
            containerservice.MaintenanceConfiguration(
                f"{spec.name}-{config_name}",
                **as_kwargs(
                    containerservice.MaintenanceConfigurationArgs(
                        resource_group_name=resource_group_name,
                        resource_name=cluster_name,
                        config_name=config_name,
                        maintenance_window=containerservice.MaintenanceWindowArgs(
                            schedule=containerservice.ScheduleArgs(
                                weekly=containerservice.WeeklyScheduleArgs(
                                    day_of_week=t.DAYS[window.day], interval_weeks=1
                                )
                            ),
                            start_time=window.start,
                            duration_hours=window.hours,
                            utc_offset="+00:00",
                        ),
                    )
                ),
                opts=opts,
            )
        )
    return out
