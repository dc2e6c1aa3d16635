"""`tfshadow analyze`, `tfshadow detect` and `tfshadow agent`: the predictive engine's commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import click

from tfshadow.cli.commands import CliContext, commands, no_color_option, pass_cli, workspace_option
from tfshadow.cli.output import EXIT_BAD_INPUT, EXIT_OK, stderr_console, stdout_console
from tfshadow.errors import UsageError

_FIRST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_MOMENT = datetime(2262, 4, 11, tzinfo=UTC)


def _duration(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    from tfshadow.settings.analysis import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        # The parser's message already shows how to write one.
        raise UsageError(f"{option} {value}: {exc}") from None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    from tfshadow.moments import MOMENT_HINT, moment_from_text

    now = datetime.now(UTC)
    moment = moment_from_text(value, "--until", now=now, day_end=True)
    # A date alone holds its whole day, as in `log --until`; today's ends now: its midnight
    # would turn an analysis of today into a post-mortem of last night, its end be ahead of
    # the clock.
    if moment_from_text(value, "--until", now=now) <= now < moment:
        moment = now
    # Series are held in nanoseconds since the epoch: beyond that range no metric can exist.
    if not _FIRST_MOMENT <= moment < _LAST_MOMENT:
        raise UsageError(f"--until {value}: out of range (1970 to 2262)", hint=MOMENT_HINT)
    return moment


_CLOCK_SLACK = 60.0  # seconds: clocks and typing are not that exact


def _ahead_of_the_clock(text: str | None, moment: datetime | None) -> str | None:
    """A warning when --until is ahead of the clock: no source has data there yet, so the range
    would end in a gap (inconclusive, or "no data"), which is most often a local time read as
    UTC."""
    if text is None or moment is None:
        return None
    ahead = (moment - datetime.now(UTC)).total_seconds()
    if ahead <= _CLOCK_SLACK:
        return None
    by = f"{ahead / 3600:.1f} h" if ahead >= 5400 else f"{ahead / 60:.0f} min"
    from tfshadow.moments import has_zone

    zone = "" if has_zone(text) else " (read as UTC: give its zone, e.g. +02:00)"
    return (
        f"tfshadow: warning: --until {text} is {by} ahead of the clock{zone}: "
        "the range ends in the future"
    )


def _scheduler(value: str | None, base: Path) -> str | None:
    """An address as given; a scheduler file relative to the working directory."""
    if value is None or "://" in value or Path(value).is_absolute():
        return value
    return str(base / value)


@commands.command()
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="ADDRESS",
    help="Only this resource (repeatable; globs like 'aws_instance.*' work).",
)
@click.option("--since", metavar="DURATION", help="History to read, e.g. 7d (default: 7d).")
@click.option(
    "--sensitivity", metavar="LEVEL", help="low, medium, high, or a number of σ (overrides all)."
)
@click.option("--model", metavar="NAME", help="Forecasting model for every series.")
@click.option(
    "--until",
    metavar="TIMESTAMP",
    help="Analyse as of this moment: a time ago (2h, 1d) or an ISO 8601 date or time (UTC "
    "unless a zone is given).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Judge the series on this Dask cluster: tcp://HOST:8786, tls://…, or a scheduler "
    "file (*.json). Overrides analysis.scheduler.",
)
@click.option("--no-alert", is_flag=True, help="Do not send recommendations to the webhook.")
@click.option("--no-mark", is_flag=True, help="Do not mark versions good or suspect.")
@click.option("--verbose", "-v", is_flag=True, help="Show every series, not only problems.")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@no_color_option
@pass_cli
def analyze(
    cli: CliContext,
    resources: tuple[str, ...],
    since: str | None,
    sensitivity: str | None,
    model: str | None,
    until: str | None,
    scheduler: str | None,
    no_alert: bool,
    no_mark: bool,
    verbose: bool,
    workspace: str | None,
    as_json: bool,
    no_color: bool,
) -> int:
    """Judge every resource's metrics against their forecast; recommend reverts.

    Exit code 0 when the series could be analysed (warnings are counted in the output), 2 when
    none could.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from tfshadow.ops.analyze import AnalyzeRequest
    from tfshadow.ops.analyze import analyze as run_analysis
    from tfshadow.report.analysis import analysis_json, render_analysis

    request = AnalyzeRequest(
        resources=resources,
        since=_duration(since, "--since"),
        sensitivity=sensitivity,
        model=model,
        workspace=workspace,
        alert=not no_alert,
        mark=not no_mark,
        now=_moment(until),
        scheduler=_scheduler(scheduler, cli.workdir),
    )
    err = stderr_console(no_color=no_color)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("analysing", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_analysis(cli.project(), request, progress)
    ahead = _ahead_of_the_clock(until, request.now)  # once the request proved good
    if ahead:
        err.print(ahead, markup=False, highlight=False)
    if as_json:
        click.echo(json.dumps(analysis_json(report), indent=2, ensure_ascii=False, default=str))
    else:
        render_analysis(stdout_console(no_color=no_color), report, verbose=verbose)
    if report.analysed == 0:
        first = f": {report.warnings[0]}" if report.warnings else ""
        more = f" (and {len(report.warnings) - 1} more)" if len(report.warnings) > 1 else ""
        err.print(f"no series could be analysed{first}{more}", markup=False, highlight=False)
        return EXIT_BAD_INPUT
    return EXIT_OK


@commands.command()
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with timestamp,value.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV to write (timestamp,value,anomaly_score); - for standard output.",
)
@click.option("--model", metavar="NAME", default="default", show_default=True)
@click.option("--sensitivity", metavar="LEVEL", default="medium", show_default=True)
@pass_cli
def detect(
    cli: CliContext, input_path: Path, output_path: Path, model: str, sensitivity: str
) -> int:
    """Score a metric file row by row (no look-ahead): anomaly_score 0.5 is the threshold."""
    from tfshadow.ops.detect import detect_file

    base = cli.workdir
    source = input_path if input_path.is_absolute() else base / input_path
    target = None if str(output_path) == "-" else output_path
    if target is not None and not target.is_absolute():
        target = base / target
    result = detect_file(source, target, model=model, sensitivity=sensitivity)
    err = stderr_console()
    err.print(result.summary(), markup=False, highlight=False)
    if target is None:
        click.echo(result.text, nl=False)
    return EXIT_OK


