"""Shell completion: tfshadow's own commands and Terraform's, versions from the shadow store,
resource addresses from the newest version.

click completes the words of tfshadow's own commands, but it cannot see what it does not parse:
tfshadow's options taken anywhere on the line (``--chdir DIR``), Terraform's commands passed
through, nested ones (``state rm``). So the line is split as ``tfshadow`` splits it, and click is
asked only about the words of an own command. Completion answers from the store as `log` reads
it, without its drift check: it never starts Terraform or records anything, and says nothing
when it cannot answer (a missing store, a broken setting): a shell must not print errors at a
tab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem, ShellComplete, get_completion_class

from tfshadow import env
from tfshadow.cli.args import OWN_OPTIONS, ArgumentError, split_arguments
from tfshadow.errors import UsageError

if TYPE_CHECKING:
    from tfshadow.cli.commands import CliContext
    from tfshadow.store import GitShadowStore

# Terraform 1.15's commands, as `terraform -help` lists them.
TERRAFORM_COMMANDS = {
    "init": "Prepare your working directory for other commands",
    "validate": "Check whether the configuration is valid",
    "plan": "Show changes required by the current configuration",
    "apply": "Create or update infrastructure (recorded)",
    "destroy": "Destroy previously-created infrastructure (recorded)",
    "console": "Try Terraform expressions at an interactive command prompt",
    "fmt": "Reformat your configuration in the standard style",
    "force-unlock": "Release a stuck lock on the current workspace",
    "get": "Install or upgrade remote Terraform modules",
    "graph": "Generate a Graphviz graph of the steps in an operation",
    "import": "Associate existing infrastructure with a Terraform resource (recorded)",
    "login": "Obtain and save credentials for a remote host",
    "logout": "Remove locally-stored credentials for a remote host",
    "metadata": "Metadata related commands",
    "modules": "Show all declared modules in a working directory",
    "output": "Show output values from your root module",
    "providers": "Show the providers required for this configuration",
    "query": "Search and list remote infrastructure with Terraform",
    "refresh": "Update the state to match remote systems (recorded)",
    "show": "Show the current state or a saved plan",
    "stacks": "Manage HCP Terraform stack operations",
    "state": "Advanced state management",
    "taint": "Mark a resource instance as not fully functional (recorded)",
    "test": "Execute integration tests for Terraform modules",
    "untaint": "Remove the 'tainted' state from a resource instance (recorded)",
    "version": "Show the current Terraform version",
    "workspace": "Workspace management",
}
TERRAFORM_SUBCOMMANDS = {
    "state": ("identities", "list", "mv", "pull", "push", "replace-provider", "rm", "show"),
    "workspace": ("delete", "list", "new", "select", "show"),
    "providers": ("lock", "mirror", "schema"),
    "metadata": ("functions",),
}
# The words of the own command being completed, for what click's parsing leaves out.
_WORDS: ContextVar[tuple[str, ...]] = ContextVar("words", default=())
# Terraform commands whose own words are resource addresses.
_ADDRESS_COMMANDS = frozenset({"taint", "untaint", "state mv", "state rm", "state show"})
_GLOBAL_OPTIONS = {
    "--chdir": "work in this directory",
    "--terraform-bin": "run this terraform/tofu executable",
    "--lock-timeout": "seconds to wait for another tfshadow command on the store",
    "--message": "the description of the version a recorded command creates",
    "--help": "tfshadow's help",
    "--version": "tfshadow's version",
    "-chdir=": "Terraform's: switch to a directory before the command",
}


def respond(instruction: str, group: Callable[..., click.Group]) -> int:
    """Answer the shell's completion request ``instruction`` (``bash_complete``,
    ``zsh_source``…, as click names them): print the script to source, or the completions of
    the words in the shell's variables. ``group(*names)`` gives the click group with the own
    commands ``names`` loaded (all when none). UsageError for a request of no shell click
    knows."""
    shell, _, action = instruction.partition("_")
    completer_class = get_completion_class(shell)
    if completer_class is None or action not in ("source", "complete"):
        raise UsageError(
            f"{env.TFSHADOW_COMPLETE}={instruction} is not a completion request tfshadow knows",
            hint="use bash_source, zsh_source or fish_source (README: Shell completion)",
        )
    # The group is chosen once the words are known: only the command typed is loaded.
    completer = completer_class(click.Group("tfshadow"), {}, "tfshadow", env.TFSHADOW_COMPLETE)
    if action == "source":
        click.echo(completer.source())
        return 0
    args, incomplete = completer.get_completion_args()
    items = completions(completer, group, args, incomplete)
    if items:
        click.echo("\n".join(completer.format_completion(item) for item in items))
    return 0


def completions(
    completer: ShellComplete,
    group: Callable[..., click.Group],
    args: Sequence[str],
    incomplete: str,
) -> list[CompletionItem]:
    """What may follow ``args`` (the words before the one being typed, program name left out)
    where the word being typed starts ``incomplete``."""
    if args and args[-1] in OWN_OPTIONS and "=" not in args[-1]:
        return _option_value(args[-1], incomplete)
    try:
        inv = split_arguments(list(args), check_chdir=False)
    except ArgumentError:
        return []
    from tfshadow.cli.commands import CliContext
    from tfshadow.cli.main import OWN_COMMANDS

    cli = CliContext(
        workdir=_workdir(inv.chdir, inv.terraform_chdir), terraform_bin=None, lock_timeout=None
    )
    command = inv.command
    if command is None:
        if incomplete.startswith("-"):
            return _matching(_GLOBAL_OPTIONS.items(), incomplete)
        every = group()
        own = {name: _help_of(every, name) for name in sorted(OWN_COMMANDS)}
        return _matching([*own.items(), *TERRAFORM_COMMANDS.items()], incomplete)
    if command in OWN_COMMANDS:
        completer.cli = group(command)
        completer.ctx_args = {"obj": cli}
        words = _WORDS.set((command, *inv.rest))
        try:
            return completer.get_completions([command, *inv.rest], incomplete)
        finally:
            _WORDS.reset(words)
    return _terraform_words(cli, command, inv.rest, incomplete)


def versions(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A VERSION argument's completions: the kept versions, newest first, and the names
    ``latest`` and ``last-good``."""
    from tfshadow.cli.commands import CliContext

    cli = ctx.find_object(CliContext)
    if cli is None:
        return []
    kept = _versions(cli, ctx.params.get("workspace"))
    if not kept:
        return []
    items = [
        CompletionItem("latest", help="the newest version"),
        CompletionItem("last-good", help="the newest version marked good"),
    ]
    for meta in reversed(kept):
        summary = str(meta.get("description") or "").splitlines()[:1]
        when = str(meta.get("timestamp", ""))[:16].replace("T", " ")
        help_text = f"{meta.get('kind', '')} {when}: {' '.join(summary)}"
        items.append(CompletionItem(str(meta["version"]), help=help_text[:80]))
    return [item for item in items if str(item.value).startswith(incomplete)]


