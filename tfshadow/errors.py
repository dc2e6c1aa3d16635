"""The tfshadow error tree.

    TfshadowError                 message + hint, exit code 2 unless said otherwise
    ├── UsageError                bad arguments or input files
    │   └── ChdirError            Terraform's -chdir names no directory (a pass-through exits
    │                             1 for it, as Terraform does)
    ├── SettingsError             invalid tfshadow.hcl
    ├── NotTerraformDirError      no configuration where one was expected
    ├── EngineError               Terraform cannot be run (missing binary, failed internal command)
    ├── StoreError                the shadow store cannot be opened or written
    │   ├── StoreLockedError      another tfshadow command holds the store
    │   ├── UnknownVersionError   no such version
    │   ├── TamperedError         a version's files do not match its recorded hashes
    │   ├── RetentionError        a version was committed, but the oldest were not removed
    │   ├── PushInterruptedError  Ctrl-C while the store was pushed to its remote (exit 130)
    │   └── RebaseInterruptedError  Ctrl-C while `store pull --rebase` recorded versions again
    │                             (exit 130)
    ├── SecretError               sealed values cannot be opened (no or wrong key)
    ├── MetricsError              one resource's metric cannot be read (source down, bad query…)
    │   └── NoDataError           the source answered with no points in the range
    ├── AlertError                a recommendation could not be delivered to the webhook
    ├── ClusterError              the Dask scheduler cannot be reached, or a series failed on it
    ├── CiError                   a pipeline's forge (GitHub, GitLab) cannot be reached or refused
    ├── GhostError                no ghost instance can be declared for a resource
    ├── MirrorError               the object-storage mirror cannot be reached, refused, or
    │   │                         does not hold what the store does (exit 1)
    │   └── MirrorInterruptedError  Ctrl-C during the upload after a recorded version (exit 130)
    └── CaptureError              the state changed but no version was recorded (exit 1)

The core raises these; only the CLI prints them (one line: message, then the hint) and exits.
"""

from __future__ import annotations


class TfshadowError(Exception):
    """An error the user can act on."""

    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message


class UsageError(TfshadowError):
    pass


class ChdirError(UsageError):
    """Terraform's ``-chdir`` names no directory (missing, a file, empty, given twice).

    Terraform exits 1 for it: a command tfshadow passes through does too (see cli.main)."""


class SettingsError(TfshadowError):
    pass


class NotTerraformDirError(TfshadowError):
    pass


class EngineError(TfshadowError):
    pass


class StoreError(TfshadowError):
    pass


class StoreLockedError(StoreError):
    pass


class StoreNotWritableError(StoreError):
    """The store cannot be locked for writing (a read-only directory or file system)."""


class StoreDivergedError(StoreError):
    """The remote's branch has commits the store lacks: no later push can succeed."""


class StoreHalfJoinedError(StoreError):
    """A `store pull --rebase` stopped part-way and could not put the store back: the store
    holds part of a join, which is neither pushed nor uploaded until it is undone."""


class UnknownVersionError(StoreError):
    pass


class PushInterruptedError(StoreError):
    """Ctrl-C or SIGTERM while the store was pushed: its versions are kept locally."""

    exit_code = 130


class RebaseInterruptedError(StoreError):
    """Ctrl-C or SIGTERM while `store pull --rebase` recorded this copy's versions again."""

    exit_code = 130


class TamperedError(StoreError):
    pass


class RetentionError(StoreError):
    """The version is committed; only removing the oldest versions failed."""

    def __init__(self, recorded: dict[str, object], cause: TfshadowError) -> None:
        super().__init__(cause.message, cause.hint)
        self.recorded = recorded


class SecretError(TfshadowError):
    pass


class MetricsError(TfshadowError):
    pass


class NoDataError(MetricsError):
    """The source answered, with no points for the series in the range asked."""


class AlertError(TfshadowError):
    pass


class ClusterError(TfshadowError):
    pass


class CiError(TfshadowError):
    """``status``: the HTTP status the forge answered with, when it answered."""

    def __init__(self, message: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class GhostError(TfshadowError):
    pass


class GhostInterruptedError(GhostError):
    """Ctrl-C or SIGTERM while a ghost was being activated: Terraform stopped, nothing more."""

    exit_code = 130


class MirrorError(TfshadowError):
    exit_code = 1


class MirrorInterruptedError(MirrorError):
    """Ctrl-C while a recorded version was being uploaded: it is in git and queued."""

    exit_code = 130


class CaptureError(TfshadowError):
    exit_code = 1


class PlanReportError(TfshadowError):
    """The plan ran, its report asked for with ``--format`` could not be made: a failure, never
    ``-detailed-exitcode``'s 2 ("changes present")."""

    exit_code = 1


class CaptureInterruptedError(CaptureError):
    """Ctrl-C after Terraform ran, before its change was recorded."""

    exit_code = 130
