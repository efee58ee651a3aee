"""The PR workflow (.github/workflows/kubefleet-pr.yml), its shell steps run AS WRITTEN in a scratch git repo.

The workflow file is parsed, every step's ``run:`` script is extracted with its ``env:`` (job and step)
and run with ``bash -e`` (GitHub's default shell on Linux when none is given) in a temporary repository
with a base commit on ``origin/main`` and a head commit, in order, honouring each step's ``if:``. Only
two things are stand-ins, recorded: ``gh`` (GitHub's REST API: a fake that keeps the PR's comments in a
JSON file, logs every call and can answer 403 like a read-only token, printing what gh prints then,
``gh: <message> (HTTP 403)`` — cli/cli@0398466 pkg/cmd/api/api.go) and ``pip`` (kubefleet is already
installed in the test's virtualenv; the stub records the requested package) and ``actions/upload-artifact`` (the
file it would upload is recorded and the step's ``artifact-url`` output is set to a run-artifact URL, as
action.yml of actions/upload-artifact@ea165f8 documents it). ``kubefleet``, ``git``,
``jq`` and ``bash`` are the real ones. Oracles besides the assertions: shellcheck over every script and
actionlint over the file when it is installed (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "kubefleet-pr.yml"
MARKER = "<!-- kubefleet:pr-comment -->"
BOT = "github-actions[bot]"
SERVER, RUN_ID = "https://github.com", "4242"

pytestmark = pytest.mark.slow

SPEC = """\
apiVersion: kubefleet.dev/v1alpha1
kind: Cluster
metadata:
  name: {name}
  labels: {{team: payments, owner: jane-doe, cost-center: cc-1234, env: dev}}
spec:
  provider: gke
  kubernetes: {{version: "1.35"}}
  region: us-east
  nodePools:
    - name: general
      machine: {{vcpus: 4, memoryGiB: 16}}
      autoscaling: {{min: {min}, max: 10}}
