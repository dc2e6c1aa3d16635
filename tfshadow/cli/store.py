"""`tfshadow store check | pull | sync | verify | restore`: the shadow store's integrity, its
remote and its object-storage mirror."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from tfshadow.cli.commands import CliContext, commands, json_option, no_color_option, pass_cli
from tfshadow.cli.output import EXIT_FAILED, EXIT_OK, stdout_console
from tfshadow.mirror.base import versions_text

if TYPE_CHECKING:
    from tfshadow.ops.rebase import Dropped, Moved
    from tfshadow.store.gitstore import PullResult


def _emit_json(doc: dict[str, Any]) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


@commands.group(name="store")
def store_group() -> None:
    """The shadow store: its integrity (`check`) and its object-storage mirror (the
    `mirror "s3"` block of the store)."""


@store_group.command(name="check")
@json_option
@no_color_option
@pass_cli
def check_command(cli: CliContext, as_json: bool, no_color: bool) -> int:
    """Rebuild every kept version of every workspace and check its hashes, and git's objects:
    exit 1 when anything is damaged."""
    from tfshadow.ops.history import check_store

    report = check_store(cli.project())
    if as_json:
        _emit_json(
            {
                "ok": report.sound,
                "workspaces": report.workspaces,
                "versions": report.versions,
                "damaged": [{"problem": e.message, "hint": e.hint} for e in report.damaged],
                "git": list(report.git),
                "writable": list(report.writable),
            }
        )
        return EXIT_OK if report.sound else EXIT_FAILED
    console = stdout_console(no_color=no_color)
    for error in report.damaged:
        console.print(f"damaged: {error.one_line()}", markup=False)
    for line in report.git:
        console.print(f"git: {line}", markup=False)
    if report.writable:
        shown = ", ".join(report.writable[:3])
        more = f" and {len(report.writable) - 3} more" if len(report.writable) > 3 else ""
        console.print(
            f"not read-only: {shown}{more} (a copy or a clone; `chmod a-w` them so that "
            "nothing overwrites a version by accident)",
            markup=False,
        )
    checked = f"{report.versions} version(s) in {report.workspaces} workspace(s)"
    if report.sound:
        console.print(
            f"Checked {checked}: every one rebuilds to its recorded hashes, and git finds "
            "its objects sound."
        )
    else:
        console.print(
            f"Checked {checked}: the store is damaged. Restore it from its remote (`git clone`), "
            "its mirror (`tfshadow store restore`) or a backup.",
            markup=False,
        )
    return EXIT_OK if report.sound else EXIT_FAILED


@store_group.command(name="pull")
@click.option(
    "--rebase",
    is_flag=True,
    help="When the store and its remote have diverged, record this copy's own versions again "
    "after the remote's (numbered after them), then push.",
)
@click.option(
    "--undo-rebase",
    is_flag=True,
    help="Go back to the history the store had before its last `--rebase` (the remote keeps "
    "the joined history).",
)
@json_option
@no_color_option
@pass_cli
def pull_command(
    cli: CliContext, rebase: bool, undo_rebase: bool, as_json: bool, no_color: bool
) -> int:
    """Bring the store up to its remote (fast-forward only), or create it from the remote:
    for a recorder that is not the only one, such as a CI runner that keeps its directory."""
    from tfshadow.errors import UsageError
    from tfshadow.store import GitShadowStore

    project = cli.project()
    if rebase and undo_rebase:
        raise UsageError("--rebase and --undo-rebase go opposite ways", hint="give one of them")
    if undo_rebase:
        return _undo_rebase(cli, as_json, no_color)
    if rebase:
        return _pull_rebase(cli, as_json, no_color)
    result = GitShadowStore.pull(project.store_config(), project.lock_timeout)
    if as_json:
        _emit_json(_pull_json(result))
        return EXIT_OK
    _print_pull(result, no_color)
    return EXIT_OK


def _pull_json(result: PullResult) -> dict[str, Any]:
    return {
        "remote": result.remote,
        "created": result.created,
        "pulled_commits": result.pulled,
        "ahead_commits": result.ahead,
    }


def _print_pull(result: PullResult, no_color: bool, prefix: str = "") -> None:
    console = stdout_console(no_color=no_color)
    if result.created:
        said = f"Created the shadow store from {result.remote}."
    elif result.pulled:
        said = f"Pulled {result.pulled} commit(s) from {result.remote}."
    elif result.ahead and result.half_joined:
        said = (
            f"Nothing to pull from {result.remote}; it lacks {result.ahead} commit(s) of this "
            "store, which is half-joined (a `tfshadow store pull --rebase` stopped part-way): "
            "nothing is pushed until `tfshadow store pull --undo-rebase`."
        )
    elif result.ahead:
        said = (
            f"Nothing to pull from {result.remote}; it lacks {result.ahead} commit(s) of this "
            "store, which the next recorded command pushes."
        )
    else:
        said = f"Up to date with {result.remote}."
    console.print(prefix + said, markup=False)


def _pull_rebase(cli: CliContext, as_json: bool, no_color: bool) -> int:
    from tfshadow.ops.rebase import pull_rebase

    result = pull_rebase(cli.project())
    if result.pull is not None:
        if as_json:
            _emit_json(
                {
                    **_pull_json(result.pull),
                    "diverged": False,
                    "before_rebase": None,
                    "rebased": [],
                    "dropped": [],
                    "marks_carried": [],
                    "ghosts_renumbered": [],
                    "warnings": [],
                }
            )
        else:
            _print_pull(
                result.pull,
                no_color,
                "Not diverged: nothing to rebase, pulled as `tfshadow store pull`. ",
            )
        return EXIT_OK
    if as_json:
        _emit_json(
            {
                "remote": result.remote,
                "created": False,
                "pulled_commits": result.pulled,
                "ahead_commits": result.ahead,
                "diverged": True,
                "before_rebase": result.ref,
                **_renumbering_json(result.rebased, result.dropped, result.ghosts),
                "marks_carried": result.marks,
                "warnings": result.warnings,
            }
        )
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    console.print(
        f"The store and {result.remote} had diverged: took {result.pulled} commit(s) from it.",
        markup=False,
    )
    for moved in result.rebased:
        console.print(
            f"Recorded {moved.workspace} version {moved.old} again as version {moved.new}.",
            markup=False,
        )
    for dropped in result.dropped:
        console.print(
            f"Dropped {dropped.workspace} version {dropped.old}: the remote's version "
            f"{dropped.same_as} has the same state and configuration.",
            markup=False,
        )
    if result.marks:
        console.print(f"Carried the marks of {', '.join(result.marks)}.", markup=False)
    for address, old, new in result.ghosts:
        console.print(
            f"The ghost of {address} is a copy of version {new} (was numbered {old}).",
            markup=False,
        )
    console.print(
        f"The history before the rebase is kept at {result.ref} (`tfshadow store pull "
        "--undo-rebase` goes back to it; the remote keeps the joined history).",
        markup=False,
    )
    if not result.ahead:
        console.print(f"Pushed the joined history to {result.remote}.", markup=False)
    for warning in result.warnings:
        click.echo(f"tfshadow: warning: {warning}", err=True)
    return EXIT_OK


def _renumbering_json(
    rebased: Sequence[Moved], dropped: Sequence[Dropped], ghosts: Sequence[tuple[str, int, int]]
) -> dict[str, Any]:
    """The versions a rebase (or its undo) recorded again, dropped and renumbered ghosts of."""
    return {
        "rebased": [{"workspace": m.workspace, "from": m.old, "to": m.new} for m in rebased],
        "dropped": [
            {"workspace": d.workspace, "version": d.old, "same_as": d.same_as} for d in dropped
        ],
        "ghosts_renumbered": [
            {"address": address, "from": old, "to": new} for address, old, new in ghosts
        ],
    }


def _undo_rebase(cli: CliContext, as_json: bool, no_color: bool) -> int:
    from tfshadow.ops.rebase import undo_pull_rebase

    result = undo_pull_rebase(cli.project())
    if as_json:
        _emit_json(
            {
                "before_rebase": result.ref,
                "commit": result.commit,
                "left": result.left,
                **_renumbering_json(result.carried, result.dropped, result.ghosts),
                "warnings": result.warnings,
            }
        )
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    went = (
        f"Went back from commit {result.left[:12]} to"
        if result.left is not None
        else "The store was already at"
    )
    console.print(
        f"{went} the history before the rebase (commit {result.commit[:12]}), every file "
        f"read-only; {result.ref} is dropped. The remote keeps the joined history: the store "
        "has diverged from it again (`tfshadow store pull --rebase` joins them).",
        markup=False,
    )
    for moved in result.carried:
        console.print(
            f"Recorded {moved.workspace} version {moved.old} (recorded on the half-joined "
            f"history) again as version {moved.new}.",
            markup=False,
        )
    for dropped in result.dropped:
        console.print(
            f"Dropped {dropped.workspace} version {dropped.old} (recorded on the half-joined "
            f"history): version {dropped.same_as} has the same state and configuration.",
            markup=False,
        )
    for address, old, new in result.ghosts:
        console.print(
            f"The ghost of {address} is a copy of version {new} (was numbered {old}).",
            markup=False,
        )
    for warning in result.warnings:
        click.echo(f"tfshadow: warning: {warning}", err=True)
    return EXIT_OK


@store_group.command(name="sync")
@click.option(
    "--full",
    is_flag=True,
    help="Check every object and history step, also those uploaded before, and send what is "
    "missing or altered (repairs a mirror that lost objects).",
)
@json_option
@no_color_option
@pass_cli
def sync_command(cli: CliContext, full: bool, as_json: bool, no_color: bool) -> int:
    """Upload to the mirror what the store recorded since the last upload (with --full, also
    what the mirror lost since). Exit 1 when an upload fails (the versions not uploaded stay
    queued)."""
    from tfshadow.mirror.ops import sync_store

    result = sync_store(cli.project(), full=full)
    if as_json:
        _emit_json(
            {
                "mirror": result.url,
                "uploaded_versions": [{"workspace": w, "version": n} for w, n in result.versions],
                "objects": result.objects,
                "commit": result.tip,
                # Nothing sent: a plain sync found nothing recorded since the last upload, a
                # full one found the mirror holding everything.
                "nothing_to_do": result.objects == 0,
                "warnings": list(result.warnings),
            }
        )
        return EXIT_OK
    console = stdout_console(no_color=no_color)
    if result.versions or result.objects:
        console.print(
            f"Uploaded {len(result.versions)} version(s) "
            f"({versions_text(result.versions) or 'history only'}) and {result.objects} "
            f"object(s) to {result.url}."
        )
    elif full:
        console.print(
            f"{result.url} is up to date: it holds every object and history step of the store "
            "(nothing uploaded)."
        )
    else:
        # A plain sync checks nothing it sent before: it cannot tell a mirror that lost objects.
        console.print(
            f"Nothing recorded since the last upload to {result.url}: nothing uploaded "
            "(`tfshadow store verify` checks what it holds)."
        )
    for warning in result.warnings:
        click.echo(f"tfshadow: warning: {warning}", err=True)
    return EXIT_OK


@store_group.command(name="verify")
@json_option
@no_color_option
@pass_cli
def verify_command(cli: CliContext, as_json: bool, no_color: bool) -> int:
    """Compare the store with its mirror: exit 1 when an object is missing or altered, or
    when another copy's history parted from the store's there."""
    from tfshadow.mirror.ops import verify_store

    report = verify_store(cli.project())
    if as_json:
        _emit_json(
            {
                "mirror": report.url,
                "commit": report.head,
                "checked": report.checked,
                "ok": report.ok,
                "findings": [
                    {"problem": f.problem, "key": f.key, "what": f.what} for f in report.findings
                ],
                "queued": [{"workspace": w, "version": n} for w, n in report.queued],
                "repair": None if report.repair is None else f"tfshadow store {report.repair}",
                "half_joined": report.half_joined,
            }
        )
    else:
        console = stdout_console(no_color=no_color)
        for finding in report.findings:
            console.print(f"{finding.problem}: {finding.key} ({finding.what})", markup=False)
        if report.queued:
            console.print(
                f"queued for upload: {versions_text(report.queued)} (run `tfshadow store sync`)",
                markup=False,
            )
        verdict = (
            "holds everything the store has"
            if report.ok
            else (f"has {len(report.findings)} problem(s)")
        )
        console.print(f"{report.url} {verdict} ({report.checked} object(s) checked).")
        if report.repair is not None:
            console.print(
                f"Run `tfshadow store {report.repair}` to upload what it lacks.", markup=False
            )
        if report.half_joined:
            console.print(
                "The store is half-joined (a `store pull --rebase` stopped and could not put it "
                "back): nothing is uploaded until `tfshadow store pull --undo-rebase`.",
                markup=False,
            )
        if any(f.problem == "parted" for f in report.findings):
            console.print(
                "Histories of the store that parted are in this mirror (two copies of the store "
                "upload to it, or this copy left one since its last upload): a restore would "
                "bring back one of them only. Join them (`tfshadow store pull --rebase` in one "
                "copy: its next upload holds both), or mirror from one copy.",
                markup=False,
            )
    return EXIT_OK if report.ok else EXIT_FAILED


@store_group.command(name="restore")
@click.option(
    "--from", "source", required=True, metavar="s3://BUCKET/PREFIX", help="The mirror to read."
)
@click.option("--endpoint", metavar="URL", help="An S3-compatible endpoint (default: AWS).")
@click.option(
    "--tip",
    metavar="COMMIT",
    help="Restore the history up to the step to this commit (its first characters will do) "
    "instead of the newest: to choose between histories of copies that never joined.",
)
@json_option
@no_color_option
@pass_cli
def restore_command(
    cli: CliContext,
    source: str,
    endpoint: str | None,
    tip: str | None,
    as_json: bool,
    no_color: bool,
) -> int:
    """Rebuild the shadow store, git history included, from a mirror (disaster recovery).
    The store's directory must not exist, or be empty."""
    from tfshadow.mirror.ops import restore_store

    result = restore_store(cli.project(), source, endpoint, tip)
    if as_json:
        _emit_json(
            {
                "mirror": result.url,
                "store": str(result.root),
                "commit": result.tip,
                "history_steps": result.steps,
                "versions": result.versions,
                "left_out": [
                    {
                        "commit": other.tip,
                        "parted_at": other.parted_at,
                        "other_copy": other.copy != result.copy,
                        "versions": None
                        if other.versions is None
                        else [{"workspace": w, "version": n} for w, n in other.versions],
                    }
                    for other in result.left_out
                ],
            }
        )
        return EXIT_OK
    kept = ", ".join(f"{ws}: {n} version(s)" for ws, n in sorted(result.versions.items()))
    console = stdout_console(no_color=no_color)
    console.print(
        f"Restored the shadow store at {result.root} from {result.url} "
        f"({result.steps} history step(s); {kept or 'no versions'}).",
        markup=False,
    )
    for other in result.left_out:
        if other.parted_at == result.tip:
            what = f"the history goes on from it to commit {other.tip[:12]} ({other.brought()})"
        else:
            by = " (uploaded by another copy of the store)" if other.copy != result.copy else ""
            where = f"at {other.parted_at[:12]}" if other.parted_at else "before its first step"
            what = (
                f"the history to commit {other.tip[:12]}{by}, which parted from it {where} "
                f"({other.brought()})"
            )
        console.print(f"Left out: {what}; it stays in the mirror.", markup=False)
    return EXIT_OK
