"""Properties of nanlint over generated input (hypothesis; hypothesmith writes the Python).

- For any bytes, any text and any program, ``check_source`` returns: no exception, and no
  internal error of a rule.
- For any program with a NaN pattern spliced into it (an expression of the program
  replaced by, say, ``torch.log(torch.softmax(x, dim=1))``), ``--fix --unsafe-fixes``
  gives code that parses, whose lint has no fixable finding left, and which a second
  fix leaves as it is.

CI runs a bounded number of examples, derandomized so that a run is reproducible; set
``NANLINT_HYPOTHESIS=long`` for a longer local search (random, thousands of examples).
"""

from __future__ import annotations

import ast
import os

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from libcst.metadata import ExpressionContext, ExpressionContextProvider, MetadataWrapper

from nanlint.config import Config
from nanlint.engine import check_source

settings.register_profile(
    "nanlint-ci", max_examples=30, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("nanlint-long", settings.get_profile("nanlint-ci"), max_examples=3000, derandomize=False)
PROFILE = settings.get_profile(f"nanlint-{os.environ.get('NANLINT_HYPOTHESIS', 'ci')}")

# Every file is parsed and every rule runs, whatever it imports.
EVERYTHING = Config(prefilter=False)

FRAMEWORKS = (
    "import torch\nimport torch.nn.functional as F\nimport numpy as np\nimport scipy.special\n"
    "import tensorflow as tf\nimport jax\nimport jax.numpy as jnp\n"
)

# NaN patterns of the rule catalog, as one parenthesized expression of ``{x}`` (so that
# they fit wherever an operand does).
PATTERNS = (
    "torch.log(torch.softmax({x}, dim=1))",
    "tf.math.log(tf.nn.softmax({x}, axis=-1))",
    "tf.log(tf.nn.sigmoid({x}))",
    "torch.log(1 - torch.sigmoid({x}))",
    "np.log(scipy.special.expit({x}))",
    "jnp.log(jax.nn.softmax({x}, axis=-1))",
    "{x}.softmax(1).log()",
    "torch.log(torch.sum(torch.exp({x}), dim=1))",
    "torch.exp({x}) / torch.exp({x}).sum(dim=1, keepdim=True)",
    "-(y * torch.log(torch.softmax({x}, dim=1))).sum()",
    "torch.log(torch.relu({x}))",
    "{x} / {x}.sum()",
    "({x} - {x}.mean()) / {x}.std()",
    "torch.sqrt(({x} ** 2).sum(dim=-1))",
    "torch.acos(F.cosine_similarity({x}, y))",
    "torch.where({x} > 0, torch.log({x}), 0)",
    "F.binary_cross_entropy(torch.sigmoid({x}), y)",
    "torch.log({x}.half() + 1e-8)",
)


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def internal_errors(result) -> list[str]:
    return [error for error in result.errors if "internal error" in error]


@PROFILE
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(b"import torch\n".__add__)))
def test_any_bytes_are_a_finding_or_nothing(data):
    result = check_source(data, "fuzz.py", EVERYTHING)
    assert result.errors == []
    assert all(finding.code == "NAN001" for finding in result.findings) or parses(data.decode("utf-8", "replace"))


@PROFILE
@given(st.text(max_size=2000).map(FRAMEWORKS.__add__))
def test_any_text_is_checked_without_an_exception(text):
    result = check_source(text, "fuzz.py", EVERYTHING, fix="unsafe")
    assert internal_errors(result) == []


@PROFILE
@given(hypothesmith.from_grammar())
def test_any_program_is_checked_and_fixed_without_an_exception(program):
    source = FRAMEWORKS + program
    assume(parses(source))
    result = check_source(source, "generated.py", EVERYTHING, fix="unsafe")
    assert result.errors == []
    assert result.fixed_source is None or parses(result.fixed_source)


class _Splice(cst.CSTTransformer):
    """Replaces the ``target``-th name that is read (not assigned) by a NaN pattern of it."""

    METADATA_DEPENDENCIES = (ExpressionContextProvider,)

    def __init__(self, target: int, pattern: str):
        super().__init__()
        self.target, self.pattern, self.seen, self.done = target, pattern, 0, False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if self.get_metadata(ExpressionContextProvider, original, None) is not ExpressionContext.LOAD:
            return updated
        self.seen += 1
        if self.seen - 1 != self.target:
            return updated
        self.done = True
        return cst.parse_expression("(" + self.pattern.format(x=original.value) + ")")


def splice(program: str, target: int, pattern: str) -> str:
    """``program`` with one read name replaced by ``pattern`` of it (or, with none to
    replace, the pattern appended as an assignment)."""
    splicer = _Splice(target, pattern)
    spliced = MetadataWrapper(cst.parse_module(program)).visit(splicer).code
    if not splicer.done:
        spliced += ("\n" if spliced and not spliced.endswith("\n") else "") + "z = " + pattern.format(x="x") + "\n"
    return FRAMEWORKS + spliced


@PROFILE
@given(hypothesmith.from_grammar(), st.integers(min_value=0, max_value=50), st.sampled_from(PATTERNS))
def test_a_spliced_nan_pattern_is_fixed_into_code_that_parses_and_stays_fixed(program, target, pattern):
    try:
        source = splice(program, target, pattern)
    except cst.ParserSyntaxError:  # hypothesmith's grammar is wider than libcst's, rarely
        assume(False)
    assume(parses(source))
    first = check_source(source, "spliced.py", EVERYTHING, fix="unsafe")
    event(f"fixed: {first.fixed_source is not None}")
    assert first.errors == []
    fixed = source if first.fixed_source is None else first.fixed_source
    assert parses(fixed)
    again = check_source(fixed, "spliced.py", EVERYTHING)
    assert [f for f in again.findings if f.fix is not None] == []
    assert check_source(fixed, "spliced.py", EVERYTHING, fix="unsafe").fixed_source is None


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_pattern_is_found_and_fixed_when_spliced_into_a_plain_program(pattern):
    """The splicing above does reach the rules: in a plain program each pattern is
    reported, and all but the unfixable ones are fixed."""
    source = splice("def step(batch):\n    return batch\n", 0, pattern)
    found = check_source(source, "spliced.py", EVERYTHING).findings
    assert found, pattern
    result = check_source(source, "spliced.py", EVERYTHING, fix="unsafe")
    assert result.errors == []
    assert (result.fixed_source is not None) == any(f.fix is not None for f in found)
