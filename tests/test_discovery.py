"""Which files a run checks: source files under folders, tool folders skipped,
``.gitignore`` and ``exclude`` honoured, explicit files kept, symlinks safe."""

from __future__ import annotations

import os

import pytest

from nanlint.config import Config
from nanlint.discovery import SKIPPED_DIRS, GitIgnore, PathNotFoundError, discover


def make(root, *files):
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def found(root, *paths, config=None, **kwargs):
    """The discovered files under ``root`` as posix paths relative to it."""
    config = config or Config(root=str(root))
    files = discover([root / p for p in paths or ["."]], lambda path: config, **kwargs)
    return [os.path.relpath(f, root).replace(os.sep, "/") for f in files]


def test_walks_folders_for_python_files_sorted(tmp_path):
    make(tmp_path, "b.py", "a.py", "pkg/z.py", "pkg/sub/y.py", "notes.txt", "data.pyc", "script")
    assert found(tmp_path) == ["a.py", "b.py", "pkg/sub/y.py", "pkg/z.py"]


@pytest.mark.parametrize("folder", sorted(SKIPPED_DIRS))
def test_skips_tool_and_build_folders(tmp_path, folder):
    make(tmp_path, "a.py", f"{folder}/x.py", f"pkg/{folder}/y.py")
    assert found(tmp_path) == ["a.py"]


def test_explicit_file_is_checked_even_if_skipped_or_excluded(tmp_path):
    make(tmp_path, ".venv/x.py", "gen/y.py", "script")
    config = Config(root=str(tmp_path), exclude=("gen",))
    assert found(tmp_path, ".venv/x.py", "gen/y.py", "script", config=config) == [".venv/x.py", "gen/y.py", "script"]


def test_force_exclude_applies_exclude_to_explicit_paths(tmp_path):
    make(tmp_path, "gen/y.py", "a.py")
    config = Config(root=str(tmp_path), exclude=("gen",))
    assert found(tmp_path, "gen/y.py", "gen", "a.py", config=config, force_exclude=True) == ["a.py"]


def test_exclude_and_extend_exclude(tmp_path):
    make(tmp_path, "a.py", "gen/x.py", "migrations/0001.py", "pkg/test_skip.py")
    config = Config(root=str(tmp_path), exclude=("gen",), extend_exclude=("migrations/", "test_*.py"))
    assert found(tmp_path, config=config) == ["a.py"]


def test_config_is_asked_per_path(tmp_path):
    make(tmp_path, "one/gen/x.py", "two/gen/y.py")
    strict = Config(root=str(tmp_path / "one"), exclude=("gen",))
    default = Config(root=str(tmp_path / "two"))
    files = discover([tmp_path], lambda path: strict if "one" in os.path.relpath(path, tmp_path) else default)
    assert [os.path.relpath(f, tmp_path) for f in files] == [os.path.join("two", "gen", "y.py")]


def test_gitignore_root_nested_and_negation(tmp_path):
    make(tmp_path, "a.py", "gen_1.py", "keep_gen.py", "out/x.py", "pkg/local.py", "pkg/shared.py",
         "pkg/deep/local.py", "docs/conf.py")
    (tmp_path / ".gitignore").write_text("# build output\nout/\n*gen*.py\n!keep_gen.py\n/docs\n")
    (tmp_path / "pkg" / ".gitignore").write_text("local.py\n")
    assert found(tmp_path) == ["a.py", "keep_gen.py", "pkg/shared.py"]


def test_nested_gitignore_overrides_its_parent(tmp_path):
    make(tmp_path, "a_tmp.py", "pkg/b_tmp.py")
    (tmp_path / ".gitignore").write_text("*_tmp.py\n")
    (tmp_path / "pkg" / ".gitignore").write_text("!b_tmp.py\n")
    assert found(tmp_path) == ["pkg/b_tmp.py"]


def test_a_file_inside_an_ignored_folder_cannot_be_reincluded(tmp_path):
    make(tmp_path, "out/keep.py")
    (tmp_path / ".gitignore").write_text("out/\n!out/keep.py\n")
    assert found(tmp_path) == []