def addresses(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A resource address's completions (``--target``, ``log ADDRESS``): the addresses of the
    resources of the version the command names (``revert 3 --target``), else of the newest."""
    from tfshadow.cli.commands import CliContext

    cli = ctx.find_object(CliContext)
    if cli is None:
        return []
    version = ctx.params.get("version")
    if version is None and any(param.name == "version" for param in ctx.command.params):
        words = _WORDS.get()
        after = words[words.index(ctx.info_name) + 1 :] if ctx.info_name in words else ()
        version = _first_argument(ctx.command, after)
    return _addresses(cli, ctx.params.get("workspace"), incomplete, version)


def ghostable(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``ghost enable``'s completions: the newest version's resources of a type a ghost can be
    made of, ghosts themselves left out (a ghost of a ghost is refused)."""
    from tfshadow.cli.commands import CliContext
    from tfshadow.ghost.adapters import ADAPTERS
    from tfshadow.ops.ghost import ghost_resources, is_ghost

    cli = ctx.find_object(CliContext)
    if cli is None:
        return []

    def read() -> list[str]:
        ghosts = ghost_resources(cli.project().open_store(create=False))
        return [
            address
            for address in (item.value for item in _addresses(cli, None, incomplete))
            if _managed_type(address) in ADAPTERS and not is_ghost(address, ghosts)
        ]

    return [CompletionItem(address) for address in _quietly(read)]


def _managed_type(address: str) -> str | None:
    """The type of the managed resource ``address`` names; None for a data source or a
    module."""
    from tfshadow.state.addresses import split_address

    parts = split_address(address)
    if len(parts) < 2 or parts[-2] == "module" or (len(parts) >= 3 and parts[-3] == "data"):
        return None
    return parts[-2]


def enabled_ghosts(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """``ghost activate|disable``'s completions: the resources whose ghost is enabled."""
    from tfshadow.ops.ghost import enabled_ghosts as enabled

    return _store_names(ctx, incomplete, lambda store: sorted(enabled(store)))


def workspaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A ``--workspace`` option's completions: the workspaces the store holds versions of."""
    return _store_names(ctx, incomplete, lambda store: store.workspaces())


def _store_names(
    ctx: click.Context, incomplete: str, names: Callable[[GitShadowStore], Iterable[str]]
) -> list[CompletionItem]:
    """The ``names`` the command's store gives that start ``incomplete``."""
    from tfshadow.cli.commands import CliContext

    cli = ctx.find_object(CliContext)
    if cli is None:
        return []

    def read() -> list[str]:
        project = cli.project()
        if not project.store_exists():
            return []
        return list(names(project.open_store(create=False)))

    return [CompletionItem(name) for name in _quietly(read) if name.startswith(incomplete)]


def _first_argument(command: click.Command, words: Sequence[str]) -> str | None:
    """The first of ``words`` that is an argument of ``command``, not an option or its value.

    click leaves the command's arguments unparsed when the line ends in an option that wants
    its value (``revert 3 --target``), which is when this is asked."""
    takes_value = {
        name
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag
        for name in param.opts
    }
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in takes_value:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def _option_value(option: str, incomplete: str) -> list[CompletionItem]:
    if option == "--chdir":
        return [CompletionItem(incomplete, type="dir")]
    if option in ("--terraform-bin", "--report-file"):
        return [CompletionItem(incomplete, type="file")]
    if option == "--format":
        return _matching([(f, "") for f in ("markdown", "json", "text")], incomplete)
    return []


def _terraform_words(
    cli: CliContext, command: str, rest: Sequence[str], incomplete: str
) -> list[CompletionItem]:
    words = [w for w in rest if not w.startswith("-")]
    nested = TERRAFORM_SUBCOMMANDS.get(command)
    if nested and not words and not incomplete.startswith("-"):
        return _matching([(name, "") for name in nested], incomplete)
    name = f"{command} {words[0]}" if nested and words else command
    if incomplete.startswith("-target="):
        found = _addresses(cli, None, incomplete.removeprefix("-target="))
        return [CompletionItem(f"-target={item.value}") for item in found]
    if (rest and rest[-1] == "-target") or (
        name in _ADDRESS_COMMANDS and not incomplete.startswith("-")
    ):
        return _addresses(cli, None, incomplete)
    # Anything else Terraform takes is a flag or a file (a plan, a -var-file): the shell's own
    # file completion serves.
    return [CompletionItem(incomplete, type="file")]


def _matching(pairs: Iterable[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    return [
        CompletionItem(name, help=help_) for name, help_ in pairs if name.startswith(incomplete)
    ]


def _help_of(group: click.Command, name: str) -> str:
    """An own command's first help line (shown by zsh and fish beside it)."""
    if isinstance(group, click.Group):
        command = group.commands.get(name)
        if command is not None:
            return command.get_short_help_str(limit=60)
    return ""


def _workdir(chdir: str | None, terraform_chdir: str | None) -> Path:
    base = Path(chdir) if chdir else Path.cwd()
    return base / terraform_chdir if terraform_chdir else base


def _quietly(read: Callable[[], list[Any]]) -> list[Any]:
    # Completion prints nothing but its answers: any failure (no store yet, a setting the
    # command itself would refuse, a store being written) is no answer.
    try:
        return read()
    except Exception:
        return []


def _versions(cli: CliContext, workspace: str | None) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        project = cli.project()
        if not project.store_exists():
            return []
        store = project.open_store(create=False)
        found: list[dict[str, Any]] = store.versions(workspace or project.workspace)
        return found

    return _quietly(read)


def _addresses(
    cli: CliContext, workspace: str | None, incomplete: str, version: str | None = None
) -> list[CompletionItem]:
    def read() -> list[str]:
        from tfshadow.ops.marks import resolve_version

        project = cli.project()
        if not project.store_exists():
            return []
        store = project.open_store(create=False)
        ws = workspace or project.workspace
        if store.latest(ws) is None:
            return []
        state = store.reconstruct(ws, resolve_version(store, ws, version or "latest")).state
        return sorted(_address_forms(state.get("resources") or {}))

    return [CompletionItem(a) for a in _quietly(read) if a.startswith(incomplete)]


def _address_forms(instances: Iterable[str]) -> set[str]:
    """Every address a ``-target`` may name for these instances: each instance, its resource
    (the instance key dropped) and the modules it is in."""
    from tfshadow.state.addresses import split_address

    forms: set[str] = set()
    for address in instances:
        forms.add(address)
        parts = split_address(address)
        for end in range(2, len(parts) + 1, 2):
            if parts[end - 2] == "module":
                forms.add(".".join(parts[:end]))
                forms.add(".".join([*parts[: end - 1], parts[end - 1].partition("[")[0]]))
        if len(parts) >= 2 and parts[-1].endswith("]"):
            forms.add(".".join([*parts[:-1], parts[-1].partition("[")[0]]))
    return forms
