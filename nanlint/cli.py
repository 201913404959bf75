"""The ``nanlint`` command line: options in, report and exit status out.

Exit status is a contract with CI: 0 nothing found, 1 findings remain, 2 nanlint
could not do its job (usage, configuration, unreadable file, internal error), so a
broken run never passes for a clean one.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass

import click

from nanlint import __version__
from nanlint.codes import CODES
from nanlint.config import ConfigError, validate_selector
from nanlint.finding import FileResult
from nanlint.report import FORMATS, ReportOptions, diff_summary, render_diff, render_statistics
from nanlint.rules import all_rules, rule_by_code
from nanlint.runner import PathNotFoundError, encode_like, lint_paths, lint_stdin

STDIN = "-"


class NanlintError(click.ClickException):
    """An error the user can act on: one line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"nanlint: error: {self.format_message()}", err=True, file=file)


class _PathsFirstGroup(click.Group):
    """A subcommand is recognised only as the very first token, so that a path is never
    taken for one: `nanlint rule NAN101` shows a rule, while `nanlint rule.py`,
    `nanlint src/` and `nanlint --fix rule` check paths (`nanlint ./rule` checks a
    folder named `rule`)."""

    allow_interspersed_args = True  # options may follow paths: `nanlint src --fix`

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            super().parse_args(ctx, args[:1])
            ctx.args = args[1:]
            return ctx.args
        ctx.params["paths"] = tuple(click.Command.parse_args(self, ctx, args))
        ctx.args = []
        return []


@dataclass(frozen=True)
class _Options:
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...]
    output_format: str
    fix: bool
    unsafe_fixes: bool
    diff: bool
    exit_zero: bool
    statistics: bool
    quiet: bool
    config_file: str | None
    force_exclude: bool
    stdin_filename: str | None
    jobs: int | None
    no_cache: bool
    cache_dir: str | None

    @property
    def fix_level(self) -> str | None:
        if not (self.fix or self.diff):
            return None
        return "unsafe" if self.unsafe_fixes else "safe"

    @property
    def writes(self) -> bool:
        """`--diff` shows what `--fix` would do, so it wins over `--fix`."""
        return self.fix and not self.diff

    def overrides(self) -> dict[str, tuple[str, ...] | None]:
        return {
            "select": _selectors(self.select, "--select"),
            "ignore": _selectors(self.ignore, "--ignore"),
            "extend_select": _selectors(self.extend_select, "--extend-select"),
        }


def _selectors(values: tuple[str, ...], option: str) -> tuple[str, ...] | None:
    """Codes from repeated, comma-separated option values (`--select NAN1,NAN201`);
    None when the option is absent, so the configuration's value stands."""
    if not values:
        return None
    codes = (code.strip().upper() for value in values for code in value.split(","))
    return tuple(validate_selector(code, option) for code in codes if code)


def _show_traceback(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:  # the engine reads it, also in worker processes, which inherit it
        os.environ["NANLINT_SHOW_TRACEBACK"] = "1"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        click.echo(f"nanlint {__version__}")
        ctx.exit()


@click.group(
    cls=_PathsFirstGroup,
    invoke_without_command=True,
    subcommand_metavar="[PATHS]...",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--select", multiple=True, metavar="CODES",
              help="Check only these rule codes or prefixes (comma-separated, e.g. NAN1,NAN201); "
                   "replaces the configuration's `select`.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Do not report these codes or prefixes; added to the configuration's `ignore`.")
@click.option("--extend-select", multiple=True, metavar="CODES",
              help="Check these codes or prefixes in addition to the selected ones.")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="text",
              show_default=True,
              help="Output format: `text` for people, `concise` one line per problem, `json` for tools, "
                   "`sarif` for code scanning, `github` for GitHub Actions annotations.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files (to stdout when reading stdin).")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix, also apply fixes that change values slightly (an added epsilon, a cast); "
                   "without --fix, show them as fixable.")
@click.option("--diff", is_flag=True,
              help="Print the changes --fix would make as a unified diff and write nothing; "
                   "exit 1 if there are any.")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when problems are found.")
@click.option("--statistics", is_flag=True, help="Print how many problems each rule found instead of the problems.")
@click.option("-q", "--quiet", is_flag=True, help="Print the problems only, no summary.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Use this pyproject.toml or nanlint.toml for every file, instead of the nearest one.")
@click.option("--force-exclude", is_flag=True,
              help="Apply `exclude` also to files named on the command line (for editors and pre-commit).")
@click.option("--stdin-filename", metavar="NAME",
              help="Where the source read from stdin belongs: its name in the report, its configuration.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Check files in N processes (default: one per core; a small run uses one).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache of findings.")
@click.option("--cache-dir", type=click.Path(file_okay=False), metavar="DIR", envvar="NANLINT_CACHE_DIR",
              help="Keep the cache in DIR (also $NANLINT_CACHE_DIR) instead of .nanlint_cache in the folder "
                   "of the configuration file, or the current folder.")