def test_respect_gitignore_false(tmp_path):
    make(tmp_path, "a.py", "out/x.py")
    (tmp_path / ".gitignore").write_text("out/\n")
    assert found(tmp_path, config=Config(root=str(tmp_path), respect_gitignore=False)) == ["a.py", "out/x.py"]


def test_gitignore_of_an_enclosing_folder_applies_inside_a_repository(tmp_path):
    (tmp_path / ".git").mkdir()
    make(tmp_path, "src/a.py", "src/gen/x.py")
    (tmp_path / ".gitignore").write_text("src/gen/\n")
    assert found(tmp_path, "src") == ["src/a.py"]


def test_gitignore_above_the_repository_does_not_apply(tmp_path):
    make(tmp_path, "repo/a.py")
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("a.py\n")
    assert found(tmp_path, "repo") == ["repo/a.py"]


@pytest.mark.parametrize(("pattern", "path", "is_dir", "ignored"), [
    ("*.py", "a.py", False, True),
    ("*.py", "deep/er/a.py", False, True),
    ("*.py", "a.pyc", False, None),
    ("/a.py", "a.py", False, True),
    ("/a.py", "sub/a.py", False, None),
    ("sub/a.py", "sub/a.py", False, True),
    ("sub/a.py", "x/sub/a.py", False, None),
    ("build/", "build", True, True),
    ("build/", "build", False, None),
    ("**/gen", "x/y/gen", True, True),
    ("**/gen", "gen", True, True),
    ("a/**/b.py", "a/b.py", False, True),
    ("a/**/b.py", "a/x/y/b.py", False, True),
    ("a/**", "a/x/y.py", False, True),
    ("a/**", "a", True, None),
    ("file?.py", "file1.py", False, True),
    ("file?.py", "file10.py", False, None),
    ("v[0-9].py", "v3.py", False, True),
    ("v[!0-9].py", "v3.py", False, None),
    ("v[!0-9].py", "vx.py", False, True),
    ("[unclosed.py", "[unclosed.py", False, True),
    ("\\#hash.py", "#hash.py", False, True),
    ("\\!bang.py", "!bang.py", False, True),
    ("trailing.py   ", "trailing.py", False, True),
    ("# comment", "# comment", False, None),
    ("!a.py", "a.py", False, False),
])
def test_gitignore_pattern_syntax(tmp_path, pattern, path, is_dir, ignored):
    assert GitIgnore(str(tmp_path), pattern + "\n").match(str(tmp_path / path), is_dir) is ignored


def test_gitignore_last_matching_pattern_wins(tmp_path):
    ignore = GitIgnore(str(tmp_path), "*.py\n!keep.py\n")
    assert ignore.match(str(tmp_path / "keep.py"), False) is False
    assert ignore.match(str(tmp_path / "drop.py"), False) is True


def test_missing_path_raises(tmp_path):
    with pytest.raises(PathNotFoundError, match=r"nope\.py"):
        found(tmp_path, "nope.py")


def test_duplicates_are_reported_once(tmp_path):
    make(tmp_path, "pkg/a.py")
    assert found(tmp_path, "pkg", "pkg/a.py", "./pkg/a.py") == ["pkg/a.py"]


def test_symlink_loop_terminates_and_broken_link_is_skipped(tmp_path):
    make(tmp_path, "pkg/a.py")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    (tmp_path / "pkg" / "broken.py").symlink_to(tmp_path / "missing.py")
    assert found(tmp_path) == ["pkg/a.py"]


def test_a_file_reached_through_a_symlink_is_checked_once(tmp_path):
    make(tmp_path, "a.py")
    (tmp_path / "alias.py").symlink_to(tmp_path / "a.py")
    assert found(tmp_path) == ["a.py"]


def test_output_paths_are_normalised(tmp_path, monkeypatch):
    make(tmp_path, "pkg/a.py")
    monkeypatch.chdir(tmp_path)
    assert discover(["."], lambda path: Config(root=str(tmp_path))) == [os.path.join("pkg", "a.py")]
    assert discover(["./pkg/"], lambda path: Config(root=str(tmp_path))) == [os.path.join("pkg", "a.py")]
