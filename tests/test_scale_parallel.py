"""Many clusters at once (issue 14): `policy check` and `compare` render the cache misses in worker
processes first (``kubefleet.render.cache.warm``) and then read them back in order. The parallel path must give
exactly what the sequential one gives (``KUBEFLEET_NO_CACHE=1`` renders in-process, one after another),
in the same order, with the same errors and exit codes, and must never hide a worker that died."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from kubefleet.cli.app import app
from kubefleet.render import cache as render_cache
from tests.conftest import example_files
from tests.hostile_cases import good_spec

runner = CliRunner()
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the warm-up forks workers on Linux only")
DAY = "2026-11-27"


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Two workers even on a one-CPU machine; records what every warm-up rendered in its workers."""
    monkeypatch.setattr(render_cache, "_cpus", lambda: 2)
    rendered: list[int] = []
    real = render_cache.warm

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(*args, **kwargs)
        rendered.append(done)
        return done

    monkeypatch.setattr(render_cache, "warm", recording)
    return rendered


def _both(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Result, Result]:
    """(parallel result, sequential result) of the same command."""
    parallel = runner.invoke(app, args)
    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")
    sequential = runner.invoke(app, args)
    monkeypatch.delenv("KUBEFLEET_NO_CACHE")
    return parallel, sequential


def _many(directory: Path, count: int) -> Path:
    directory.mkdir(exist_ok=True)
    for i in range(count):
        (directory / f"c{i:02d}.yaml").write_text(good_spec(f"c{i:02d}", str(1 + i % 4)), encoding="utf-8")
    return directory


