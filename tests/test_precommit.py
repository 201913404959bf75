"""The pre-commit hooks, run by the real ``pre-commit`` as a user's project runs them.

pre-commit installs a hook repository from a git commit, so the tests commit a copy of
the working tree (what is being tested, uncommitted changes included) into a temporary
repository. ``try-repo`` builds its own environment each time (one per scenario);
the ``pre-commit run`` tests share one environment through a session-wide
``PRE_COMMIT_HOME``. Installing needs the package index pip is configured with.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / ".pre-commit-hooks.yaml"

BUG = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log(torch.softmax(x, dim=1))\n"
FIXED = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log_softmax(x, dim=1)\n"
CLEAN = "import torch\n\ny = torch.log_softmax(torch.randn(2, 3), dim=1)\n"


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment without git's per-repository variables (set when the
    suite itself runs inside a git hook), with a commit identity and our hook home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    return {**env, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never",
            "GIT_AUTHOR_NAME": "nanlint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
            "GIT_COMMITTER_NAME": "nanlint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid"}


def run(*args, cwd, env, timeout=600):
    return subprocess.run([*map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def pre_commit(*args, cwd, env):
    return run(sys.executable, "-m", "pre_commit", *args, cwd=cwd, env=env)


def git(*args, cwd, env):
    result = run("git", *args, cwd=cwd, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def git_repo(path: Path, files: dict[str, str], env) -> Path:
    """A git repository holding ``files``, all staged (pre-commit checks tracked files)."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=path, env=env)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git("add", "-A", cwd=path, env=env)
    return path


@pytest.fixture(scope="session")
def env(tmp_path_factory):
    return _environment(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="session")
def checkout(tmp_path_factory, env):
    """The working tree (the files git would commit: tracked or not ignored) committed
    into a repository of its own, and its commit."""
    path = tmp_path_factory.mktemp("hook-repo") / "nanlint"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO, env=env)
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():  # a tracked file deleted in the working tree is not copied
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, path / name)
    git_repo(path, {}, env)
    git("commit", "-q", "--no-verify", "-m", "snapshot of the working tree", cwd=path, env=env)
    return path, git("rev-parse", "HEAD", cwd=path, env=env)


def project_config(checkout) -> str:
    path, rev = checkout
    return yaml.safe_dump({"repos": [{"repo": str(path), "rev": rev,
                                      "hooks": [{"id": "nanlint"}, {"id": "nanlint-fix"}]}]})


# The manifest


def test_manifest_is_valid_for_pre_commit():
    result = run(sys.executable, "-m", "pre_commit", "validate-manifest", MANIFEST, cwd=REPO, env=os.environ)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_declares_the_check_and_the_fix_hook():
    hooks = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text())}
    assert set(hooks) == {"nanlint", "nanlint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["require_serial"] is True
        assert "--force-exclude" in hook["entry"].split()
        assert tuple(map(int, hook["minimum_pre_commit_version"].split("."))) >= (2, 9, 0)  # types_or
    assert "--fix" in hooks["nanlint-fix"]["entry"].split()
    assert "--fix" not in hooks["nanlint"]["entry"].split()


# try-repo: what a user runs to try the hook before adding it


def test_try_repo_fails_on_log_of_softmax_and_shows_nan101(tmp_path, checkout, env):
    project = git_repo(tmp_path / "project", {"train.py": BUG}, env)
    result = pre_commit("try-repo", checkout[0], "nanlint", "--all-files", cwd=project, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nanlint" in result.stdout and "Failed" in result.stdout
    assert "train.py:4:5: NAN101" in result.stdout
    assert (project / "train.py").read_text() == BUG  # the check hook never writes


def test_try_repo_passes_on_a_clean_file(tmp_path, checkout, env):
    project = git_repo(tmp_path / "project", {"train.py": CLEAN}, env)
    result = pre_commit("try-repo", checkout[0], "nanlint", "--all-files", cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout and "NAN" not in result.stdout


# pre-commit run, as configured in a project (one environment for these tests)


def test_fix_hook_rewrites_the_file_fails_once_then_passes(tmp_path, checkout, env):
    project = git_repo(tmp_path / "project", {"train.py": BUG, ".pre-commit-config.yaml": project_config(checkout)},
                       env)
    first = pre_commit("run", "nanlint-fix", "--all-files", cwd=project, env=env)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert (project / "train.py").read_text() == FIXED
    git("add", "-A", cwd=project, env=env)
    second = pre_commit("run", "nanlint-fix", "--all-files", cwd=project, env=env)
    assert second.returncode == 0, second.stdout + second.stderr


def test_check_hook_sees_notebooks_and_keeps_excluded_files_excluded(tmp_path, checkout, env):
    notebook = (REPO / "fixtures" / "notebooks" / "keras_seed.ipynb").read_text()
    files = {
        "analysis.ipynb": notebook,
        "legacy/old.py": BUG,
        "pyproject.toml": '[tool.nanlint]\nexclude = ["legacy/*"]\n',
        ".pre-commit-config.yaml": project_config(checkout),
    }
    project = git_repo(tmp_path / "project", files, env)
    result = pre_commit("run", "nanlint", "--all-files", cwd=project, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "analysis.ipynb:cell " in result.stdout and "NAN402" in result.stdout
    assert "legacy" not in result.stdout  # pre-commit passed it; the configuration excludes it
    (project / "analysis.ipynb").unlink()
    git("add", "-A", cwd=project, env=env)
    assert pre_commit("run", "nanlint", "--all-files", cwd=project, env=env).returncode == 0


def test_only_excluded_files_exit_0_and_print_nothing(tmp_path):
    """What the hook runs when every file pre-commit passes is excluded."""
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(BUG)
    (tmp_path / "pyproject.toml").write_text('[tool.nanlint]\nexclude = ["legacy/*"]\n')
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    for entry in [hook["entry"] for hook in yaml.safe_load(MANIFEST.read_text())]:
        args = entry.split()[1:]
        result = run(sys.executable, "-m", "nanlint", *args, "legacy/old.py", cwd=tmp_path,
                     env={**os.environ, "PYTHONPATH": pythonpath}, timeout=120)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), entry
    assert (tmp_path / "legacy" / "old.py").read_text() == BUG
