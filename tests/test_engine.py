"""The core: pure lint function, suppressions, one finding per cause, fixes that
touch only what they replace, and source decoding that round-trips bytes."""

from __future__ import annotations

import codecs

import pytest

from nanlint import Config, check_source, lint_source
from nanlint.source import SourceError, decode

BUG = "import torch\ny = torch.log(torch.softmax(x, dim=1))\n"
FIXED = "import torch\ny = torch.log_softmax(x, dim=1)\n"


def codes(source, config=None):
    return [f.code for f in lint_source(source, "t.py", config)]


def test_lint_source_is_pure_and_positions_are_one_based():
    first = lint_source(BUG, "t.py")
    assert first == lint_source(BUG, "t.py")
    (finding,) = first
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (2, 5, 2, 39)
    assert finding.code == "NAN101" and finding.severity == "error" and finding.fix.applicability == "safe"


@pytest.mark.parametrize("comment", [
    "# noqa", "# noqa: NAN101", "# NOQA:NAN101,NAN102", "# nanlint: ignore[NAN101]", "# nanlint: ignore",
])
def test_suppression_comments(comment):
    assert codes(f"import torch\ny = torch.log(torch.softmax(x, dim=1))  {comment}\n") == []


def test_suppression_of_another_code_does_not_hide():
    assert codes("import torch\ny = torch.log(torch.softmax(x, dim=1))  # noqa: NAN102\n") == ["NAN101"]


def test_suppression_on_first_or_last_line_of_multiline_statement():
    body = "y = torch.log(\n    torch.softmax(x, dim=1)\n)"
    lines = body.split("\n")
    first = "import torch\n" + "\n".join([lines[0] + "  # noqa: NAN101", *lines[1:]]) + "\n"
    last = "import torch\n" + "\n".join([*lines[:-1], lines[-1] + "  # noqa: NAN101"]) + "\n"
    middle = "import torch\n" + "\n".join([lines[0], lines[1] + "  # noqa: NAN101", lines[2]]) + "\n"
    assert codes(first) == [] and codes(last) == []
    assert codes(middle) == ["NAN101"]


def test_skip_file_in_first_comment_block_only():
    assert codes("#!/usr/bin/env python\n# nanlint: skip-file\n" + BUG) == []
    assert codes(BUG + "# nanlint: skip-file\n") == ["NAN101"]


def test_selection_by_prefix_and_specificity():
    assert codes(BUG, Config(select=("NAN2",))) == []
    assert codes(BUG, Config(ignore=("NAN1",))) == []
    assert codes(BUG, Config(ignore=("NAN1",), extend_select=("NAN101",))) == ["NAN101"]
    assert codes(BUG, Config(per_file_ignores=(("t.py", ("NAN101",)),))) == []


def test_unparsable_source_is_a_finding_not_a_crash():
    (finding,) = lint_source("import torch\ndef broken(:\n    pass\n", "bad.py")
    assert finding.code == "NAN001" and finding.line == 2 and "cannot parse" in finding.message


def test_files_without_a_framework_import_are_not_parsed_unless_the_prefilter_is_off():
    broken = "def broken(:\n    pass\n"
    assert lint_source(broken, "plain.py") == []
    assert codes(broken, Config(prefilter=False)) == ["NAN001"]


def test_undecodable_bytes_are_a_finding():
    (finding,) = lint_source(b"x = '\xff\xfe'\n", "bad.py")
    assert finding.code == "NAN001"
    with pytest.raises(SourceError):
        decode(b"\x00\x01binary")


def test_fix_keeps_every_other_byte():
    source = ("import torch  # the framework\n\n\ndef loss(x):\n    # keep   this\n"
              "    return  torch.log(torch.softmax(x, dim=1))   # trailing\n")
    fixed = check_source(source, "t.py", fix="safe").fixed_source
    assert fixed == source.replace("torch.log(torch.softmax(x, dim=1))", "torch.log_softmax(x, dim=1)")


def test_fix_is_idempotent_and_reports_what_remains():
    once = check_source(BUG, "t.py", fix="safe")
    assert once.fixed_source == FIXED and once.findings == [] and once.fixed_count == 1
    assert check_source(once.fixed_source, "t.py", fix="safe").fixed_source is None


@pytest.mark.parametrize("bom", [False, True])
def test_fix_keeps_crlf_and_bom(bom):
    data = BUG.replace("\n", "\r\n").encode()
    if bom:
        data = codecs.BOM_UTF8 + data
    decoded = decode(data)
    result = check_source(data, "t.py", fix="safe")
    assert decoded.encode(result.fixed_source) == (codecs.BOM_UTF8 if bom else b"") + FIXED.replace(
        "\n", "\r\n").encode()


def test_fix_adds_the_import_it_needs_in_the_file_newline_style():
    source = '"""doc"""\r\nimport numpy as np\r\nfrom scipy.special import expit\r\n\r\ny = np.log(expit(z))\r\n'
    fixed = check_source(source, "t.py", fix="safe").fixed_source
    assert fixed == ('"""doc"""\r\nimport numpy as np\r\nfrom scipy.special import expit\r\n'
                     "from scipy.special import log_expit\r\n\r\ny = log_expit(z)\r\n")


def test_fix_json_edits_describe_the_same_change():
    source = "import numpy as np\nfrom scipy.special import expit\n\ny = np.log(expit(z))\n"
    (finding,) = lint_source(source, "t.py")
    lines = source.splitlines(keepends=True)
    for edit in sorted(finding.fix.edits, key=lambda e: (e.line, e.column), reverse=True):
        start = sum(len(x) for x in lines[: edit.line - 1]) + edit.column - 1
        end = sum(len(x) for x in lines[: edit.end_line - 1]) + edit.end_column - 1
        text = "".join(lines)
        lines = (text[:start] + edit.content + text[end:]).splitlines(keepends=True)
    assert "".join(lines) == check_source(source, "t.py", fix="safe").fixed_source


def test_latin1_source_with_cookie_decodes_and_round_trips():
    data = "# -*- coding: latin-1 -*-\nimport torch\n# café\ny = torch.log(torch.softmax(x, dim=1))\n".encode(
        "latin-1")
    decoded = decode(data)
    assert decoded.encoding == "iso-8859-1"
    fixed = check_source(data, "t.py", fix="safe").fixed_source
    assert decoded.encode(fixed) == data.replace(b"torch.log(torch.softmax(x, dim=1))", b"torch.log_softmax(x, dim=1)")


def test_unsafe_fixes_need_the_unsafe_level():
    # A rule with only a safe fix: both levels apply it; nothing to fix leaves the text alone.
    assert check_source("import torch\ny = 1\n", "t.py", fix="unsafe").fixed_source is None
