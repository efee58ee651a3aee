"""The engine path: Pulumi's Automation API driving the one program against real clouds.

Nothing here imports ``pulumi`` at module import time, and nothing here prints: the CLI (``cli/``)
does the talking. Modules:

* :mod:`kubefleet.engine.preflight` — is the Pulumi CLI there? (checked before anything heavy)
* :mod:`kubefleet.engine.backend` — where state lives: the embedded file backend with its generated
  passphrase, or a team backend (Pulumi Cloud, s3://, gs://, azblob://, file://)
* :mod:`kubefleet.engine.errors` — the ONE place that maps ``pulumi.automation`` errors to ours
* :mod:`kubefleet.engine.workspace` — stacks, provider config, plugins, up/preview/refresh/destroy
* :mod:`kubefleet.engine.progress` — typed engine events -> neutral progress records
* :mod:`kubefleet.engine.secrets` — masking and scrubbing, so no secret reaches output
* :mod:`kubefleet.engine.files` — writing private files (kubeconfig) with 0600 permissions
"""
