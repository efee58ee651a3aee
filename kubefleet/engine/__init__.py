"""The engine path: Pulumi's Automation API driving the one program against real clouds.

Nothing here imports ``pulumi`` at module import time, and nothing here prints: the CLI (``cli/``)
does the talking. Modules:

* :mod:`kubefleet.engine.preflight` — is the Pulumi CLI there? (checked before anything heavy)
* :mod:`kubefleet.engine.backend` — where state lives: the embedded file backend with its generated
  passphrase, or a team backend (Pulumi Cloud, s3://, gs://, azblob://, file://)
* :mod:`kubefleet.engine.errors` — the ONE place that maps ``pulumi.automation`` errors to ours
* :mod:`kubefleet.engine.workspace` — stacks, provider config, plugins, up/preview/refresh/destroy
* :mod:`kubefleet.engine.progress` — typed engine events -> neutral progress records
* :mod:`kubefleet.engine.files` — writing private files (kubeconfig) with 0600 permissions
* :mod:`kubefleet.engine.upgrade` — `upgrade apply`: one control-plane minor per update, each hop gated
  (engine, API server and nodes through the stack's kubeconfig, soak), resumable

Masking and scrubbing of secrets is :mod:`kubefleet.redact` (below every layer: the change model and the
PR comment use it too). The engine may import the render (the program it runs), the change model (engine
events become change records), the policies (the CrossGuard pack) and everything below them; ``fleet`` and
the CLI sit above it.
"""