"""

FAKE_GH = r'''#!{python}
"""Recording stand-in for `gh api` (GitHub REST): comments live in $FAKE_GH_STATE."""
import json, os, sys
args = sys.argv[1:]
state_path = os.environ["FAKE_GH_STATE"]
state = json.load(open(state_path))
method, path, body = "GET", None, None
i = 1 if args and args[0] == "api" else len(args)
while i < len(args):
    a = args[i]
    if a == "--method":
        method = args[i + 1]; i += 2; continue
    if a == "--input":
        body = json.load(open(args[i + 1]))["body"]; i += 2; continue
    if a == "--paginate":
        i += 1; continue
    path = a; i += 1
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps({{"args": args, "method": method, "path": path, "body": body,
                          "token": os.environ.get("GH_TOKEN")}}) + "\n")
if args[:1] != ["api"]:
    sys.exit("fake gh: only `gh api` is expected")
if state.get("refuse") and method != "GET":
    print(json.dumps({{"message": "Resource not accessible by integration"}}))
    sys.stderr.write("gh: Resource not accessible by integration (HTTP 403)\n")
    sys.exit(1)
if method == "GET":
    print(json.dumps(state["comments"]))
elif method == "PATCH":
    cid = int(path.rsplit("/", 1)[1])
    for c in state["comments"]:
        if c["id"] == cid:
            c["body"] = body
    print(json.dumps({{"id": cid}}))
elif method == "POST":
    cid = 1000 + len(state["comments"])
    state["comments"].append({{"id": cid, "user": {{"login": "github-actions[bot]"}}, "body": body}})
    print(json.dumps({{"id": cid}}))
json.dump(state, open(state_path, "w"))
'''

FAKE_PIP = """#!/bin/sh
# kubefleet is installed in the test's virtualenv already; record what the workflow asked for
echo "$*" >> "$FAKE_PIP_LOG"
"""


def _workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _job() -> dict[str, Any]:
    jobs = _workflow()["jobs"]
    assert list(jobs) == ["diff"]
    job: dict[str, Any] = jobs["diff"]
    return job


# ------------------------------------------------------------------ a tiny GitHub expression evaluator
# Enough for the forms this workflow uses: contexts (github.*, secrets.*, env.*, steps.<id>.outputs.*),
# string literals, == != && || ! and parentheses, always()/success()/failure(). Anything else fails the
# test, so the workflow cannot drift into expressions this runner would silently misread.

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<fn>always|success|failure)\(\)"
                    r"|(?P<ctx>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*))")


def evaluate(expr: str, ctx: dict[str, str], failed: bool) -> Any:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        assert m and m.end() > pos, f"expression not understood by the test runner: {expr!r} at {pos}"
        pos = m.end()
        if m["str"] is not None:
            out.append(repr(m["str"][1:-1].replace("''", "'")))
        elif m["op"] is not None:
            out.append({"&&": " and ", "||": " or ", "!": " not "}.get(m["op"], m["op"]))
        elif m["fn"] is not None:
            out.append({"always": "True", "success": repr(not failed), "failure": repr(failed)}[m["fn"]])
        else:
            name = m["ctx"]
            assert name.split(".")[0] in ("github", "secrets", "env", "steps"), name
            out.append(repr(ctx.get(name, "")))
    return eval("".join(out), {"__builtins__": {}})  # only literals and operators remain


def _render(value: Any, ctx: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        result = evaluate(m.group(1), ctx, False)
        return ("true" if result else "false") if isinstance(result, bool) else str(result)
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


# ------------------------------------------------------------------ the scratch repository and the run


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    return done.stdout.strip()


@dataclass
class Run:
    steps: list[tuple[str, str]] = field(default_factory=list)  # (name, outcome: success/failure/skipped)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    pip: str = ""
    logs: str = ""
    uploaded: dict[str, str] = field(default_factory=dict)  # artifact name -> the file's text

    @property
    def green(self) -> bool:
        return all(outcome != "failure" for _, outcome in self.steps)

    def writes(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] in ("POST", "PATCH")]

    def ours(self) -> dict[str, Any]:
        mine = [c for c in self.comments if c["user"]["login"] == BOT and c["body"].startswith(MARKER)]
        assert len(mine) == 1, self.comments
        return mine[0]


def scratch_repo(tmp_path: Path, base: dict[str, str], head: dict[str, str | None]) -> Path:
    """origin/main = ``base``; HEAD (the PR) = base with ``head`` applied (None deletes; a dict value
    that is a tuple ("mv", old) moves with git mv)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for path, text in base.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, encoding="utf-8")
    (repo / "README.md").write_text("specs only\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-q", "-b", "pr")
    for path, text in head.items():
        target = repo / path
        if text is None:
            _git(repo, "rm", "-q", path)
        elif text.startswith("mv:"):
            target.parent.mkdir(parents=True, exist_ok=True)
            _git(repo, "mv", text[3:], path)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "head")
    return repo


