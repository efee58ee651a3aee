"""Put the local cloud where the engine finds it.

* ``pulumi-resource-<package>`` launchers in PULUMI_HOME's plugin cache, at the versions the installed
  Python SDKs ask for: the engine loads them from there, and ``pulumi plugin install`` (which
  ``open_stack`` runs) finds them already installed and downloads nothing (``HasPlugin`` is "the
  directory exists and no .partial file", pulumi/pulumi@v3.274.0 sdk/go/common/workspace/plugins.go:1966-1980).
  The same launchers are also written to ``bin_dir``; putting that on PATH is optional: the engine
  prefers plugins on $PATH (plugins.go:2211-2217) but then warns "using pulumi-resource-<pkg> from
  $PATH" on every run, so the e2e tests leave them off PATH.
* ``pulumi-language-python`` (the policy-pack-only stand-in, :mod:`tests.localcloud.languagehost`) in
  ``bin_dir``, which must be on PATH: language hosts are found on PATH or next to ``pulumi``.
* ``pulumi-resource-pulumi-python``, the dynamic-provider host (for any
  ``pulumi.dynamic`` resource a program declares). Pulumi's CLI distribution bundles this plugin as a launcher of the SDK's own
  ``python -m pulumi.dynamic`` (pulumi/pulumi@332a620 sdk/python/dist/pulumi-resource-pulumi-python); a CLI
  built from its Go module has no such file, so the tests write a launcher of the same SDK module,
  run by the interpreter running the tests.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
from pathlib import Path

from tests.localcloud.cloud import PACKAGES

ROOT = Path(__file__).resolve().parents[2]

#: the CLI version scripts/build-pulumi-cli.sh builds by default (keep the two in step)
PULUMI_VERSION = "v3.274.0"


def find_pulumi_cli() -> tuple[str | None, str]:
    """The directory holding a Pulumi CLI for the tests, or None and why there is none.

    Looked for in order: $KUBEFLEET_TEST_PULUMI_DIR (.ci/run sets it), the build script's cache
    (~/.cache/kubefleet/pulumi-<version>/bin), then `pulumi` on PATH."""
    candidates = []
    if os.environ.get("KUBEFLEET_TEST_PULUMI_DIR"):
        candidates.append(Path(os.environ["KUBEFLEET_TEST_PULUMI_DIR"]))
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubefleet"
    candidates.append(cache / f"pulumi-{PULUMI_VERSION}" / "bin")
    for directory in candidates:
        if (directory / "pulumi").is_file() and os.access(directory / "pulumi", os.X_OK):
            return str(directory), ""
    found = shutil.which("pulumi")
    if found:
        return str(Path(found).parent), ""
    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        return None, ("no Pulumi CLI: Go is not installed, so scripts/build-pulumi-cli.sh cannot build one "
                      "(and there is no `pulumi` on PATH)")
    return None, ("no Pulumi CLI built yet: run scripts/build-pulumi-cli.sh (or set KUBEFLEET_TEST_PULUMI_DIR); "
                  ".ci/run does this")


def launcher(package: str) -> str:
    return (
        "#!/bin/sh\n"
        f"# kubefleet test-only local cloud: the '{package}' provider (tests/localcloud)\n"
        f"PYTHONPATH='{ROOT}'${{PYTHONPATH:+:$PYTHONPATH}} exec '{sys.executable}' -m tests.localcloud.plugin "
        f"{package} \"$@\"\n"
    )


def sdk_version(package: str) -> str | None:
    try:
        return importlib.metadata.version("pulumi_" + package.replace("-", "_"))
    except importlib.metadata.PackageNotFoundError:
        return None


def install_plugins(bin_dir: Path, pulumi_home: Path) -> list[Path]:
    """Write the launchers; returns their paths in ``bin_dir``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for package in PACKAGES:
        text = launcher(package)
        path = bin_dir / f"pulumi-resource-{package}"
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o755)
        written.append(path)
        version = sdk_version(package)
        if version is not None:
            cached = pulumi_home / "plugins" / f"resource-{package}-v{version}"
            cached.mkdir(parents=True, exist_ok=True)
            exe = cached / f"pulumi-resource-{package}"
            exe.write_text(text, encoding="utf-8")
            os.chmod(exe, 0o755)
    dynamic = bin_dir / "pulumi-resource-pulumi-python"
    dynamic.write_text(
        "#!/bin/sh\n# kubefleet tests: the Python SDK's dynamic-provider host, as the CLI distribution bundles it\n"
        f"exec '{sys.executable}' -u -m pulumi.dynamic \"$@\"\n", encoding="utf-8")
    os.chmod(dynamic, 0o755)
    written.append(dynamic)
    host = bin_dir / "pulumi-language-python"
    host.write_text(
        "#!/bin/sh\n# kubefleet test-only stand-in for pulumi-language-python (tests/localcloud/languagehost.py)\n"
        f"PYTHONPATH='{ROOT}'${{PYTHONPATH:+:$PYTHONPATH}} exec '{sys.executable}' -m tests.localcloud.languagehost "
        "\"$@\"\n", encoding="utf-8")
    os.chmod(host, 0o755)
    written.append(host)
    return written
