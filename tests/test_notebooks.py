"""Jupyter notebooks: code cells linted as one module, IPython syntax masked, findings
at (cell, line), fixes written back into their cells with the file's JSON layout and
outputs untouched, broken files reported rather than crashing. The CLI parts run the
real ``nanlint`` process; every notebook written by a fix is read back with ``json``."""

from __future__ import annotations

import ast
import json
import os

import pytest
from test_cli import REPO, nanlint

from nanlint.config import Config
from nanlint.engine import check_source
from nanlint.notebook import check_notebook, file_line, file_lines
from nanlint.runner import lint_file, lint_paths

SEED = REPO / "fixtures" / "notebooks" / "keras_seed.ipynb"
OUTPUT = {"name": "stdout", "output_type": "stream", "text": ["loss: nan\n"]}


def code(source: str, outputs=(), count=None) -> dict:
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": list(outputs),
            "source": source.splitlines(keepends=True)}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source.splitlines(keepends=True)}


def notebook(*cells, language="python") -> dict:
    return {"cells": list(cells), "metadata": {"kernelspec": {"language": language, "name": "k"}},
            "nbformat": 4, "nbformat_minor": 5}


def dump(data: dict) -> str:
    """As Jupyter (nbformat) writes a notebook."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def found(data: dict | str, fix=None, config=None):
    text = data if isinstance(data, str) else dump(data)
    result = check_notebook(text.encode(), "nb.ipynb", config or Config(), fix)
    return result, [(f.cell, f.line, f.column, f.code) for f in result.findings]


def write(tmp_path, data, name="nb.ipynb") -> str:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(data if isinstance(data, str) else dump(data), encoding="utf-8")
    return name


# Reading cells and reporting positions


def test_cells_are_one_module_and_findings_are_at_cell_and_line():
    data = notebook(
        markdown("# Title\n"),
        code("import torch\n"),
        markdown("text"),
        code("x = torch.randn(2, 3)\n\ny = torch.log(torch.softmax(x, dim=1))"),
    )
    _, findings = found(data)
    assert findings == [(2, 3, 5, "NAN101")]  # the 2nd code cell (markdown cells do not count)


def test_ipython_syntax_is_masked_without_moving_any_position():
    data = notebook(code(
        "%matplotlib inline\n"
        "!pip install torch\n"
        "import torch\n"
        "files = !ls\n"
        "t = %timeit -o torch.ones(1)\n"
        "torch.log?\n"
        "??torch.softmax\n"
        "if True:\n"
        "    %time z = 1\n"
        "!echo one \\\n"
        "    two\n"
        "print('%d items'\n"
        "      % 3, 'not %magic'\n"
        "      != 'x')\n"
        "y = torch.log(torch.softmax(torch.randn(2, 3), dim=1))\n"
    ))
    _, findings = found(data)
    assert findings == [(1, 15, 5, "NAN101")]


def test_a_python_cell_magic_is_checked_and_another_is_skipped():
    data = notebook(
        code("import torch\n"),
        code("%%time\ny = torch.log(torch.softmax(x, dim=1))\n"),
        code("%%bash\necho $((1 / 0))\nthis is not python (\n"),
        code("%%timeit -n 3\nz = torch.log(torch.softmax(x, dim=1))\n"),
    )
    assert found(data)[1] == [(2, 2, 5, "NAN101"), (4, 2, 5, "NAN101")]


def test_a_cell_that_does_not_compile_is_nan001_and_the_others_are_checked():
    data = notebook(
        code("import torch\n"),
        code("def broken(:\n    pass\n"),
        code("y = torch.log(torch.softmax(x, dim=1))\n"),
    )
    result, findings = found(data)
    assert findings == [(2, 1, 12, "NAN001"), (3, 1, 5, "NAN101")]
    assert result.findings[0].message.startswith("cannot parse: ")


def test_top_level_await_is_valid_in_a_cell():
    data = notebook(code("import asyncio\nimport torch\nawait asyncio.sleep(0)\n"),
                    code("y = torch.log(torch.softmax(x, dim=1))\n"))
    assert found(data)[1] == [(2, 1, 5, "NAN101")]


def test_a_broken_cell_is_found_also_when_nan001_is_ignored():
    data = notebook(code("import torch\n"), code("def broken(:\n"), code("y = torch.log(torch.softmax(x, dim=1))\n"))
    assert found(data, config=Config(ignore=("NAN001",)))[1] == [(3, 1, 5, "NAN101")]


def test_noqa_in_a_cell():
    data = notebook(code("import torch\ny = torch.log(torch.softmax(x, dim=1))  # noqa: NAN101\n"))
    assert found(data)[1] == []


def test_per_file_ignores_apply_to_the_notebook_path():
    data = notebook(code("import torch\ny = torch.log(torch.softmax(x, dim=1))\n"))
    config = Config(per_file_ignores=(("*.ipynb", ("NAN101",)),))
    assert found(data, config=config)[1] == []


def test_a_notebook_in_another_language_is_not_checked():
    data = notebook(code("x <- log(softmax(y))\n"), language="R")
    assert found(data)[1] == []


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ('{"cells": [\n  {"cell_type": "code",, "source": []}\n]}', 2, 24, "cannot parse notebook: invalid JSON"),
    ("", 1, 1, "cannot parse notebook: invalid JSON"),
    ("[1, 2]", 1, 1, "not a Jupyter notebook in nbformat 4"),
    ('{"nbformat": 3, "worksheets": []}', 1, 1, "not a Jupyter notebook in nbformat 4 (nbformat 3)"),
    ('{"cells": [{"cell_type": "code", "source": 3}]}', 1, 1, "cell 1: `source` is not text"),
])
def test_a_broken_notebook_is_one_nan001_finding(text, line, column, message):
    result, findings = found(text)
    assert findings == [(None, line, column, "NAN001")]
    assert result.findings[0].message.startswith(message)
    assert result.errors == []


def test_fixture_notebook_reports_the_seed_label_at_its_cell():
    """The seed's Keras code: the label 8000 appended in the 5th code cell."""
    result = nanlint("--format", "json", SEED, cwd=REPO)
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)
    assert (finding["cell"], finding["line"], finding["column"], finding["code"]) == (5, 2, 5, "NAN402")