def run_workflow(repo: Path, tmp_path: Path, *, comments: list[dict[str, Any]] | None = None,
                 fork: bool = False, actor: str = "jane-doe", refuse: bool = False,
                 env_overrides: dict[str, str] | None = None, stubs: dict[str, str] | None = None) -> Run:
    job = _job()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, text in (stubs or {}).items():  # more recording stand-ins (e.g. curl for the Pulumi installer)
        (bin_dir / tool).write_text(text, encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    (bin_dir / "gh").write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    (bin_dir / "pip").write_text(FAKE_PIP, encoding="utf-8")
    for tool in ("gh", "pip"):
        (bin_dir / tool).chmod(0o755)
    # `python -m pip install` must hit the recording stub too: a python shim that forwards everything else
    (bin_dir / "python").write_text(
        f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then shift 2; exec "{bin_dir}/pip" "$@"; fi\n'
        f'exec "{sys.executable}" "$@"\n', encoding="utf-8")
    (bin_dir / "python").chmod(0o755)
    kubefleet = Path(sys.executable).parent / "kubefleet"
    assert kubefleet.exists(), "the kubefleet console script must be installed in the test virtualenv"
    (bin_dir / "kubefleet").symlink_to(kubefleet)
    state = tmp_path / "gh-state.json"
    state.write_text(json.dumps({"comments": comments or [], "refuse": refuse}), encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("", encoding="utf-8")
    head_sha = _git(repo, "rev-parse", "HEAD")
    ctx = {
        "github.base_ref": "main",
        "github.event.pull_request.head.sha": head_sha,
        "github.event.pull_request.number": "7",
        "github.repository": "acme/specs",
        "github.event.pull_request.head.repo.full_name": "someone/specs" if fork else "acme/specs",
        "github.actor": actor,
        "github.token": "ghs_read_only" if (fork or refuse) else "ghs_write",
    }
    base_env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "FAKE_GH_STATE": str(state),
        "FAKE_GH_LOG": str(tmp_path / "gh-calls.jsonl"),
        "FAKE_PIP_LOG": str(tmp_path / "pip.log"),
        "GITHUB_STEP_SUMMARY": str(summary),
        # default variables GitHub sets on every runner (docs: "Store information in variables")
        "GITHUB_SERVER_URL": SERVER, "GITHUB_REPOSITORY": "acme/specs", "GITHUB_RUN_ID": RUN_ID,
        "KUBEFLEET_CACHE_DIR": os.environ.get("KUBEFLEET_CACHE_DIR", str(tmp_path / "cache")),
        "LANG": "C.UTF-8",
        # the kubefleet under test (a worktree on PYTHONPATH), not only the one the console script was installed from
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
    }
    job_env = {k: _render(v, ctx) for k, v in (job.get("env") or {}).items()}
    job_env.update(env_overrides or {})
    run = Run()
    failed = False
    for i, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {i}"
        step_ctx = dict(ctx)
        step_ctx.update({f"env.{k}": v for k, v in job_env.items()})
        for sid, outs in run.outputs.items():
            step_ctx.update({f"steps.{sid}.outputs.{k}": v for k, v in outs.items()})
        condition = str(step.get("if", "success()"))
        if not re.search(r"\b(always|success|failure|cancelled)\(\)", condition):
            # GitHub: "a default status check of success() is applied unless you include one of these
            # functions" (docs: workflow syntax, jobs.<job_id>.steps[*].if)
            condition = f"success() && ({condition})"
        if not evaluate(condition, step_ctx, failed):
            run.steps.append((name, "skipped"))
            continue
        if "uses" in step:
            # checkout: the scratch repository is the checkout (fetch-depth 0: every ref is there)
            if str(step["uses"]).startswith("actions/upload-artifact@"):
                where = repo / _render(step["with"]["path"], step_ctx)
                if where.is_file():
                    run.uploaded[step["with"]["name"]] = where.read_text(encoding="utf-8")
                    run.outputs[step["id"]] = {"artifact-url": f"{SERVER}/acme/specs/actions/runs/{RUN_ID}/artifacts/77"}
            run.steps.append((name, "success"))
            continue
        output = tmp_path / f"output-{i}"
        output.write_text("", encoding="utf-8")
        env = {**base_env, **job_env,
               **{k: _render(v, step_ctx) for k, v in (step.get("env") or {}).items()},
               "GITHUB_OUTPUT": str(output)}
        script = tmp_path / f"step-{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(["bash", "-e", str(script)], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        run.logs += f"--- {name} (exit {done.returncode})\n{done.stdout}{done.stderr}"
        outcome = "success" if done.returncode == 0 else "failure"
        run.steps.append((name, outcome))
        failed = failed or outcome == "failure"
        if "id" in step:
            pairs = [line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line]
            run.outputs[step["id"]] = {k: v for k, v in pairs}
    run.summary = summary.read_text(encoding="utf-8")
    log = tmp_path / "gh-calls.jsonl"
    run.calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    run.comments = json.loads(state.read_text())["comments"]
    pip_log = tmp_path / "pip.log"
    run.pip = pip_log.read_text() if pip_log.exists() else ""
    return run


def spec(name: str = "payments", min_nodes: int = 3) -> str:
    return SPEC.format(name=name, min=min_nodes)


# ------------------------------------------------------------------ the cases of issue #15


def _github_paths_filter_runs(on: dict[str, Any], changed: list[str]) -> bool:
    """GitHub's rule: with a `paths` filter the workflow runs only if a file of the PR's three-dot diff
    matches ("If there are no files changed, the workflow will not run" — github/docs
    data/reusables/actions/workflows/triggering-a-workflow-paths5.md)."""
    import fnmatch

    patterns = (on.get("pull_request") or {}).get("paths")
    if patterns is None:
        return True
    return any(fnmatch.fnmatch(f, p.replace("**/", "*")) for f in changed for p in patterns)


def test_a_pr_touching_only_yml_specs_and_a_pr_that_reverts_everything_both_trigger() -> None:
    on = _workflow()["on"]
    assert "pull_request" in on and "pull_request_target" not in on  # never run PR code with a write token
    assert _github_paths_filter_runs(on, ["clusters/payments.yml"])
    assert _github_paths_filter_runs(on, [])  # a revert-everything push: empty three-dot diff


def test_a_yml_spec_is_found_and_priced(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"clusters/payments.yml": spec()}, {"clusters/payments.yml": spec(min_nodes=5)})
    run = run_workflow(repo, tmp_path)
    assert run.green, run.logs
    body = run.ours()["body"]
    assert "Monthly cost will increase by" in body
    assert "kubefleet diff: clusters/payments.yml" in body
    assert run.pip.strip() == "install ."
    assert [c["method"] for c in run.writes()] == ["POST"]
    assert body in run.summary  # the job summary has it too
    # the per-cluster table at the top, the run and the HTML report (uploaded as an artifact) linked
    assert re.search(r"^\| payments \| GKE \| (≥ )?\$[\d,.]+ \| (≥ )?\$[\d,.]+ \| \+\$[\d,.]+ \| \+\d+% \|$", body, re.M), body
    assert body.index("| Cluster | Provider |") < body.index("<details>")
    assert f"[workflow run](<{SERVER}/acme/specs/actions/runs/{RUN_ID}>)" in body
    assert f"[HTML report](<{SERVER}/acme/specs/actions/runs/{RUN_ID}/artifacts/77>)" in body
    page = run.uploaded["kubefleet-report"]
    assert page.lstrip().lower().startswith("<!doctype html") and "payments" in page


