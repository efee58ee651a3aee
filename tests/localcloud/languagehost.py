"""A test-only stand-in for ``pulumi-language-python``, used for ONE thing: running a Python policy
pack (``--policy-pack``) through the engine.

Why: the Go module proxy serves no version of ``github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-
python/v3`` (403 "not available"), so ``scripts/build-pulumi-cli.sh`` cannot build the real host. The
inline Automation API program does not need one (the Python SDK serves the language runtime itself and
passes ``--client`` to the CLI); policy packs do: the engine boots a pack directory through its
runtime's ``RunPlugin`` (pulumi/pulumi@v3.274.0 pkg/resource/plugin/plugin.go:530-600).

``RunPlugin`` does what the real host's does (pulumi/pulumi sdk/python/cmd/pulumi-language-python/
main.go, ``RunPlugin``): resolve the pack's ``virtualenv`` option against its directory (a plugin never
runs in the ambient Python: a missing virtualenv is an error), run ``<venv>/bin/python
<program_directory> <args...>`` in ``pwd`` with the engine's environment, and stream stdout/stderr
and the exit code back. Every other method answers UNIMPLEMENTED.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2


def _virtualenv(root: str, options: dict[str, Any]) -> Path:
    venv = str(options.get("virtualenv") or "venv")
    path = Path(venv) if os.path.isabs(venv) else Path(root) / venv
    return path.resolve()


class PolicyOnlyLanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        from importlib.metadata import version

        return plugin_pb2.PluginInfo(version=version("pulumi"))

    def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:
        from google.protobuf import json_format

        info = request.info
        options = json_format.MessageToDict(info.options) if info.HasField("options") else {}
        venv = _virtualenv(info.root_directory, options)
        python = venv / "bin" / "python"
        if not python.exists():
            context.abort(grpc.StatusCode.UNKNOWN,
                          f"The 'virtualenv' option in PulumiPolicy.yaml is set to {options.get('virtualenv')!r}, "
                          f"but {venv} doesn't appear to be a virtual environment.")
        env = dict(item.split("=", 1) for item in request.env if "=" in item)
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.Popen([str(python), info.program_directory, *request.args], cwd=request.pwd or None,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        chunks: list[Any] = []
        cond = threading.Condition()

        def pump(stream: Any, field: str) -> None:
            for data in iter(lambda: stream.read1(4096), b""):
                with cond:
                    chunks.append(language_pb2.RunPluginResponse(**{field: data}))
                    cond.notify()
            with cond:
                chunks.append(None)
                cond.notify()

        threads = [threading.Thread(target=pump, args=(proc.stdout, "stdout"), daemon=True),
                   threading.Thread(target=pump, args=(proc.stderr, "stderr"), daemon=True)]
        for thread in threads:
            thread.start()
        closed = 0
        context.add_callback(proc.kill)
        while closed < 2:
            with cond:
                while not chunks:
                    cond.wait()
                item = chunks.pop(0)
            if item is None:
                closed += 1
            else:
                yield item
        yield language_pb2.RunPluginResponse(exitcode=proc.wait())


def serve() -> None:
    from tests.localcloud.plugin import serve_plugin

    serve_plugin(lambda server: language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        PolicyOnlyLanguageHost(), server))


if __name__ == "__main__":
    serve()