_LONGEST_SAMPLING_INTERVAL = 86_400.0
# Below this, samples cost more than they tell, and a series sampled at such an interval next to
# its usual one is read on a grid of thousands of empty steps.
_SHORTEST_SAMPLING_INTERVAL = 0.1


@commands.command()
@click.option("--interval", default="15s", show_default=True, help="Time between samples.")
@click.option(
    "--pid",
    "pids",
    multiple=True,
    type=click.IntRange(min=1),  # psutil raises its own ValueError below 1
    help="Sample these processes only.",
)
@click.option(
    "--resource",
    default="host",
    show_default=True,
    help="Resource address the series belong to (for resource_metrics).",
)
@click.option("--count", type=click.IntRange(min=1), help="Stop after N samples.")
@pass_cli
def agent(
    cli: CliContext, interval: str, pids: tuple[int, ...], resource: str, count: int | None
) -> int:
    """Sample CPU, memory, network and disk I/O with psutil into the store's series."""
    from tfshadow.interruptible import stop_signals
    from tfshadow.ops.agent import run

    seconds = _duration(interval, "--interval")
    assert seconds is not None
    if seconds <= 0:
        raise UsageError("--interval must be positive", hint="use e.g. --interval 15s")
    if seconds < _SHORTEST_SAMPLING_INTERVAL:
        raise UsageError(
            f"--interval {interval} is shorter than {_SHORTEST_SAMPLING_INTERVAL:g} s between "
            "samples",
            hint="use e.g. --interval 15s (at least 0.1s)",
        )
    if seconds > _LONGEST_SAMPLING_INTERVAL:
        # Forecasts need points; and a wait beyond the system's timer limit cannot even start.
        raise UsageError(
            f"--interval {interval} is longer than a day between samples",
            hint="use e.g. --interval 15s (at most 1d)",
        )
    out = stdout_console()
    err = stderr_console()

    def on_gone(message: str) -> None:
        err.print(f"tfshadow: {message}: the agent stopped", markup=False, highlight=False)

    def on_sample(sample: Mapping[str, float]) -> None:
        line = "  ".join(f"{k}={v:.4g}" for k, v in sorted(sample.items()))
        out.print(line, markup=False, highlight=False)

    # Ctrl-C is how an agent in a terminal is stopped: it ends the run like SIGTERM does.
    with stop_signals() as stop:
        where = run(
            cli.project(),
            resource=resource,
            interval=seconds,
            pids=list(pids) or None,
            count=count,
            stop=stop,
            on_sample=on_sample,
            on_gone=on_gone,
        )
    err.print(f"series written under {where}", markup=False, highlight=False)
    return EXIT_OK