def test_fork_and_dependabot_get_the_summary_and_a_green_check(tmp_path: Path) -> None:
    for label, kwargs in (("fork", {"fork": True}), ("dependabot", {"actor": "dependabot[bot]"}),
                          ("403", {"refuse": True})):
        where = tmp_path / label
        where.mkdir()
        repo = scratch_repo(where, {"c.yaml": spec()}, {"c.yaml": spec(min_nodes=4)})
        run = run_workflow(repo, where, **kwargs)  # type: ignore[arg-type]
        assert run.green, (label, run.logs)
        assert "Monthly cost will increase by" in run.summary, label
        assert MARKER in run.summary
        assert run.comments == [], label  # nothing was written
        if label == "403":
            assert [c["method"] for c in run.writes()] == ["POST"]  # tried, was refused, stayed green
            assert "HTTP 403" in run.logs
        else:
            assert run.calls == [], label  # a read-only token is not even tried


def test_an_invalid_spec_is_posted_into_the_sticky_comment_and_fails_the_check(tmp_path: Path) -> None:
    bad = spec().replace("vcpus: 4", "vcpus: four")
    old = {"id": 5, "user": {"login": BOT}, "body": MARKER + "\n## old numbers\n+$999.00/month\n"}
    repo = scratch_repo(tmp_path, {"clusters/p.yaml": spec()}, {"clusters/p.yaml": bad})
    run = run_workflow(repo, tmp_path, comments=[old])
    body = run.ours()["body"]
    assert "$999.00" not in body  # the stale numbers are gone
    assert "invalid" in body
    assert re.search(r"clusters/p\.yaml:\d+:\d+", body), body
    assert run.uploaded == {}  # no report of an invalid spec
    assert [c["method"] for c in run.writes()] == ["PATCH"]
    assert not run.green  # bad input is a red check, after the comment was updated
    assert run.steps[-1][1] == "failure"


