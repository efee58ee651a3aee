"""kubefleet's own CrossGuard pack, made runnable by the interpreter kubefleet runs in.

The pack's ``PulumiPolicy.yaml`` names ``virtualenv: ../.venv`` so that ``pulumi preview --policy-pack
policies`` works from a checkout. Installed from a wheel, that venv does not exist (the pack lives in
``site-packages/kubefleet/policies``) and the engine could not boot the pack. So when ``--policy-pack``
names kubefleet's own pack (``kubefleet``, or its directory), kubefleet hands the engine a copy under
``$KUBEFLEET_HOME/policy-pack/<digest>`` whose runtime is the running interpreter: its virtualenv when
kubefleet runs in one, else ``PULUMI_PYTHON_CMD`` (the Python language host's interpreter override,
pulumi/pulumi@v3.274.0 sdk/python/cmd/pulumi-language-python/main.go) set to ``sys.executable``. Other
packs are handed over as they are.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Final

from ruamel.yaml import YAML

from kubefleet.safeio import kubefleet_home

OWN: Final = "kubefleet"
_FILES: Final = ("PulumiPolicy.yaml", "__main__.py")


def own_pack_dir() -> Path:
    import kubefleet.policies

    return Path(kubefleet.policies.__file__).resolve().parent


def is_own(pack: str | Path) -> bool:
    if str(pack) == OWN:
        return True
    path = Path(pack)
    return path.is_dir() and path.resolve() == own_pack_dir()


def _in_virtualenv() -> bool:
    return sys.prefix != sys.base_prefix


def prepare(pack: str | Path, home: Path | None = None) -> tuple[Path, dict[str, str]]:
    """The pack directory to give the engine, and environment variables it needs."""
    if not is_own(pack):
        return Path(pack).resolve(), {}
    source = own_pack_dir()
    yaml = YAML(typ="safe", pure=True)
    project = yaml.load((source / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    options = project.setdefault("runtime", {}).setdefault("options", {})
    env: dict[str, str] = {}
    if _in_virtualenv():
        options["virtualenv"] = sys.prefix
    else:
        options.pop("virtualenv", None)
        env["PULUMI_PYTHON_CMD"] = sys.executable
    buffer = io.StringIO()
    yaml.dump(project, buffer)
    text = buffer.getvalue()
    main = (source / "__main__.py").read_bytes()
    digest = hashlib.sha256(text.encode() + b"\0" + main).hexdigest()[:16]
    target = (home or kubefleet_home()) / "policy-pack" / digest
    if not all((target / name).is_file() for name in _FILES):
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=target.parent))  # private per run (0700)
        (tmp / "PulumiPolicy.yaml").write_text(text, encoding="utf-8")
        (tmp / "__main__.py").write_bytes(main)
        if target.exists() and not all((target / name).is_file() for name in _FILES):
            shutil.rmtree(target, ignore_errors=True)  # a copy left half-made by an interrupted run
        try:
            tmp.replace(target)
        except OSError:  # another run made it first (same content: the name is its digest)
            shutil.rmtree(tmp, ignore_errors=True)
    return target, env