def as_notebook(text: str, statements_per_cell: int = 2) -> tuple[str, list[int]]:
    """A .py file split into code cells at top-level statements, and each cell's first line."""
    lines = text.splitlines(keepends=True)
    starts = [min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
              for node in ast.parse(text).body]
    cuts = sorted({1, *starts[statements_per_cell::statements_per_cell]})
    cells = [code("".join(lines[a - 1:b - 1])) for a, b in zip(cuts, [*cuts[1:], len(lines) + 1], strict=True)]
    return dump(notebook(*cells)), cuts


@pytest.mark.parametrize("path", sorted((REPO / "fixtures").glob("*.py")), ids=lambda p: p.name)
def test_a_script_split_into_cells_reports_the_same_findings(path):
    """Joining the cells loses nothing the analysis of the script sees: every finding of
    each fixture comes back from its notebook form, at the same place."""
    text = path.read_text(encoding="utf-8")
    nb, cuts = as_notebook(text)
    script = check_source(text, path.name)
    result, _ = found(nb)
    assert result.errors == []
    assert [(cuts[f.cell - 1] + f.line - 1, f.column, f.code) for f in result.findings] == \
        [(f.line, f.column, f.code) for f in script.findings]


# The command line


def test_text_report_names_the_cell_and_shows_the_cell_line(tmp_path):
    name = write(tmp_path, notebook(code("import torch\n"), code("x = 1\ny = torch.log(torch.softmax(x, dim=1))")))
    result = nanlint(name, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("nb.ipynb:cell 2:2:5: NAN101 [*] ")
    assert lines[1] == "    y = torch.log(torch.softmax(x, dim=1))"
    assert lines[2] == "        " + "^" * len("torch.log(torch.softmax(x, dim=1))")


def test_json_report_adds_the_cell_key(tmp_path):
    name = write(tmp_path, notebook(code("import torch\n"), code("y = torch.log(torch.softmax(x, dim=1))")))
    (finding,) = json.loads(nanlint("--format", "json", name, cwd=tmp_path).stdout)
    assert finding["cell"] == 2 and (finding["line"], finding["column"]) == (1, 5)
    assert finding["fix"]["edits"][0]["cell"] == 2


def test_broken_notebook_exits_1_with_a_finding_not_a_crash(tmp_path):
    name = write(tmp_path, '{"cells": [')
    result = nanlint(name, cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.startswith("nb.ipynb:1:12: NAN001 cannot parse notebook: invalid JSON")


def test_folders_are_searched_for_notebooks(tmp_path):
    write(tmp_path, notebook(code("import torch\ny = torch.log(torch.softmax(x, dim=1))")), "sub/a.ipynb")
    (tmp_path / "sub" / "notes.json").write_text("{}")
    results = lint_paths([tmp_path])
    assert [os.path.relpath(r.path, tmp_path) for r in results] == [os.path.join("sub", "a.ipynb")]
    assert [f.code for f in results[0].findings] == ["NAN101"]


def test_stdin_with_a_notebook_filename(tmp_path):
    text = dump(notebook(code("import torch\ny = torch.log(torch.softmax(x, dim=1))")))
    result = nanlint("--stdin-filename", "nb.ipynb", "--format", "concise", "-q", "-", cwd=tmp_path, stdin=text)
    assert result.stdout.startswith("nb.ipynb:cell 1:2:5: NAN101")


# Fixes written back into the cells


def fixable_notebook() -> dict:
    return notebook(
        markdown("Résumé: the loss goes to nan\n"),
        code("from torch import log, softmax\nimport numpy as np", outputs=[OUTPUT], count=1),
        code("%matplotlib inline\nx = np.ones((2, 3))", count=2),
        code("p = log(softmax(x, dim=1))  # naïve\nq = p.sum()", outputs=[OUTPUT], count=3),
    )


def expected_fix(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    data["cells"][1]["source"] = ["from torch import log, softmax\n", "import numpy as np\n",
                                  "from torch import log_softmax"]
    data["cells"][3]["source"] = ["p = log_softmax(x, dim=1)  # naïve\n", "q = p.sum()"]
    return data


@pytest.mark.parametrize("style", [
    {"indent": 1, "sort_keys": True, "ensure_ascii": False},  # Jupyter
    {"indent": 2, "ensure_ascii": True},  # other writers, keys in their own order
    {"indent": 4, "ensure_ascii": False, "separators": (",", ": ")},
    {"indent": "\t", "ensure_ascii": False},
    {"indent": None, "ensure_ascii": False},
    {"indent": None, "ensure_ascii": True, "separators": (",", ":")},
])
@pytest.mark.parametrize("tail", ["\n", ""])
def test_fix_rewrites_only_the_fixed_cells_in_the_files_own_layout(tmp_path, style, tail):
    data = fixable_notebook()
    name = write(tmp_path, json.dumps(data, **style) + tail)
    result = lint_file(str(tmp_path / name), Config(), fix="safe")
    assert (result.errors, result.findings, result.fixed_count) == ([], [], 1)
    fixed = (tmp_path / name).read_text(encoding="utf-8")
    assert fixed == json.dumps(expected_fix(data), **style) + tail
    assert json.loads(fixed)["cells"][3]["outputs"] == [OUTPUT]


def test_fix_on_the_command_line_keeps_windows_line_ends(tmp_path):
    data = fixable_notebook()
    (tmp_path / "nb.ipynb").write_bytes(dump(data).replace("\n", "\r\n").encode())
    result = nanlint("--fix", "nb.ipynb", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "Fixed 1 problem"), result.stderr
    assert (tmp_path / "nb.ipynb").read_bytes() == dump(expected_fix(data)).replace("\n", "\r\n").encode()


def test_fix_keeps_a_source_written_as_one_string(tmp_path):
    data = notebook(code("import torch\n"), code("y = torch.log(torch.softmax(x, dim=1))\n"))
    data["cells"][1]["source"] = "y = torch.log(torch.softmax(x, dim=1))\n"
    result, _ = found(data, fix="safe")
    assert json.loads(result.fixed_source)["cells"][1]["source"] == "y = torch.log_softmax(x, dim=1)\n"


def test_fix_keeps_magics_and_skipped_cells_and_reports_what_remains():
    data = notebook(
        code("import torch\n!nvidia-smi\n%load_ext autoreload"),
        code("%%bash\nls\n"),
        code("def broken(:\n"),
        code("%%time\ny = torch.log(torch.softmax(x, dim=1))\nz = torch.log(torch.relu(x))\n"),
    )
    result, findings = found(data, fix="safe")
    cells = [cell["source"] for cell in json.loads(result.fixed_source)["cells"]]
    assert cells[:3] == [cell["source"] for cell in data["cells"][:3]]
    assert cells[3] == ["%%time\n", "y = torch.log_softmax(x, dim=1)\n", "z = torch.log(torch.relu(x))\n"]
    assert result.fixed_count == 1
    assert findings == [(3, 1, 12, "NAN001"), (4, 3, 5, "NAN103")]


def test_positions_after_a_fix_that_adds_lines_are_in_the_right_cells():
    data = notebook(
        code("from torch import log, softmax, relu"),
        code("p = log(softmax(x, dim=1))"),
        code("q = log(relu(x))"),
    )
    result, findings = found(data, fix="safe")
    assert json.loads(result.fixed_source)["cells"][0]["source"] == [
        "from torch import log, softmax, relu\n", "from torch import log_softmax"]
    assert findings == [(3, 1, 5, "NAN103")]


def test_diff_shows_the_notebook_change_and_writes_nothing(tmp_path):
    name = write(tmp_path, fixable_notebook())
    before = (tmp_path / name).read_text(encoding="utf-8")
    result = nanlint("--diff", name, cwd=tmp_path)
    assert result.returncode == 1
    assert '-    "p = log(softmax(x, dim=1))  # naïve\\n",' in result.stdout
    assert '+    "p = log_softmax(x, dim=1)  # naïve\\n",' in result.stdout
    assert (tmp_path / name).read_text(encoding="utf-8") == before


def test_a_layout_json_dumps_cannot_reproduce_is_not_rewritten(tmp_path):
    """Written by hand (or a tool nanlint does not know): better no fix than a reformatted file."""
    text = dump(fixable_notebook()).replace('"nbformat": 4', '"nbformat" : 4')
    name = write(tmp_path, text)
    result = nanlint("--fix", name, cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write the fix back into the notebook's cells; file left unchanged" in result.stderr
    assert "nb.ipynb:cell 3:1:5: NAN101" in result.stdout  # reported, unfixed
    assert (tmp_path / name).read_text(encoding="utf-8") == text


# Where a cell's lines are in the file (for SARIF and GitHub annotations)


def test_file_lines_locate_each_source_line_in_the_file():
    text = dump(fixable_notebook())
    lines = text.splitlines()
    located = file_lines(text)
    assert sorted(located) == [1, 2, 3]
    for cell, source in zip((1, 2, 3), ("import numpy as np", "x = np.ones((2, 3))", "q = p.sum()"), strict=True):
        assert lines[file_line(located, cell, 2) - 1].strip() == json.dumps(source)
    assert file_line(located, 3, 9) is None
    assert file_lines("{not json") == {}