def test_a_moved_spec_is_paired_not_created(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"old/payments.yaml": spec()},
                        {"clusters/prod/payments.yaml": "mv:old/payments.yaml"})
    run = run_workflow(repo, tmp_path)
    assert run.green, run.logs
    body = run.ours()["body"]
    assert "old/payments.yaml → clusters/prod/payments.yaml (moved)" in body
    assert "created" not in body and "No changes" in body
    assert "Monthly cost will not change" in body


def test_a_spec_split_across_files_is_diffed_by_cluster_name(tmp_path: Path) -> None:
    """Moved AND edited, and a second cluster moved into another file: matched by metadata.name."""
    repo = scratch_repo(
        tmp_path,
        {"fleet.yaml": spec("payments") + "---\n" + spec("search")},
        {"fleet.yaml": spec("payments"), "search.yaml": spec("search", min_nodes=4)},
    )
    run = run_workflow(repo, tmp_path)
    assert run.green, run.logs
    body = run.ours()["body"]
    # search's pool minimum went 3 -> 4 in its new file: a change of the one cluster, nothing created
    assert re.search(r"\*\*search\*\* · GKE: 1 (changed|replaced), \+\$", body), body
    assert "**payments** · GKE: no changes" in body
    assert "created" not in body and "deleted" not in body
    assert "Spec files: `fleet.yaml`, `search.yaml`" in body


def test_a_pr_that_reverts_every_spec_change_updates_the_comment_to_no_changes(tmp_path: Path) -> None:
    earlier = {"id": 9, "user": {"login": BOT}, "body": MARKER + "\n## kubefleet diff\n+$1,305.00/month\n"}
    repo = scratch_repo(tmp_path, {"c.yaml": spec()}, {})  # head == base for every spec
    run = run_workflow(repo, tmp_path, comments=[earlier])
    assert run.green, run.logs
    body = run.ours()["body"]
    assert "No changes" in body and "$1,305.00" not in body
    assert [c["method"] for c in run.writes()] == ["PATCH"]
    assert run.pip == ""  # nothing to diff: kubefleet is not even installed


def test_no_comment_is_created_for_a_pr_that_never_touched_a_spec(tmp_path: Path) -> None:
    capi = "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Cluster\nmetadata: {name: capi}\n"
    repo = scratch_repo(tmp_path, {"c.yaml": spec(), "capi.yaml": capi},
                        {"README.md": "docs\n", "capi.yaml": capi + "spec: {}\n"})
    run = run_workflow(repo, tmp_path)
    assert run.green, run.logs
    assert run.writes() == [] and run.comments == []


def test_the_sticky_comment_is_found_by_the_bot_author_and_the_marker_only(tmp_path: Path) -> None:
    human = {"id": 1, "user": {"login": "mallory"}, "body": MARKER + "\nquoted by a human"}
    bot_other = {"id": 2, "user": {"login": BOT}, "body": "another bot comment"}
    ours = {"id": 3, "user": {"login": BOT}, "body": MARKER + "\nold"}
    repo = scratch_repo(tmp_path, {"c.yaml": spec()}, {"c.yaml": spec(min_nodes=4)})
    run = run_workflow(repo, tmp_path, comments=[human, bot_other, ours])
    assert [(c["method"], c["path"]) for c in run.writes()] == [("PATCH", "repos/acme/specs/issues/comments/3")]
    assert run.comments[0]["body"] == human["body"]


