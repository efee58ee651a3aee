"""Put the local cloud where the engine finds it: ``pulumi-resource-<package>`` launchers in a bin
directory (for PATH: the engine prefers plugins on $PATH unless PULUMI_IGNORE_AMBIENT_PLUGINS is set,
pulumi/pulumi@v3.274.0 sdk/go/common/workspace/plugins.go:2211-2217) and in PULUMI_HOME's plugin
cache at the versions the installed Python SDKs ask for (so ``pulumi plugin install`` finds them
already installed and downloads nothing: ``HasPlugin`` is "the directory exists and no .partial
file", plugins.go:1966-1980).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

from tests.localcloud.cloud import PACKAGES

ROOT = Path(__file__).resolve().parents[2]


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
    host = bin_dir / "pulumi-language-python"
    host.write_text(
        "#!/bin/sh\n# kubefleet test-only stand-in for pulumi-language-python (tests/localcloud/languagehost.py)\n"
        f"PYTHONPATH='{ROOT}'${{PYTHONPATH:+:$PYTHONPATH}} exec '{sys.executable}' -m tests.localcloud.languagehost "
        "\"$@\"\n", encoding="utf-8")
    os.chmod(host, 0o755)
    written.append(host)
    return written