@linux_only
def test_policy_check_of_the_examples_is_the_sequential_check(workers: list[int],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["policy", "check", *map(str, example_files()), "-p", "kubeadm,eks", "--as-of", DAY, "-o", "json"]
    parallel, sequential = _both(args, monkeypatch)
    assert workers and workers[0] > 0, "the examples were not rendered in workers"
    assert parallel.exit_code == sequential.exit_code, (parallel.output, sequential.output)
    assert json.loads(parallel.stdout) == json.loads(sequential.stdout)
    again = runner.invoke(app, args)  # everything is a cache hit now
    assert workers[-1] == 0 and again.stdout == parallel.stdout


@linux_only
def test_compare_of_many_clusters_keeps_the_file_order(workers: list[int], monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    # kubeadm first in the file, then managed providers: the workers take the heaviest first, the output
    # must still follow the file
    path = tmp_path / "many.yaml"
    path.write_text("---\n".join(good_spec(f"c{i:02d}", str(1 + i % 5)) for i in range(12)), encoding="utf-8")
    args = ["compare", str(path), "--providers", "kubeadm,eks", "--as-of", DAY, "-o", "json"]
    parallel, sequential = _both(args, monkeypatch)
    assert workers and workers[0] > 0
    assert parallel.exit_code == sequential.exit_code == 0, parallel.output
    assert parallel.stdout == sequential.stdout
    names = [item["cluster"] for item in json.loads(parallel.stdout)["items"]]
    assert names == [f"c{i:02d}" for i in range(12)]


@linux_only
def test_an_invalid_spec_among_many_gives_its_position_and_exit_2(workers: list[int],
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    directory = _many(tmp_path / "specs", 20)
    (directory / "c13.yaml").write_text(good_spec("c13").replace("vcpus: 4", "vcpus: 4000"), encoding="utf-8")
    args = ["policy", "check", str(directory), "-p", "kubeadm", "--as-of", DAY]
    parallel, sequential = _both(args, monkeypatch)
    for result in (parallel, sequential):
        assert result.exit_code == 2, result.output
        assert f"{directory / 'c13.yaml'}:12:24: spec.nodePools[0].machine.vcpus" in result.stderr
        assert "Traceback" not in result.output


@linux_only
def test_a_spec_that_fails_to_render_among_many_fails_as_it_does_sequentially(workers: list[int],
                                                                             monkeypatch: pytest.MonkeyPatch,
                                                                             tmp_path: Path) -> None:
    # validates (<= 192 vCPU), but no EKS instance type has 4,000 GiB: a catalog error at render time,
    # inside a worker first; the in-process render reports it, in order, as the `renders` finding on eks
    # (exit 1: a mandatory finding; the other clusters are still checked)
    directory = _many(tmp_path / "specs", 8)
    big = good_spec("c05").replace("vcpus: 4, memoryGiB: 16", "vcpus: 190, memoryGiB: 4000")
    (directory / "c05.yaml").write_text(big, encoding="utf-8")
    args = ["policy", "check", str(directory), "-p", "eks", "--as-of", DAY, "-o", "json"]
    parallel, sequential = _both(args, monkeypatch)
    assert workers and workers[0] > 0
    assert parallel.exit_code == sequential.exit_code == 1, parallel.output
    assert parallel.stdout == sequential.stdout
    renders = [f for f in json.loads(parallel.stdout)["findings"] if f["rule"] == "renders"]
    assert [(f["cluster"], f["provider"]) for f in renders] == [("c05", "eks")]
    assert "no current-generation eks instance type" in renders[0]["message"]


@linux_only
def test_a_worker_that_dies_is_reported_and_its_work_done_in_process(workers: list[int],
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    import kubefleet.render.offline as render_mod

    real = render_mod.render_resolved
    parent = os.getpid()

    def dies_in_a_worker(cluster):  # type: ignore[no-untyped-def]
        if os.getpid() != parent and cluster.spec.name == "c03":
            os._exit(9)  # what the OOM killer or a crash in C code looks like to the pool
        return real(cluster)

    monkeypatch.setattr(render_mod, "render_resolved", dies_in_a_worker)  # inherited by the forked workers
    directory = _many(tmp_path / "specs", 8)
    args = ["policy", "check", str(directory), "-p", "kubeadm", "--as-of", DAY, "-o", "json"]
    result = runner.invoke(app, args)
    assert "warning: a render worker process died" in result.stderr, result.stderr
    monkeypatch.setattr(render_mod, "render_resolved", real)
    monkeypatch.setenv("KUBEFLEET_NO_CACHE", "1")
    sequential = runner.invoke(app, args)
    assert result.exit_code == sequential.exit_code
    assert json.loads(result.stdout) == json.loads(sequential.stdout)
    assert [c["cluster"] for c in json.loads(result.stdout)["checked"]] == [f"c{i:02d}" for i in range(8)]


@linux_only
def test_progress_goes_to_stderr_for_large_jobs_only(workers: list[int], tmp_path: Path) -> None:
    big = runner.invoke(app, ["policy", "check", str(_many(tmp_path / "big", 18)), "-p", "kubeadm",
                              "--as-of", DAY, "-o", "json"])
    assert "policy check: rendering offline in 2 worker processes" in big.stderr, big.stderr
    assert "policy check: clusters: 18/18" in big.stderr
    json.loads(big.stdout)  # stdout stays machine-readable
    small = runner.invoke(app, ["policy", "check", str(_many(tmp_path / "small", 3)), "-p", "kubeadm",
                                "--as-of", DAY])
    assert "rendering offline" not in small.stderr and "policy check: clusters" not in small.stderr, small.stderr


def test_fleet_says_how_far_it_is_without_a_terminal(tmp_path: Path) -> None:
    directory = tmp_path / "fleet"
    directory.mkdir()
    for i in range(18):  # 18 different blueprints: nothing is shared between them
        (directory / f"c{i:02d}.yaml").write_text(good_spec(f"c{i:02d}", str(1 + i)), encoding="utf-8")
    result = runner.invoke(app, ["fleet", str(directory), "--no-compare", "--as-of", DAY, "-o", "json"])
    assert result.exit_code == 0, result.output
    assert "fleet: pricing: 18 to do" in result.stderr and "fleet: pricing: 18/18" in result.stderr, result.stderr
    assert len(json.loads(result.stdout)["clusters"]) == 18


def test_a_render_leaves_the_garbage_collector_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from kubefleet.catalog import load_catalog
    from kubefleet.errors import RenderError
    from kubefleet.render.offline import render
    from kubefleet.spec.loader import load_text

    spec = load_text(good_spec("gc"), "gc.yaml")[0].spec
    catalog = load_catalog()
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    import kubefleet.providers.kubeadm.adapter as adapter

    real = adapter.KubeadmAdapter.build

    def watching(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(adapter.KubeadmAdapter, "build", watching)
    render(spec, "kubeadm", catalog=catalog)
    assert seen[-1][0] > before[0] and gc.get_threshold() == before and gc.isenabled()

    def broken(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("simulated SDK argument error")

    monkeypatch.setattr(adapter.KubeadmAdapter, "build", broken)
    with pytest.raises(RenderError):
        render(spec, "kubeadm", catalog=catalog)
    assert gc.get_threshold() == before
    gc.disable()  # someone else's choice is kept
    try:
        monkeypatch.setattr(adapter.KubeadmAdapter, "build", watching)
        render(spec, "kubeadm", catalog=catalog)
        assert seen[-1] == before and not gc.isenabled()
    finally:
        gc.enable()