def test_fail_on_gates_after_the_comment_is_posted(tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path, {"c.yaml": spec()}, {"c.yaml": spec(min_nodes=6)})
    run = run_workflow(repo, tmp_path, env_overrides={"KUBEFLEET_FAIL_ON": "delta>10"})
    body = run.ours()["body"]
    assert "Monthly cost will increase by" in body
    assert not run.green and run.steps[-1][1] == "failure"
    # which condition tripped, and why, with the numbers
    assert "This check fails: --fail-on `delta>10` tripped" in body
    assert re.search(r"`delta>10`: monthly cost \+\$[\d,.]+ \(\$[\d,.]+ → \$[\d,.]+\) is above the limit of \$10\.00", body)


# ------------------------------------------------------------------ hygiene


def test_no_pip_cache_in_a_spec_only_repository() -> None:
    """setup-python's `cache: pip` needs a requirements.txt or pyproject.toml and fails without one
    (actions/setup-python@a26af69 src/cache-distributions/cache-distributor.ts:35)."""
    for step in _job()["steps"]:
        if str(step.get("uses", "")).startswith("actions/setup-python@"):
            assert "cache" not in (step.get("with") or {})


def test_actions_are_pinned_to_commit_shas() -> None:
    # the SHAs were read from the actions' own repositories (tags v4.2.2, v5.6.0, v4.2.3 and v4.6.2)
    pinned = {"actions/checkout": "11bd71901bbe5b1630ceea73d27597364c9af683",
              "actions/setup-python": "a26af69be951a213d495a4c3e4e4022e16d87065",
              "actions/cache": "5a3ec84eff668545956fd18022155c47e93e2684",
              "actions/upload-artifact": "ea165f8d65b6e75b540449e92b4886f43607fa02"}
    uses = [str(s["uses"]) for s in _job()["steps"] if "uses" in s]
    assert uses
    for ref in uses:
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), ref
        assert pinned.get(action) == sha, ref


def test_refs_reach_scripts_through_env_only_and_the_job_has_a_timeout() -> None:
    job = _job()
    assert 0 < int(job["timeout-minutes"]) <= 60
    for step in job["steps"]:
        assert "${{" not in str(step.get("run", "")), step.get("name")


def test_shellcheck_passes_on_every_script() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (.ci/run installs it)")
    for step in _job()["steps"]:
        if "run" not in step:
            continue
        done = subprocess.run(["shellcheck", "--shell=bash", "-"], input=step["run"], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, (step.get("name"), done.stdout)


def test_actionlint_passes() -> None:
    exe = shutil.which("actionlint") or str(Path.home() / "go" / "bin" / "actionlint")
    if not Path(exe).exists():
        pytest.skip("actionlint is not installed (.ci/run installs it with `go install`)")
    done = subprocess.run([exe, str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr



def test_a_live_preview_that_fails_says_so_in_the_comment(tmp_path: Path) -> None:
    """With cloud secrets configured the live step runs `kubefleet preview --refresh` per provider. Here it
    runs for real without a Pulumi CLI (the installer's `curl` is a stand-in that installs nothing), so
    kubefleet exits 2 with its missing-CLI error: the comment must say the live preview failed and why,
    not silently leave it out, and the check still goes green with the offline diff posted."""
    repo = scratch_repo(tmp_path, {"clusters/payments.yaml": spec()}, {"clusters/payments.yaml": spec(min_nodes=5)})
    curl = '#!/bin/sh\necho "curl $*" >> "$HOME/curl.log"\n'
    run = run_workflow(repo, tmp_path, env_overrides={"HAS_CLOUD": "true"}, stubs={"curl": curl})
    assert ("Live preview with drift (only when cloud credentials are configured)", "success") in run.steps, run.logs
    body = run.ours()["body"]
    assert "Monthly cost will increase by" in body  # the offline diff is still there
    assert "_Live preview of clusters/payments.yaml on gke failed (exit 2): error:" in body, body
    assert "Pulumi CLI" in body  # kubefleet's own reason, from its stderr
    assert "get.pulumi.com" in (tmp_path / "home" / "curl.log").read_text(encoding="utf-8")
