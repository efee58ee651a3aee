"""The GKE scope stack: what exists once per GCP project, declared once (providers/scope.py).

* **Project APIs** (``gcp.projects.Service``): the APIs the cluster programs call — GKE
  (``container``), Compute Engine (networks, firewalls), IAM (the node service account), Resource Manager
  (its ``projects.IAMMember`` bindings read and write the project policy); with a managed mesh also the fleet
  API (``gkehub``) and Cloud Service Mesh (``mesh``), which the ``servicemesh`` Feature needs first (as in
  GoogleCloudPlatform/terraform-google-enterprise-application PR #27, 4-fleetscope/modules/env_baseline/asm.tf).
  ``disable_on_destroy=False``: pulumi-gcp 10.2.0's ``projects.ServiceArgs`` says disabling on destroy "should
  generally only be true in configurations that manage the organizations.Project resource itself" — other
  workloads of the project may use the API, so destroying the scope leaves the APIs on.
* **The fleet's ``servicemesh`` Feature**: one per project (a second create is refused with 409 "already
  exists", terraform-google-modules/terraform-google-kubernetes-engine#1590: "The servicemesh
  gke_hub_feature should only be created once per fleet (i.e. once per project)").

Adoption: when the Feature already exists and this scope stack did not create it (no ``kubefleet-scope``
label of this stack — e.g. enabled in the console, or left behind by an older kubefleet that declared it in
each cluster stack with retain-on-delete), the program adopts it with Pulumi's ``import`` resource option,
with the id the ``gkehub.getFeature`` data source returns. ``import`` rather than a plain get: the scope
stack must *own* the Feature to converge it on later runs and to show it in its state, and ``import`` leaves
it untouched (the engine refuses the import if the program would change it; the properties someone else set —
labels, spec, fleet defaults — are ignored, so they never count as a difference). On later runs the same id
is already in the state and the engine treats the resource like any other (pulumi/pulumi@0fcd6a8:
developer-docs/architecture/import.md, "import resource option", case 2). An adopted Feature is
retained on ``destroy --scope``: kubefleet gives back what it found.
"""

from __future__ import annotations

from typing import Any, Final

from kubefleet.providers.scope import Scope

CLOUD: Final = "gcp"
FLEET_LOCATION: Final = "global"
MESH_FEATURE: Final = "servicemesh"
MESH_NEED: Final = "mesh"
#: the label a Feature created by a scope stack carries (its stack name): what tells "ours" from "adopt it"
SCOPE_LABEL: Final = "kubefleet-scope"

#: APIs every GKE cluster program calls
BASE_SERVICES: Final = ("compute.googleapis.com", "container.googleapis.com", "iam.googleapis.com",
                        "cloudresourcemanager.googleapis.com")
#: APIs the managed mesh (fleet membership + servicemesh Feature) calls
MESH_SERVICES: Final = ("gkehub.googleapis.com", "mesh.googleapis.com")
#: the not-found text of the getFeature data source (hashicorp/terraform-provider-google@2bdfed3:
#: google/services/gkehub2/data_source_google_gke_hub_feature.go: ``fmt.Errorf("%s not found", id)``)
NOT_FOUND: Final = "not found"
#: what a Google API answers while it is not enabled in the project (HTTP 403 reason SERVICE_DISABLED /
#: accessNotConfigured: "<API> has not been used in project <n> before or it is disabled"): in a fresh project
#: the fleet API is enabled by this very stack, after the program has asked for the Feature - so no Feature
#: can exist yet
API_DISABLED: Final = ("SERVICE_DISABLED", "has not been used in project", "accessNotConfigured")


def feature_id(project: str, name: str = MESH_FEATURE) -> str:
    """The Feature's id, as the provider and the data source build it:
    ``projects/{{project}}/locations/{{location}}/features/{{name}}``."""
    return f"projects/{project}/locations/{FLEET_LOCATION}/features/{name}"


def services(needs: frozenset[str]) -> tuple[str, ...]:
    return BASE_SERVICES + (MESH_SERVICES if MESH_NEED in needs else ())


def resource_name(api: str) -> str:
    return "api-" + api.split(".", 1)[0]


def build(scope: Scope) -> None:
    """Declare the scope's resources and export what the cluster stacks may read."""
    import pulumi
    import pulumi_gcp as gcp

    project = scope.key
    enabled = [
        gcp.projects.Service(
            resource_name(api),
            gcp.projects.ServiceArgs(project=project, service=api, disable_on_destroy=False,
                                     disable_dependent_services=False),
        )
        for api in services(scope.needs)
    ]
    features: list[str] = []
    adopted: list[str] = []
    if MESH_NEED in scope.needs:
        existing = _existing_feature(project)
        label = scope.stack_name[:63]
        adopt = existing is not None and (existing.labels or {}).get(SCOPE_LABEL) != label
        opts = pulumi.ResourceOptions(depends_on=enabled)
        if adopt and existing is not None:
            opts = pulumi.ResourceOptions(depends_on=enabled, import_=existing.id, retain_on_delete=True,
                                          ignore_changes=["labels", "spec", "fleetDefaultMemberConfig"])
            adopted.append(MESH_FEATURE)
        gcp.gkehub.Feature(
            MESH_FEATURE,
            gcp.gkehub.FeatureArgs(name=MESH_FEATURE, project=project, location=FLEET_LOCATION,
                                   labels={SCOPE_LABEL: label, "managed-by": "kubefleet"}),
            opts=opts,
        )
        features.append(MESH_FEATURE)
    pulumi.export("scope", scope.stack_name)
    pulumi.export("project", project)
    pulumi.export("services", list(services(scope.needs)))
    pulumi.export("features", features)
    pulumi.export("adopted", adopted)


def _existing_feature(project: str) -> Any:
    """The project's servicemesh Feature if it exists (the getFeature data source), else None."""
    import pulumi_gcp as gcp

    try:
        return gcp.gkehub.get_feature(name=MESH_FEATURE, location=FLEET_LOCATION, project=project)
    except Exception as err:  # the data source fails when the Feature does not exist
        text = str(err)
        if f"{feature_id(project)} {NOT_FOUND}" in text or any(marker in text for marker in API_DISABLED):
            return None
        raise