@click.option("--show-traceback", is_flag=True, expose_value=False, callback=_show_traceback,
              help="With an internal error, print its whole traceback (for a bug report); "
                   "also NANLINT_SHOW_TRACEBACK=1.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, paths: tuple[str, ...] = (), **options) -> None:
    """Find code that makes deep-learning training produce NaN or inf.

    Checks PATHS (files or folders; default: the current folder), each file with the
    nearest pyproject.toml [tool.nanlint] or nanlint.toml. A PATH of `-` reads the
    source from stdin.

    \b
    Exit status:
      0  no problems
      1  problems found (remaining after --fix)
      2  usage, configuration or internal error
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        status = _check(paths, _Options(**options))
    except (ConfigError, PathNotFoundError) as exc:
        raise NanlintError(str(exc)) from None
    ctx.exit(status)


def _check(paths: tuple[str, ...], options: _Options) -> int:
    """Lint, report, and return the exit status."""
    if STDIN in paths and len(paths) > 1:
        raise NanlintError("`-` (stdin) cannot be combined with other paths")
    reads_stdin = paths == (STDIN,) or (not paths and options.stdin_filename is not None)
    if reads_stdin:
        result, sources = _check_stdin(options)
        results = [result]
    else:
        results = lint_paths(paths or (os.curdir,), overrides=options.overrides(), config_file=options.config_file,
                             fix=options.fix_level, write=options.writes, force_exclude=options.force_exclude,
                             jobs=options.jobs, cache=not options.no_cache, cache_dir=options.cache_dir)
        sources = {}
    # With the fixed source on stdout, the report must not mix into it.
    _report(results, options, sources, err=reads_stdin and options.writes)
    _print_errors(results)
    return _exit_status(results, options)


def _check_stdin(options: _Options) -> tuple[FileResult, dict[str, bytes]]:
    """Lint stdin; with --fix, print the fixed source (all of it, fixed or not, so an
    editor can replace its buffer with the output)."""
    data = click.get_binary_stream("stdin").read()
    result = lint_stdin(data, options.stdin_filename, overrides=options.overrides(),
                        config_file=options.config_file, fix=options.fix_level, force_exclude=options.force_exclude)
    if not options.writes:
        return result, {result.path: data}
    output = data if result.fixed_source is None else encode_like(data, result.fixed_source)
    stdout = click.get_binary_stream("stdout")
    stdout.write(output)
    stdout.flush()
    return result, {result.path: output}


def _report(results: list[FileResult], options: _Options, sources: dict[str, bytes], err: bool) -> None:
    stream = sys.stderr if err else sys.stdout
    report_options = ReportOptions(
        color=stream.isatty() and "NO_COLOR" not in os.environ,
        quiet=options.quiet,
        unsafe_fixes=options.unsafe_fixes,
        sources=sources,
    )
    if options.diff:
        _echo(render_diff(results, report_options), err=err, nl=False)
        if not options.quiet:
            _echo(diff_summary(results), err=True)
    elif options.statistics:
        _echo(render_statistics(results, report_options, as_json=options.output_format == "json"), err=err)
    else:
        _echo(FORMATS[options.output_format](results, report_options), err=err)


def _echo(text: str, **kwargs) -> None:
    if text:
        click.echo(text, **kwargs)


def _print_errors(results: list[FileResult]) -> None:
    for result in results:
        for error in result.errors:
            click.echo(f"nanlint: error: {error}", err=True)


def _exit_status(results: list[FileResult], options: _Options) -> int:
    if any(result.errors for result in results):
        return 2
    if options.exit_zero:
        return 0
    if options.diff:
        return int(any(result.fixed_source is not None for result in results))
    return int(any(result.findings for result in results))


@cli.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule: code, name, severity and fix.")
def rule(code: str | None, show_all: bool) -> None:
    """Explain a rule: `nanlint rule NAN101`, or list them all with --all."""
    if show_all:
        rules = all_rules()
        width = max((len(r.name) for r in rules), default=0)
        for r in rules:
            click.echo(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  fix: {r.fix}")
        return
    if code is None:
        raise NanlintError("give a rule code (`nanlint rule NAN101`) or --all")
    found = rule_by_code(code)
    if found is None:
        raise NanlintError(_unknown_rule(code.upper()))
    click.echo(f"{found.code} {found.name} ({found.severity}, fix: {found.fix})\n")
    click.echo(found.documentation())


def _unknown_rule(code: str) -> str:
    if code in CODES:
        return f"{code} ({CODES[code].name}) is not implemented yet"
    return f"unknown rule code {code!r}"


def main() -> None:
    """The console entry point. A crash exits with 2, never with 1 (which means
    findings), and keeps its traceback for the bug report."""
    try:
        cli.main(prog_name="nanlint")
    except Exception:
        traceback.print_exc()
        click.echo("nanlint: error: internal error (traceback above); please report it", err=True)
        sys.exit(2)
