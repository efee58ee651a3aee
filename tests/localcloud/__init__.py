"""A test-only local cloud: one Pulumi resource-provider plugin that stands in for gcp, aws,
azure-native, vsphere, kubernetes and random, at the Pulumi provider protocol (think moto/LocalStack).

Never shipped: the wheel holds only ``kubefleet`` (tests/test_packaging.py checks it).

* :mod:`tests.localcloud.cloud` — the cloud: resources as JSON files in a state directory, control
  files that make a create fail (quota, permission) or slow, out-of-band edits
* :mod:`tests.localcloud.plugin` — the ``pulumirpc.ResourceProvider`` gRPC service (the stubs the
  Python SDK ships in ``pulumi.runtime.proto``); started by the engine as ``pulumi-resource-<pkg>``
* :mod:`tests.localcloud.console` — a small "cloud console" CLI for out-of-band changes
* :func:`tests.localcloud.install.install_plugins` — writes the ``pulumi-resource-<pkg>`` launchers
"""
