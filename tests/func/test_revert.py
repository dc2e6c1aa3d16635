"""`tfshadow revert`: real Terraform, real git, a scratch copy of the working directory."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tfshadow.state.normalise import canonicalise

from .conftest import (
    FIXTURES,
    Tfshadow,
    git_history_text,
    store_files,
    store_locked_elsewhere,
    versions_with_an_extra_file,
)

APPLY = ("apply", "-auto-approve", "-no-color")
APPROVED = ("--auto-approve", "--no-color")


def live_state(workdir: Path) -> dict[str, Any]:
    return json.loads((workdir / "terraform.tfstate").read_text())


def attributes(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource's attributes except the ones a provider generates (id)."""
    return {
        address: {k: v for k, v in inst["attributes"].items() if k != "id"}
        for address, inst in canonicalise(state)["resources"].items()
    }


@pytest.fixture
def history(tmp_path: Path, tfshadow: Tfshadow) -> tuple[Path, dict[int, dict[str, Any]]]:
    """Versions 1, 2, 3: resources added, changed and removed, a module and a variable changed."""
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "revert" / "v1", work)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    states: dict[int, dict[str, Any]] = {}
    assert tfshadow(*APPLY, cwd=work).code == 0
    states[1] = live_state(work)
    shutil.copytree(FIXTURES / "revert" / "v2", work, dirs_exist_ok=True)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0
    states[2] = live_state(work)
    assert tfshadow(*APPLY, "-var", "size=huge", cwd=work).code == 0
    states[3] = live_state(work)
    return work, states


def _initialised(tmp_path: Path, tfshadow: Tfshadow, main_tf: str) -> Path:
    """A working directory holding ``main_tf``, initialised."""
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(main_tf)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    return work


def test_revert_round_trip(history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow) -> None:
    work, states = history
    result = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert "Verification against version 1" in result.out
    assert "recorded version 4" in result.err
    assert "tfshadow checkout 1" in result.err
    assert attributes(live_state(work)) == attributes(states[1])

    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert versions[0]["kind"] == "revert" and versions[0]["reverted_to"] == 1
    # The working directory still holds version 3's files; the revert itself is revertible.
    again = tfshadow("revert", "3", "--auto-approve", "--no-color", cwd=work)
    assert again.code == 0, again.err
    assert attributes(live_state(work)) == attributes(states[3])
    assert tfshadow("log", "--json", cwd=work).json()["versions"][0]["reverted_to"] == 3


def test_revert_dry_run_changes_nothing(
    history: tuple[Path, dict[int, Any]],
    tfshadow: Tfshadow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work, _ = history
    # A temporary directory of its own: other test runs on the machine use the shared one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    before = (work / "terraform.tfstate").read_bytes()
    result = tfshadow("revert", "1", "--dry-run", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert "Verification against version 1" in result.out
    # The plan file is the scratch's, removed at the end: Terraform must not advise applying it.
    assert "terraform apply" not in result.out + result.err
    assert (work / "terraform.tfstate").read_bytes() == before
    assert len(tfshadow("log", "--json", cwd=work).json()["versions"]) == 3
    leftovers = [*(work / ".terraform").glob(".tfshadow-scratch-*")]
    leftovers += (tmp_path / "tmp").iterdir()
    assert not leftovers


def test_revert_needs_approval_when_it_cannot_prompt(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, _ = history
    before = (work / "terraform.tfstate").read_bytes()
    result = tfshadow("revert", "1", cwd=work)
    assert result.code == 2
    assert "--auto-approve" in result.err
    assert (work / "terraform.tfstate").read_bytes() == before


def test_targeted_revert_changes_only_the_targets(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    result = tfshadow(
        "revert", "1", "--target", "terraform_data.keep", "--auto-approve", "--no-color", cwd=work
    )
    assert result.code == 0, result.err
    now = attributes(live_state(work))
    assert now["terraform_data.keep"] == attributes(states[1])["terraform_data.keep"]
    expected = attributes(states[3])
    del expected["terraform_data.keep"]
    del now["terraform_data.keep"]
    assert now == expected
    assert "--target" not in result.err
    assert "State now equals" not in result.out
    assert "The targeted resources now equal version 1" in result.out
    # Writing all of version 1's files back would revert the rest at the next apply.
    assert "still configure the targeted resources as before" in result.err
    assert "`tfshadow diff 1 3` shows it" in result.err  # version 3's files are these
    assert "Run `tfshadow checkout 1`" not in result.err
    both = tfshadow("revert", "1", "--target", "terraform_data.keep", "--write-config", cwd=work)
    assert both.code == 2 and "would revert every other resource too" in both.err

    typo = tfshadow("revert", "1", "--target", "terraform_data.kep", "--dry-run", cwd=work)
    assert typo.code == 0, typo.err
    assert "--target terraform_data.kep names no resource of version 1" in typo.err


def test_targeted_revert_to_the_configuration_already_here_asks_for_no_hand_edits(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    # The files here are version 1's already: the next apply keeps the targeted revert, and the
    # version the note offered to diff against (the revert's parent) is not what is here.
    work, states = history
    assert tfshadow("checkout", "1", cwd=work).code == 0
    result = tfshadow("revert", "1", "--target", "terraform_data.keep", *APPROVED, cwd=work)
    assert result.code == 0, result.err
    assert (
        attributes(live_state(work))["terraform_data.keep"]
        == (attributes(states[1])["terraform_data.keep"])
    )
    assert "recorded version 4" in result.err
    assert "still configure the targeted resources" not in result.err
    assert "would undo" not in result.err


def test_revert_last_good_and_unknown_versions(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    none_good = tfshadow("revert", "last-good", "--auto-approve", cwd=work)
    assert none_good.code == 2 and "mark" in none_good.err
    assert tfshadow("mark", "2", "good", cwd=work).code == 0
    result = tfshadow("revert", "last-good", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert attributes(live_state(work)) == attributes(states[2])
    unknown = tfshadow("revert", "42", "--auto-approve", cwd=work)
    assert unknown.code == 2 and "42" in unknown.err


def test_revert_write_config_puts_version_files_back(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, _ = history
    result = tfshadow("revert", "1", "--auto-approve", "--write-config", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert (work / "main.tf").read_text() == (FIXTURES / "revert/v1/main.tf").read_text()
    assert (work / "modules/app/main.tf").read_text() == (
        FIXTURES / "revert/v1/modules/app/main.tf"
    ).read_text()
    plan = tfshadow("plan", "-detailed-exitcode", "-no-color", cwd=work)
    assert plan.code == 0, plan.out  # directory, state and version 1 agree


def test_revert_write_config_refuses_local_edits_before_changing_anything(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    # Found only after the apply, the refusal left the infrastructure at version 1 and the
    # directory at version 3: the next apply would have undone the revert.
    work, states = history
    edited = (work / "main.tf").read_text() + "# an edit made during the incident\n"
    (work / "main.tf").write_text(edited)
    (work / "hotfix.tf").write_text('resource "terraform_data" "hotfix" {\n  input = "x"\n}\n')
    before = tfshadow("log", "--json", cwd=work).json()["versions"]

    dry = tfshadow("revert", "1", "--dry-run", "--write-config", "--no-color", cwd=work)
    assert dry.code == 0, dry.err
    assert "--write-config would not write the version's files" in dry.err
    assert "hotfix.tf, main.tf have local changes" in dry.err

    result = tfshadow("revert", "1", "--write-config", *APPROVED, cwd=work)
    assert result.code == 2
    assert "--write-config cannot write the version's files here: hotfix.tf, main.tf" in result.err
    assert "nothing was reverted" in result.err
    assert "`tfshadow checkout 1 --force`" in result.err
    assert "Verification" not in result.out  # refused before planning
    assert attributes(live_state(work)) == attributes(states[3])
    assert tfshadow("log", "--json", cwd=work).json()["versions"] == before
    assert (work / "main.tf").read_text() == edited and (work / "hotfix.tf").exists()


def test_revert_to_the_configuration_already_here_says_nothing_of_checkout(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    assert tfshadow("checkout", "1", cwd=work).code == 0
    result = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert attributes(live_state(work)) == attributes(states[1])
    assert "checkout 1" not in result.err and "would undo" not in result.err
    # Version 2 was applied with -var size=large: the files alone do not make it.
    assert tfshadow("checkout", "2", cwd=work).code == 0
    back = tfshadow("revert", "2", *APPROVED, cwd=work)
    assert back.code == 0, back.err
    assert "checkout 2" not in back.err
    assert "values for size: an apply without them would undo this revert" in back.err


def test_revert_write_config_also_when_the_infrastructure_already_matches(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The note after a revert suggests `revert N --write-config`: the infrastructure is version N
    # by then, and the files must still be written, saying which secrets were left out.
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(
        'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n'
        'variable "size" {\n  type = string\n}\n\n'
        'resource "terraform_data" "db" {\n  input = "${var.size}-${var.db_password}"\n}\n'
    )
    tfvars = work / "terraform.tfvars"
    tfvars.write_text('db_password = "first-secret"\nsize        = "small"\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    tfvars.write_text('db_password = "second-secret"\nsize        = "large"\n')
    assert tfshadow(*APPLY, cwd=work).code == 0
    supplied = ("--auto-approve", "--no-color", "-var", "db_password=first-secret")
    assert tfshadow("revert", "1", *supplied, cwd=work).code == 0

    result = tfshadow("revert", "1", "--write-config", *supplied, cwd=work)

    # The file here holds a secret version 1 does not have (second-secret): writing version 1's
    # file would lose it, so it is not written without being forced, and that is said before
    # anything is planned.
    assert result.code == 2, result.err
    assert "--write-config cannot write the version's files here: terraform.tfvars holds" in (
        result.err
    )
    assert "nothing was reverted" in result.err
    assert "tfshadow checkout 1 --force" in result.err
    assert "second-secret" in tfvars.read_text()
    assert "first-secret" not in result.out + result.err

    tfvars.unlink()  # the values kept elsewhere: the file can be written
    result = tfshadow("revert", "1", "--write-config", *supplied, cwd=work)
    assert result.code == 0, result.err
    assert "db_password" in result.err and "TF_VAR_" in result.err
    assert 'size        = "small"' in tfvars.read_text()
    assert "secret" not in tfvars.read_text().replace("sealed", "")


def test_revert_applies_with_the_given_parallelism(tmp_path: Path, tfshadow: Tfshadow) -> None:
    # Each provisioner holds a directory as a lock: run at the same time, one of them fails.
    work = tmp_path / "infra"
    work.mkdir()
    one = (
        'resource "terraform_data" "NAME" {\n  triggers_replace = var.gen\n'
        '  provisioner "local-exec" {\n'
        '    command = "mkdir held && sleep 0.5 && rmdir held"\n  }\n}\n'
    )
    (work / "main.tf").write_text(
        'variable "gen" {\n  type = string\n}\n'
        + "".join(one.replace("NAME", name) for name in ("a", "b"))
    )
    serial = ("-parallelism=1", "-var", "gen=1")
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, *serial, cwd=work).code == 0
    assert tfshadow(*APPLY, "-parallelism=1", "-var", "gen=2", cwd=work).code == 0

    result = tfshadow("revert", "1", *APPROVED, "-parallelism=1", cwd=work)

    assert result.code == 0, result.out + result.err
    assert "partial" not in result.err


def test_drift_is_recorded_before_the_revert(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    from .conftest import plain_apply

    work, _ = history
    plain_apply(work, "-var", "size=drifted")
    result = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    kinds = [v["kind"] for v in tfshadow("log", "--json", cwd=work).json()["versions"]]
    assert kinds[:2] == ["revert", "recovered"]


def test_state_only_revert_pushes_the_recorded_state(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    serial = live_state(work)["serial"]
    result = tfshadow("revert", "1", "--state-only", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    pushed = live_state(work)
    assert pushed["serial"] > serial  # pushed as serial + 1; Terraform may bump it again
    assert pushed["lineage"] == states[1]["lineage"]
    assert canonicalise(pushed)["resources"] == canonicalise(states[1])["resources"]
    [meta] = tfshadow("log", "-n", "1", "--json", cwd=work).json()["versions"]
    assert meta["kind"] == "revert" and meta["state_only"] is True
    # What version 1 lacks is let go of, not destroyed: said so before and after the push.
    assert meta["changes"]["destroy"] == 0 and meta["changes"]["forget"] > 0
    assert "is no longer managed by Terraform" in result.out
    assert "was removed from the state" not in result.out
    # Once more: Terraform's record is version 1 already, so nothing is pushed nor recorded.
    again = tfshadow("revert", "1", "--state-only", "--auto-approve", "--no-color", cwd=work)
    assert again.code == 0, again.err
    assert "already equals version 1" in again.err
    [last] = tfshadow("log", "-n", "1", "--json", cwd=work).json()["versions"]
    assert last["version"] == meta["version"]


def test_state_only_revert_refuses_a_lineage_mismatch(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, _ = history
    (work / "terraform.tfstate").unlink()
    assert tfshadow(*APPLY, cwd=work).code == 0  # a new state: new lineage
    before = (work / "terraform.tfstate").read_bytes()
    result = tfshadow("revert", "1", "--state-only", "--auto-approve", cwd=work)
    assert result.code == 2
    assert "lineage" in result.err and "--force" in result.err
    assert (work / "terraform.tfstate").read_bytes() == before


def test_revert_where_the_state_file_is_gone_keeps_the_state_it_applies(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    (work / "terraform.tfstate").unlink()
    # A dry run leaves no state file behind.
    assert tfshadow("revert", "1", "--dry-run", "--no-color", cwd=work).code == 0
    assert not (work / "terraform.tfstate").exists()
    result = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert result.code == 0, result.err
    # The objects the revert made are in the user's state, not in the scratch deleted after.
    assert set(attributes(live_state(work))) == set(attributes(states[1]))
    [meta] = tfshadow("log", "-n", "1", "--json", cwd=work).json()["versions"]
    assert (meta["kind"], meta["reverted_to"]) == ("revert", 1)


def test_sensitive_variables_must_be_supplied_before_any_plan(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = _initialised(
        tmp_path,
        tfshadow,
        'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n\n'
        'resource "terraform_data" "db" {\n  input = var.db_password\n}\n',
    )
    assert tfshadow(*APPLY, "-var", "db_password=first-secret", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "db_password=second-secret", cwd=work).code == 0
    missing = tfshadow("revert", "1", "--auto-approve", cwd=work)
    assert missing.code == 2
    assert "db_password" in missing.err and "Terraform" not in missing.out
    assert "first-secret" not in missing.err + missing.out
    ok = tfshadow(
        "revert", "1", "--auto-approve", "--no-color", "-var", "db_password=first-secret", cwd=work
    )
    assert ok.code == 0, ok.err
    assert "first-secret" not in ok.out and "first-secret" not in ok.err


def test_revert_under_another_key_takes_given_secrets_and_records_no_drift(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seals made without TFSHADOW_KEY (or with another key) differ from the recorded ones even
    # though the state did not change: that is no change made outside tfshadow.
    work = tmp_path / "infra"
    work.mkdir()
    (work / "main.tf").write_text(
        'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n\n'
        'resource "terraform_data" "db" {\n  input = var.db_password\n}\n'
    )
    monkeypatch.setenv("TFSHADOW_KEY", "the key the history was recorded with")
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "db_password=first-secret", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "db_password=second-secret", cwd=work).code == 0
    for key in ("another key", None):
        if key is None:
            monkeypatch.delenv("TFSHADOW_KEY")
        else:
            monkeypatch.setenv("TFSHADOW_KEY", key)
        assert tfshadow("log", cwd=work).code == 0
        result = tfshadow(
            "revert", "1", "--dry-run", "--no-color", "-var", "db_password=first-secret", cwd=work
        )
        assert result.code == 0, result.err
        assert "recorded" not in result.err
    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["kind"] for v in versions] == ["apply", "apply"]


def test_a_version_recorded_before_the_key_was_set_is_reverted_to_with_it_set(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Version 1 holds the default of `api_token` as a fingerprint of the store's own key; the
    # directory's file still holds the value, which must be recognised with the key set too.
    assert tfshadow(*APPLY, cwd=workdir).code == 0
    monkeypatch.setenv("TFSHADOW_KEY", "the key set later")
    main = workdir / "main.tf"
    main.write_text(main.read_text().replace('"small"', '"large"'))
    assert tfshadow(*APPLY, cwd=workdir).code == 0

    reverted = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    checkout = tfshadow("checkout", "1", cwd=workdir)
    assert checkout.code == 0, checkout.err
    assert '"small"' in main.read_text() and "fixture-token-value" in main.read_text()


def test_failed_revert_apply_is_recorded_as_partial(tmp_path: Path, tfshadow: Tfshadow) -> None:
    work = tmp_path / "infra"
    work.mkdir()
    flaky = (
        'resource "terraform_data" "flaky" {\n  input = "x"\n'
        '  provisioner "local-exec" {\n    command = "test ! -e fail-revert"\n  }\n}\n'
    )
    (work / "main.tf").write_text(
        'resource "terraform_data" "base" {\n  input = "v1"\n}\n\n' + flaky
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text('resource "terraform_data" "base" {\n  input = "v2"\n}\n')
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "fail-revert").write_text("make the provisioner fail")
    result = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 1
    assert "partial" in result.err
    assert "Fix the cause and run `tfshadow revert 1` again to finish" in result.err
    # The object the provisioner failed on is tainted: the state does not equal version 1.
    assert "State now equals" not in result.out
    assert "terraform_data.flaky is tainted: the next apply will replace it" in result.out
    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert versions[0]["kind"] == "revert" and versions[0]["outcome"] == "partial"
    assert tfshadow("inspect", str(versions[0]["version"]), cwd=work).code == 0
    # Run again as said, a targeted revert stays targeted.
    targeted = tfshadow(
        "revert", "1", "--target", "terraform_data.flaky", "--auto-approve", "--no-color", cwd=work
    )
    assert targeted.code == 1
    assert "run `tfshadow revert 1 --target terraform_data.flaky` again to finish" in targeted.err
    assert "The apply failed part-way" in targeted.err  # not interrupted: a cause to fix


def test_state_only_revert_refuses_fingerprinted_secrets_and_works_with_the_key(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    for with_key in (False, True):
        work = tmp_path / f"infra-{with_key}"
        shutil.copytree(FIXTURES / "basic", work)
        if with_key:
            monkeypatch.setenv("TFSHADOW_KEY", "a-test-key-kept-in-a-secret-manager")
        assert tfshadow("init", "-no-color", cwd=work).code == 0
        assert tfshadow(*APPLY, cwd=work).code == 0
        v1 = live_state(work)
        assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0
        before = (work / "terraform.tfstate").read_bytes()
        result = tfshadow("revert", "1", "--state-only", "--auto-approve", "--no-color", cwd=work)
        if not with_key:
            assert result.code == 2
            assert "TFSHADOW_KEY" in result.err
            # A state push takes no variables: the way out is a full revert.
            assert "without --state-only" in result.err
            assert (work / "terraform.tfstate").read_bytes() == before
        else:
            assert result.code == 0, result.err
            # the sensitive value comes back exactly: the key opened the sealed copy
            assert canonicalise(live_state(work))["resources"] == canonicalise(v1)["resources"]


def test_revert_with_the_key_restores_a_url_sealed_for_the_secret_inside_it(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `db_password` is named like a secret, not declared sensitive: the URL built from it is
    # unmarked in the state, and sealed whole in the store.
    work = tmp_path / "infra"
    shutil.copytree(FIXTURES / "basic", work)
    (work / "db.tf").write_text(
        'variable "db_password" {\n  type = string\n}\n'
        'resource "terraform_data" "app" {\n'
        '  input = "postgres://admin:${var.db_password}@db:5432/app?sslmode=require"\n}\n'
    )
    monkeypatch.setenv("TFSHADOW_KEY", "a-test-key-kept-in-a-secret-manager")
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    password = 's3cr3t-pw-\u00fc"q'
    assert tfshadow(*APPLY, "-var", f"db_password={password}", cwd=work).code == 0
    url = attributes(live_state(work))["terraform_data.app"]["input"]["value"]
    assert url == f"postgres://admin:{password}@db:5432/app?sslmode=require"
    assert tfshadow(*APPLY, "-var", "db_password=another-password", cwd=work).code == 0

    reverted = tfshadow("revert", "1", "--state-only", *APPROVED, cwd=work)
    assert reverted.code == 0, reverted.err
    assert attributes(live_state(work))["terraform_data.app"]["input"]["value"] == url
    assert tfshadow(*APPLY, "-var", "db_password=another-password", cwd=work).code == 0
    reverted = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert reverted.code == 0, reverted.err
    assert attributes(live_state(work))["terraform_data.app"]["input"]["value"] == url

    store = work / ".tfshadow"
    everything = "\n".join(store_files(store).values()) + git_history_text(store)
    assert "s3cr3t-pw" not in everything and "another-password" not in everything


@pytest.mark.parametrize("how", ["Ctrl-C", "SIGTERM"])
def test_interrupted_revert_is_recorded_and_cleaned_up(
    how: str, tmp_path: Path, tfshadow: Tfshadow
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    work = tmp_path / "infra"
    work.mkdir()
    slow = (
        'resource "terraform_data" "slow" {\n  input      = "x"\n'
        "  depends_on = [terraform_data.base]\n"
        '  provisioner "local-exec" {\n'
        '    command = "if [ -e slow-revert ]; then sleep 60; fi"\n  }\n}\n'
    )
    (work / "main.tf").write_text('resource "terraform_data" "base" {\n  input = "v1"\n}\n' + slow)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text('resource "terraform_data" "base" {\n  input = "v2"\n}\n')
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "slow-revert").write_text("the provisioner sleeps until interrupted")

    script = str(Path(sys.executable).parent / "tfshadow")
    # A temporary directory of its own: other test runs on the machine use the shared one.
    scratch_tmp = tmp_path / "tmp"
    scratch_tmp.mkdir()
    proc = subprocess.Popen(
        [script, "revert", "1", "--auto-approve", "--no-color"],
        cwd=work,
        env={**os.environ, "TMPDIR": str(scratch_tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a terminal's Ctrl-C reaches them all
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if "Provisioning with 'local-exec'" in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    if how == "Ctrl-C":
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's: every process of the group
    else:
        os.kill(proc.pid, signal.SIGTERM)  # CI cancelling the job: tfshadow alone
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "partial" in err
    # Nothing failed: there is no cause to fix.
    assert "The apply was interrupted part-way" in err and "Fix the cause" not in err, err
    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert versions[0]["kind"] == "revert" and versions[0]["outcome"] == "partial"
    assert tfshadow("inspect", "latest", cwd=work).code == 0  # the store is consistent
    assert not list(scratch_tmp.iterdir())
    assert not list((work / ".terraform").glob(".tfshadow-scratch-*"))


def test_revert_waits_for_the_store_lock(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, _ = history
    before = (work / "terraform.tfstate").read_bytes()
    with store_locked_elsewhere(work):
        result = tfshadow("--lock-timeout", "0.5", "revert", "1", "--auto-approve", cwd=work)
        assert result.code == 2 and "locked" in result.err
        # Terraform's -lock-timeout, which the revert's apply is given, is the wait too.
        start = time.monotonic()
        result = tfshadow("revert", "1", "--auto-approve", "-lock-timeout=1s", cwd=work)
        assert result.code == 2 and "locked" in result.err
        assert time.monotonic() - start < 20  # not the default 60 s
    assert (work / "terraform.tfstate").read_bytes() == before


def test_revert_with_tf_data_dir_uses_the_scratch_copy_of_it(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Version 1 calls a module version 2 does not: the revert's `init` installs it in the
    # scratch's copy of the data directory, leaving the user's as it was.
    work = tmp_path / "infra"
    (work / "modules" / "extra").mkdir(parents=True)
    (work / "modules" / "extra" / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    plain = 'resource "terraform_data" "web" {\n  input = "v"\n}\n'
    (work / "main.tf").write_text(plain + 'module "extra" {\n  source = "./modules/extra"\n}\n')
    monkeypatch.setenv("TF_DATA_DIR", str(tmp_path / "tfdata"))
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    first = live_state(work)
    (work / "main.tf").write_text(plain)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0

    def data_dir() -> dict[str, bytes]:
        return {
            str(p.relative_to(tmp_path)): p.read_bytes()
            for p in (tmp_path / "tfdata").rglob("*")
            if p.is_file()
        }

    before = data_dir()
    result = tfshadow("revert", "1", "--auto-approve", "--no-color", cwd=work)
    assert result.code == 0, result.err
    assert attributes(live_state(work)) == attributes(first)
    assert data_dir() == before
    assert not (work / ".terraform").exists()  # nothing fell back to the default data dir


_SCRIPT = str(Path(sys.executable).parent / "tfshadow")


def _interactive_environ(**extra: str) -> dict[str, str]:
    """This environment as a person's terminal session has it: no CI, no TF_IN_AUTOMATION."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_IN_AUTOMATION")}
    return {**environ, **extra}


def _revert_at_a_terminal(
    work: Path, typed: bytes, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`tfshadow revert 1 ARGS` with a real terminal on stdin, where ``typed`` is what the user
    types (buffered by the terminal until the prompt reads it); ``extra``: environment
    variables."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, typed)
        return subprocess.run(
            [_SCRIPT, "revert", "1", "--no-color", *args],
            cwd=work,
            env=_interactive_environ(**extra),
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(terminal)
        os.close(controller)


def test_revert_asks_at_a_terminal_and_only_yes_approves(
    history: tuple[Path, dict[int, Any]],
) -> None:
    work, states = history
    before = (work / "terraform.tfstate").read_bytes()
    for typed in (b"no\n", b"\x04"):  # an answer other than yes, and Ctrl-D (end of input)
        refused = _revert_at_a_terminal(work, typed)
        assert refused.returncode == 1, refused.stderr
        assert "Only 'yes' will be accepted" in refused.stdout
        assert "Revert cancelled: nothing was changed." in refused.stderr
        assert (work / "terraform.tfstate").read_bytes() == before
    # CI=false (a shell that says it is not a CI job) is a terminal session like any other.
    approved = _revert_at_a_terminal(work, b"yes\n", CI="false")
    assert approved.returncode == 0, approved.stderr
    assert "recorded version 4" in approved.stderr
    assert attributes(live_state(work)) == attributes(states[1])


def test_revert_json_asks_at_a_terminal_on_stderr(history: tuple[Path, dict[int, Any]]) -> None:
    work, states = history
    refused = _revert_at_a_terminal(work, b"no\n", "--json")
    assert refused.returncode == 1, refused.stderr
    assert "Only 'yes' will be accepted" in refused.stderr
    doc = json.loads(refused.stdout)
    assert doc["notes"] == ["Revert cancelled: nothing was changed."] and doc["exit_code"] == 1
    approved = _revert_at_a_terminal(work, b"yes\n", "--json")
    assert approved.returncode == 0, approved.stderr
    doc = json.loads(approved.stdout)
    assert doc["recorded"]["version"] == 4 and doc["exit_code"] == 0
    assert attributes(live_state(work)) == attributes(states[1])


def test_ctrl_c_at_the_revert_prompt_says_nothing_was_changed(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    # Ctrl-C is an answer at the prompt too: the revert ended silently with 130, leaving the
    # user to guess whether anything had been applied.
    work, _ = history
    before = (work / "terraform.tfstate").read_bytes()
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [_SCRIPT, "revert", "1", "--no-color"],
            cwd=work,
            env=_interactive_environ(),
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        seen = ""
        while "Enter a value" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.read(1)
        time.sleep(0.3)  # reading the answer by now
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)

    assert proc.returncode == 130
    assert "Revert interrupted at the prompt: nothing was changed." in err
    assert (work / "terraform.tfstate").read_bytes() == before
    assert [v["version"] for v in tfshadow("log", "--json", cwd=work).json()["versions"]] == [
        3,
        2,
        1,
    ]


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (("-destroy",), "-destroy"),
        (("-refresh-only",), "-refresh-only"),
        (("-out", "revert.tfplan"), "-out"),
        (("-v",), "-v"),
        (("-version",), "-version"),
    ],
)
def test_revert_refuses_plan_options_that_make_another_plan(
    history: tuple[Path, dict[int, Any]],
    tfshadow: Tfshadow,
    given: tuple[str, ...],
    named: str,
) -> None:
    # -destroy planned to destroy everything under the name of a revert; -refresh-only said
    # every resource would be gone after it; -out failed on a plan file of the revert's own;
    # -v made the plan print Terraform's version, and the revert failed on a plan never made.
    work, _ = history
    before = (work / "terraform.tfstate").read_bytes()
    store = store_files(work / ".tfshadow")

    result = tfshadow("revert", "1", *given, *APPROVED, cwd=work)

    assert result.code == 2
    assert f"revert does not take {named}:" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert (work / "terraform.tfstate").read_bytes() == before
    assert store_files(work / ".tfshadow") == store


def test_revert_takes_a_plan_with_changes_under_detailed_exitcode(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    # -detailed-exitcode made the revert's plan exit 2, "changes present", which the revert
    # took for a plan that failed.
    work, states = history

    result = tfshadow("revert", "1", "-detailed-exitcode", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "recorded version 4" in result.err
    assert attributes(live_state(work)) == attributes(states[1])


def test_revert_keeps_the_versions_values_whatever_tf_cli_args_say(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TF_CLI_ARGS* do not reach the revert's plan, yet a -var in them was taken as given: the
    # value version 2 recorded was left out and the variable's default planned instead.
    work, states = history
    assert tfshadow("revert", "1", *APPROVED, cwd=work).code == 0
    monkeypatch.setenv("TF_CLI_ARGS_plan", "-var=size=tiny -refresh-only")

    result = tfshadow("revert", "2", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert attributes(live_state(work)) == attributes(states[2])


def test_revert_force_without_state_only_is_bad_input(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, _ = history
    result = tfshadow("revert", "1", "--force", "--auto-approve", cwd=work)
    assert result.code == 2
    assert "--force only applies to --state-only" in result.err


def test_revert_to_values_given_by_var_for_collections_and_numbers(
    tmp_path: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Terraform reads a -var or TF_VAR_ value of a variable whose type is not a string, number
    # or bool as an HCL expression; the recorded raw text must reach it the same way.
    work = _initialised(
        tmp_path,
        tfshadow,
        'variable "sizes" {\n  type = map(string)\n}\n'
        'variable "zones" {\n  type = list(string)\n}\n'
        'variable "replicas" {\n  type = number\n}\n'
        'variable "label" {\n  type = string\n}\n'
        'resource "terraform_data" "web" {\n'
        "  input = [var.sizes, var.zones, var.replicas, var.label]\n}\n",
    )
    first = ("-var", 'sizes={a="large", b="small"}', "-var", "replicas=3")
    monkeypatch.setenv("TF_VAR_zones", '["z1", "z2"]')
    assert tfshadow(*APPLY, *first, "-var", 'label={a="x"} ${b}', cwd=work).code == 0
    wanted = live_state(work)
    monkeypatch.setenv("TF_VAR_zones", '["z3"]')
    second = ("-var", 'sizes={a="huge"}', "-var", "replicas=5", "-var", "label=plain")
    assert tfshadow(*APPLY, *second, cwd=work).code == 0
    monkeypatch.delenv("TF_VAR_zones")

    result = tfshadow("revert", "1", *APPROVED, cwd=work)

    assert result.code == 0, result.out + result.err
    assert attributes(live_state(work)) == attributes(wanted)


def test_revert_to_a_version_applied_with_var_files_passes_them_again(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = tmp_path / "infra"
    (work / "envs").mkdir(parents=True)
    (work / "main.tf").write_text(
        'variable "size" {\n  default = "small"\n}\n'
        'variable "zone" {\n  default = "a"\n}\n'
        'resource "terraform_data" "web" {\n  input = "${var.size}-${var.zone}"\n}\n'
    )
    (work / "envs" / "prod.tfvars").write_text('size = "large"\nzone = "b"\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    # -var after the file wins over it, as Terraform reads them in order.
    applied = tfshadow(*APPLY, "-var-file=envs/prod.tfvars", "-var", "zone=c", cwd=work)
    assert applied.code == 0, applied.err
    wanted = live_state(work)
    assert attributes(wanted)["terraform_data.web"]["input"] == {
        "value": "large-c",
        "type": "string",
    }
    (work / "envs" / "prod.tfvars").write_text('size = "huge"\n')
    assert tfshadow(*APPLY, cwd=work).code == 0
    assert tfshadow("log", "--json", cwd=work).json()["versions"][1]["var_files"] == [
        "envs/prod.tfvars"
    ]

    result = tfshadow("revert", "1", *APPROVED, cwd=work)

    assert result.code == 0, result.out + result.err
    assert attributes(live_state(work)) == attributes(wanted)
    reverted = tfshadow("log", "--json", cwd=work).json()["versions"][0]
    assert reverted["var_files"] == ["envs/prod.tfvars"]
    # A --state-only revert records version N's files as well: its var files with them.
    assert tfshadow(*APPLY, cwd=work).code == 0
    state_only = tfshadow("revert", "1", "--state-only", *APPROVED, cwd=work)
    assert state_only.code == 0, state_only.err
    reverted = tfshadow("log", "--json", cwd=work).json()["versions"][0]
    assert reverted["state_only"] and reverted["var_files"] == ["envs/prod.tfvars"]


def test_a_revert_records_the_values_it_was_given_so_reverting_to_it_brings_them_back(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Your own -var-file and -var win over version N's values in a revert; its version held
    # only N's, so a later revert to it planned N's values and missed the state it recorded.
    work = _initialised(
        tmp_path,
        tfshadow,
        'variable "size" {\n  default = "small"\n}\n'
        'variable "zone" {\n  default = "a"\n}\n'
        'variable "db_password" {\n  default   = "recorded-password"\n  sensitive = true\n}\n'
        'resource "terraform_data" "web" {\n  input = "${var.size}-${var.zone}"\n}\n'
        'resource "terraform_data" "db" {\n  input = sensitive(var.db_password)\n}\n',
    )
    assert tfshadow(*APPLY, cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0
    (work / "override.tfvars").write_text('zone = "z"\n')
    given = (
        "-var-file=override.tfvars",
        "-var",
        "size=huge",
        "-var",
        "db_password=given-password-value",
    )
    reverted = tfshadow("revert", "1", *APPROVED, *given, cwd=work)
    assert reverted.code == 0, reverted.err
    wanted = attributes(live_state(work))
    assert wanted["terraform_data.web"]["input"] == {"value": "huge-z", "type": "string"}
    (work / "override.tfvars").unlink()
    assert tfshadow("revert", "2", *APPROVED, cwd=work).code == 0

    again = tfshadow("revert", "3", *APPROVED, "-var", "db_password=given-password-value", cwd=work)

    assert again.code == 0, again.err
    assert attributes(live_state(work)) == wanted
    assert "State now equals version 3" in again.out
    [latest, _, third, *_] = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert third["var_files"] == ["override.tfvars"]
    assert latest["var_files"] == ["override.tfvars"]
    assert "given-password-value" not in git_history_text(work / ".tfshadow")


def test_revert_reads_files_the_configuration_reaches_above_its_directory(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # A policy shared by several configurations, read with `file("${path.module}/../…")`: the
    # revert's scratch copy had no such file above it and Terraform could not plan.
    work = tmp_path / "envs" / "prod"
    work.mkdir(parents=True)
    shared = tmp_path / "envs" / "policy.json"
    shared.write_text('{"allow": "read"}\n')
    main = work / "main.tf"
    main.write_text(
        'resource "terraform_data" "policy" {\n'
        '  input = file("${path.module}/../policy.json")\n}\n'
        'resource "terraform_data" "web" {\n  input = "v1"\n}\n'
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    first = attributes(live_state(work))
    main.write_text(main.read_text().replace('"v1"', '"v2"'))
    assert tfshadow(*APPLY, cwd=work).code == 0

    result = tfshadow("revert", "1", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "State now equals version 1" in result.out
    assert attributes(live_state(work)) == first
    assert sorted(p.name for p in shared.parent.iterdir()) == ["policy.json", "prod"]


def _versions_then_a_var_file(tmp_path: Path, tfshadow: Tfshadow, *, applied: bool) -> Path:
    """Versions 1 and 2 of a configuration, and over.tfvars, which version 1 did not have
    (version 2 was applied with it when ``applied``)."""
    work = tmp_path / "infra"
    work.mkdir()
    main = work / "main.tf"
    main.write_text(
        'variable "size" {\n  default = "small"\n}\n'
        'resource "terraform_data" "web" {\n  input = var.size\n}\n'
        'resource "terraform_data" "db" {\n  input = "v1"\n}\n'
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "over.tfvars").write_text('size = "large"\n')
    main.write_text(main.read_text().replace('"v1"', '"v2"'))
    given = ("-var-file=over.tfvars",) if applied else ()
    assert tfshadow(*APPLY, *given, cwd=work).code == 0
    return work


def _applied_again_with_the_var_file_changes_nothing(work: Path, tfshadow: Tfshadow) -> None:
    assert (work / "over.tfvars").read_text() == 'size = "large"\n'
    again = tfshadow(*APPLY, "-var-file=over.tfvars", cwd=work)
    assert again.code == 0 and "No changes" in again.out, again.out + again.err


def test_revert_write_config_keeps_the_variable_files_it_was_given(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # over.tfvars came after version 1: --write-config wrote version 1's files and removed it,
    # the very file the revert was given, and the next apply with it failed.
    work = _versions_then_a_var_file(tmp_path, tfshadow, applied=True)

    result = tfshadow("revert", "1", "--write-config", "-var-file=over.tfvars", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert '"v1"' in (work / "main.tf").read_text()
    _applied_again_with_the_var_file_changes_nothing(work, tfshadow)


def test_revert_says_nothing_of_checkout_when_the_files_here_with_their_var_file_are_the_versions(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The variable file given with -var-file in a subdirectory is among version 1's files but
    # not among this directory's configuration: the files here never matched, and the revert
    # told to run the checkout just done.
    work = tmp_path / "infra"
    (work / "envs").mkdir(parents=True)
    main = work / "main.tf"
    main.write_text(
        'variable "size" {}\nresource "terraform_data" "web" {\n  input = var.size\n}\n'
    )
    (work / "envs" / "prod.tfvars").write_text('size = "large"\n')
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var-file=envs/prod.tfvars", cwd=work).code == 0
    main.write_text(main.read_text().replace("var.size", '"${var.size}-2"'))
    assert tfshadow(*APPLY, "-var-file=envs/prod.tfvars", cwd=work).code == 0
    checked_out = tfshadow("checkout", "1", cwd=work)
    assert checked_out.code == 0, checked_out.err

    result = tfshadow("revert", "1", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "recorded version 3" in result.err
    assert "checkout" not in result.err


def test_the_checkout_a_revert_given_a_var_file_advises_keeps_that_file(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # `tfshadow checkout 1`, as advised, removed over.tfvars (version 1 did not have it): the
    # revert's own version holds version 1's files with it.
    work = _versions_then_a_var_file(tmp_path, tfshadow, applied=False)

    result = tfshadow("revert", "1", "-var-file=over.tfvars", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "Run `tfshadow checkout 3` to write version 1's configuration here" in result.err
    assert tfshadow("checkout", "3", cwd=work).code == 0
    _applied_again_with_the_var_file_changes_nothing(work, tfshadow)


def test_revert_to_a_version_retention_then_removes_still_leads_to_its_configuration(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The revert's own version pushes version N out of a small `retain`: the checkout it
    # advises, and --write-config, must still find N's configuration (the revert holds it).
    import re

    work = tmp_path / "infra"
    work.mkdir()
    (work / "tfshadow.hcl").write_text("store {\n  retain = 2\n}\n")
    main = work / "main.tf"

    def configure(value: str) -> None:
        main.write_text(f'resource "terraform_data" "a" {{\n  input = "{value}"\n}}\n')

    configure("one")
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    for value in ("one", "two", "three"):
        configure(value)
        assert tfshadow(*APPLY, cwd=work).code == 0

    result = tfshadow("revert", "2", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    advice = re.search(r"Run `(tfshadow checkout \d+)`", result.err)
    assert advice, result.err
    checkout = tfshadow(*advice.group(1).split()[1:], cwd=work)
    assert checkout.code == 0, checkout.err
    assert '"two"' in main.read_text()

    configure("three")
    assert tfshadow(*APPLY, cwd=work).code == 0
    written = tfshadow("revert", "4", "--write-config", *APPROVED, cwd=work)
    assert written.code == 0, written.err
    assert "configuration not written" not in written.err
    assert '"two"' in main.read_text()


_INTERRUPT_AFTER_THE_REVERT_APPLIED = """
import os, signal, sys

def hook(event, args):
    # Ctrl-C arriving once Terraform has applied the revert, as tfshadow adds the version to
    # the store's index (before its commit).
    if event == "subprocess.Popen" and "add" in [str(a) for a in args[1]]:
        os.kill(os.getpid(), signal.SIGINT)

sys.addaudithook(hook)
from tfshadow.cli import main
sys.argv = ["tfshadow", *sys.argv[1:]]
main()
"""


def test_revert_interrupted_while_recording_says_the_change_is_not_recorded(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    work, states = history
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_AFTER_THE_REVERT_APPLIED, "revert", "1", *APPROVED],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Apply complete!" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 130
    assert "not be recorded" in proc.stderr and "tfshadow log" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert attributes(live_state(work)) == attributes(states[1])
    log = tfshadow("log", "--json", cwd=work)
    assert log.json()["versions"][0]["kind"] == "recovered"


def test_revert_takes_a_sealed_default_the_directory_still_holds(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The store has the password only as a fingerprint; main.tf here holds the same default,
    # so the revert needs nothing supplied (as `checkout` already does).
    work = tmp_path / "infra"
    work.mkdir()
    secret = 'variable "db_password" {\n  sensitive = true\n  default   = "kept-in-main-tf"\n}\n'
    db = 'resource "terraform_data" "db" {\n  input = var.db_password\n}\n'
    (work / "main.tf").write_text(
        secret + db + 'resource "terraform_data" "web" {\n  input = "v1"\n}\n'
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text(
        secret + db + 'resource "terraform_data" "web" {\n  input = "v2"\n}\n'
    )
    assert tfshadow(*APPLY, cwd=work).code == 0
    result = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert result.code == 0, result.err
    web = attributes(live_state(work))["terraform_data.web"]
    assert web["input"] == {"value": "v1", "type": "string"}
    store = work / ".tfshadow"
    assert "kept-in-main-tf" not in "\n".join(store_files(store).values()) + git_history_text(store)


def test_revert_moves_back_what_moved_instead_of_recreating_it(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # A rename into a module (a `moved` block) and a `state mv`: version 1's configuration does
    # not declare the new addresses, yet the objects are the same and must survive the revert.
    work = tmp_path / "infra"
    (work / "mod").mkdir(parents=True)
    (work / "mod" / "main.tf").write_text(
        'resource "terraform_data" "inside" {\n  input = "x"\n}\n'
    )
    keyed = (
        'resource "terraform_data" "k" {\n  for_each = toset(["x y", "d.t"])\n'
        "  input    = each.key\n}\n"
    )
    (work / "main.tf").write_text('resource "terraform_data" "a" {\n  input = "x"\n}\n' + keyed)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    ids = {a: i["attributes"]["id"] for a, i in canonicalise(live_state(work))["resources"].items()}
    (work / "main.tf").write_text(
        'module "m" {\n  source = "./mod"\n}\n'
        "moved {\n  from = terraform_data.a\n  to   = module.m.terraform_data.inside\n}\n" + keyed
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    moved = tfshadow("state", "mv", 'terraform_data.k["x y"]', 'terraform_data.k2["x y"]', cwd=work)
    assert moved.code == 0, moved.err

    result = tfshadow("revert", "1", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert 'has moved to terraform_data.k["x y"]' in result.out
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in result.out
    assert "module.m.terraform_data.inside moves back to terraform_data.a" in result.out
    live = canonicalise(live_state(work))["resources"]
    assert {a: i["attributes"]["id"] for a, i in live.items()} == ids
    inspect = tfshadow("inspect", "latest", "--json", cwd=work).json()
    assert sorted((r["moved_from"], r["address"]) for r in inspect["changes"]["resources"]) == [
        ("module.m.terraform_data.inside", "terraform_data.a"),
        ('terraform_data.k2["x y"]', 'terraform_data.k["x y"]'),
    ]
    assert not list((work / ".terraform").glob("**/tfshadow_revert_moves.tf"))


def test_targeted_revert_moves_back_what_moved_instead_of_duplicating_it(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # count became for_each with `moved` blocks. Targeting version 1's address created a second
    # object there while the first stayed at its new address; targeting the new address planned
    # nothing and said the target named no resource.
    work = tmp_path / "infra"
    work.mkdir()
    counted = 'resource "terraform_data" "x" {\n  count = 2\n  input = "x-${count.index}"\n}\n'
    (work / "main.tf").write_text(counted)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    ids = [i["attributes"]["id"] for i in canonicalise(live_state(work))["resources"].values()]
    (work / "main.tf").write_text(
        'resource "terraform_data" "x" {\n  for_each = { "a b" = 0, "c\\"d" = 1 }\n'
        '  input    = "x-${each.value}"\n}\n'
        'moved {\n  from = terraform_data.x[0]\n  to   = terraform_data.x["a b"]\n}\n'
        'moved {\n  from = terraform_data.x[1]\n  to   = terraform_data.x["c\\"d"]\n}\n'
    )
    assert tfshadow(*APPLY, cwd=work).code == 0

    by_old = tfshadow("revert", "1", "--target", "terraform_data.x[0]", *APPROVED, cwd=work)
    assert by_old.code == 0, by_old.err
    assert 'terraform_data.x["a b"] moves back to terraform_data.x[0]' in by_old.out
    by_new = tfshadow("revert", "1", "--target", 'terraform_data.x["c\\"d"]', *APPROVED, cwd=work)
    assert by_new.code == 0, by_new.err
    assert 'terraform_data.x["c\\"d"] moves back to terraform_data.x[1]' in by_new.out
    assert "names no resource" not in by_new.err

    live = canonicalise(live_state(work))["resources"]
    assert {a: i["attributes"]["id"] for a, i in live.items()} == {
        "terraform_data.x[0]": ids[0],
        "terraform_data.x[1]": ids[1],
    }
    assert not list((work / ".terraform").glob("**/tfshadow_revert_moves.tf"))


def test_targeted_revert_to_a_version_whose_moved_blocks_move_other_objects(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Version 2 renamed `a` to `b` with a `moved` block and changed `c`; the state is back at
    # version 1. Targeting `c` alone, Terraform refused the plan: version 2's block moves an
    # object the targets did not cover.
    c = 'resource "terraform_data" "c" {\n  input = "%s"\n}\n'
    work = _initialised(
        tmp_path, tfshadow, 'resource "terraform_data" "a" {\n  input = "a"\n}\n' + c % "c1"
    )
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text(
        'resource "terraform_data" "b" {\n  input = "a"\n}\n'
        + "moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n"
        + c % "c2"
    )
    assert tfshadow(*APPLY, cwd=work).code == 0
    assert tfshadow("revert", "1", *APPROVED, cwd=work).code == 0
    before = canonicalise(live_state(work))["resources"]

    only_c = tfshadow("revert", "2", "--target", "terraform_data.c", *APPROVED, cwd=work)

    assert only_c.code == 0, only_c.err
    live = canonicalise(live_state(work))["resources"]
    assert live["terraform_data.c"]["attributes"]["input"]["value"] == "c2"
    # What was not targeted stays as it was, at its address.
    assert live["terraform_data.a"] == before["terraform_data.a"]
    assert "terraform_data.b" not in live
    # Targeting the object the block moves takes the block's other end along.
    moved = tfshadow("revert", "2", "--target", "terraform_data.b", *APPROVED, cwd=work)
    assert moved.code == 0, moved.err
    live = canonicalise(live_state(work))["resources"]
    assert (
        live["terraform_data.b"]["attributes"]["id"]
        == before["terraform_data.a"]["attributes"]["id"]
    )
    assert "terraform_data.a" not in live


def test_revert_to_a_version_whose_moved_block_renamed_a_module_moves_it_once(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # Version 2 renamed a module called with for_each (`moved` from module.svc to
    # module.service). Back at version 1, a revert to 2 added a `moved` block of its own for each
    # instance inside the module, which Terraform refused with version 2's as a cycle.
    work = tmp_path / "infra"
    (work / "mod").mkdir(parents=True)
    (work / "mod" / "main.tf").write_text(
        'variable "x" {\n  type = string\n}\nresource "terraform_data" "r" {\n  input = var.x\n}\n'
    )
    call = '  source   = "./mod"\n  for_each = toset(["a", "b"])\n  x        = each.key\n}\n'
    (work / "main.tf").write_text('module "svc" {\n' + call)
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    ids = sorted(
        i["attributes"]["id"] for i in canonicalise(live_state(work))["resources"].values()
    )
    (work / "main.tf").write_text(
        'module "service" {\n' + call + "moved {\n  from = module.svc\n  to   = module.service\n}\n"
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    assert tfshadow("revert", "1", *APPROVED, cwd=work).code == 0

    result = tfshadow("revert", "2", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in result.out
    live = canonicalise(live_state(work))["resources"]
    assert sorted(live) == [
        'module.service["a"].terraform_data.r',
        'module.service["b"].terraform_data.r',
    ]
    assert sorted(i["attributes"]["id"] for i in live.values()) == ids
    [latest, *_] = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert (latest["kind"], latest["reverted_to"]) == ("revert", 2)


def test_revert_one_rename_back_of_a_resource_renamed_twice_keeps_its_objects(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # terraform_data.a became b (version 2), then c (version 3), each by a `moved` block about
    # the whole counted resource. Back to version 2, the objects were destroyed and created
    # anew at b: the revert left their moves to a block of version 2's that does not move them.
    work = tmp_path / "infra"
    work.mkdir()
    counted = 'resource "terraform_data" "{}" {{\n  count = 2\n  input = "x${{count.index}}"\n}}\n'
    moved = "moved {{\n  from = terraform_data.{}\n  to   = terraform_data.{}\n}}\n"
    (work / "main.tf").write_text(counted.format("a"))
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    ids = sorted(
        i["attributes"]["id"] for i in canonicalise(live_state(work))["resources"].values()
    )
    (work / "main.tf").write_text(counted.format("b") + moved.format("a", "b"))
    assert tfshadow(*APPLY, cwd=work).code == 0
    (work / "main.tf").write_text(
        counted.format("c") + moved.format("a", "b") + moved.format("b", "c")
    )
    assert tfshadow(*APPLY, cwd=work).code == 0

    result = tfshadow("revert", "2", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "terraform_data.c[1] moves back to terraform_data.b[1]" in result.out
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in result.out
    live = canonicalise(live_state(work))["resources"]
    assert sorted(live) == ["terraform_data.b[0]", "terraform_data.b[1]"]
    assert sorted(i["attributes"]["id"] for i in live.values()) == ids


def test_revert_lets_go_of_an_object_imported_since_instead_of_destroying_it(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # An object made outside Terraform, brought under it by an `import` block in version 2.
    main = workdir / "main.tf"
    original = main.read_text()
    main.write_text(
        original + '\nresource "terraform_data" "legacy" {}\n'
        'import {\n  to = terraform_data.legacy\n  id = "made-by-hand"\n}\n'
    )
    imported = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert imported.code == 0 and "1 imported" in imported.out, imported.err
    main.write_text(original)

    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)
    assert dry.code == 0, dry.err
    # Version 1 did not manage it: going back means letting go of it, as Terraform says.
    assert "terraform_data.legacy will no longer be managed by Terraform" in dry.out
    assert "will be destroyed" not in dry.out
    assert not (workdir / "tfshadow_revert_removed.tf").exists()  # only in the scratch copy

    reverted = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    assert "terraform_data.legacy" not in live_state(workdir)["resources"]
    [latest, *_] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert latest["kind"] == "revert" and latest["changes"]["destroy"] == 0
    shown = tfshadow("inspect", str(latest["version"]), "--no-color", cwd=workdir).out
    assert "terraform_data.legacy is no longer managed by Terraform" in shown
    assert "was destroyed" not in shown


def test_revert_lets_go_of_objects_imported_into_a_module_since(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    # Version 2 calls a module twice and imports an object made outside Terraform into each.
    main = workdir / "main.tf"
    original = main.read_text()
    (workdir / "legacy").mkdir()
    (workdir / "legacy" / "main.tf").write_text('resource "terraform_data" "thing" {}\n')
    main.write_text(
        original
        + '\nmodule "legacy" {\n  source   = "./legacy"\n  for_each = toset(["a", "b"])\n}\n'
        'import {\n  for_each = toset(["a", "b"])\n'
        "  to = module.legacy[each.key].terraform_data.thing\n"
        '  id = "made-by-hand-${each.key}"\n}\n'
    )
    assert tfshadow("init", "-no-color", cwd=workdir).code == 0
    imported = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert imported.code == 0, imported.err
    # Recorded as imported, not added: the `for_each` import block names them by a pattern.
    [second, _] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert second["changes"]["add"] == 0
    assert second["description"].startswith("2 to import, 0 to add"), second["description"]

    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)
    assert dry.code == 0, dry.err
    # Version 1 managed neither object: going back lets go of both, destroying nothing.
    for key in ("a", "b"):
        assert f'module.legacy["{key}"].terraform_data.thing will no longer be managed' in dry.out
    assert "will be destroyed" not in dry.out, dry.out

    reverted = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    live = canonicalise(live_state(workdir))["resources"]
    assert not [a for a in live if a.startswith("module.legacy")]
    [latest, *_] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert latest["kind"] == "revert" and latest["changes"]["destroy"] == 0
    assert latest["changes"].get("forget") == 2
    shown = tfshadow("inspect", str(latest["version"]), "--no-color", cwd=workdir).out
    assert 'module.legacy["a"].terraform_data.thing is no longer managed by Terraform' in shown
    assert "was destroyed" not in shown


@pytest.mark.parametrize("how", ["state rm", "removed block"])
def test_revert_takes_back_an_object_let_go_of_since_instead_of_creating_another(
    workdir: Path, tfshadow: Tfshadow, how: str
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    first_id = canonicalise(live_state(workdir))["resources"]["terraform_data.web"]["attributes"][
        "id"
    ]
    main = workdir / "main.tf"
    original = main.read_text()
    # Version 2 stops managing the object; the object itself stays where it is.
    if how == "state rm":
        let_go = tfshadow("state", "rm", "terraform_data.web", cwd=workdir)
    else:
        main.write_text(
            original.replace(
                'resource "terraform_data" "web" {\n  input = var.size\n}\n', ""
            ).replace("terraform_data.web.output", '"gone"')
            + "\nremoved {\n  from = terraform_data.web\n  lifecycle {\n    destroy = false\n"
            "  }\n}\n"
        )
        let_go = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert let_go.code == 0, let_go.err
    assert "terraform_data.web" not in canonicalise(live_state(workdir))["resources"]

    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)
    assert dry.code == 0, dry.err
    assert "terraform_data.web will be taken back" in dry.out
    assert "1 to import, 0 to add" in dry.out
    assert "created anew" not in dry.out

    reverted = tfshadow("revert", "1", "--write-config", "--auto-approve", "-no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    live = canonicalise(live_state(workdir))["resources"]
    assert live["terraform_data.web"]["attributes"]["id"] == first_id  # the same object
    assert "State now equals version 1" in reverted.out
    [latest, *_] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert latest["kind"] == "revert" and latest["changes"]["add"] == 0
    shown = tfshadow("inspect", str(latest["version"]), "--no-color", cwd=workdir).out
    assert "terraform_data.web was imported" in shown
    assert not list(workdir.glob("**/tfshadow_revert_import.tf"))  # only in the scratch copy
    # Applied again as version 1 was, nothing changes: the object is managed as before.
    again = tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir)
    assert again.code == 0 and "No changes" in again.out, again.out


def test_revert_creates_anew_an_object_destroyed_since(workdir: Path, tfshadow: Tfshadow) -> None:
    # Destroyed, not let go of: there is nothing to take back.
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    gone = tfshadow("destroy", "-target=terraform_data.web", "-auto-approve", cwd=workdir)
    assert gone.code == 0, gone.err
    dry = tfshadow("revert", "1", "--dry-run", "-no-color", cwd=workdir)
    assert dry.code == 0, dry.err
    assert "terraform_data.web will be created anew" in dry.out
    assert "taken back" not in dry.out and "to import" not in dry.out
    # After the apply, the object is no more version 1's than the verification said: its
    # attributes are, its id and data are new.
    reverted = tfshadow("revert", "1", *APPROVED, cwd=workdir)
    assert reverted.code == 0, reverted.err
    assert (
        "State now equals version 1 on every recorded attribute, but for the objects created "
        "anew:\n  +   terraform_data.web was created anew: version 1's in shape, not data\n"
    ) in reverted.out


def test_revert_through_a_recent_executable_takes_back_an_object_too(
    workdir: Path, tfshadow: Tfshadow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An executable Terraform as new as the one that wrote the state reads `import` blocks:
    # here the embedded engine's own entry point, run as an executable.
    import tfshadow.runner.embedded_entry as entry

    executable = workdir.parent / "terraform-1.15"
    executable.write_text(f'#!/bin/sh\nexec "{sys.executable}" -P "{entry.__file__}" "$@"\n')
    executable.chmod(0o755)
    monkeypatch.setenv("TFSHADOW_TERRAFORM_BIN", str(executable))
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    first = canonicalise(live_state(workdir))["resources"]["terraform_data.web"]["attributes"]
    assert tfshadow("state", "rm", "terraform_data.web", cwd=workdir).code == 0
    reverted = tfshadow("revert", "1", "--auto-approve", "-no-color", cwd=workdir)
    assert reverted.code == 0, reverted.err
    assert "terraform_data.web will be taken back" in reverted.out
    live = canonicalise(live_state(workdir))["resources"]
    assert live["terraform_data.web"]["attributes"]["id"] == first["id"]
    [latest, *_] = tfshadow("log", "--json", cwd=workdir).json()["versions"]
    assert latest["terraform"]["engine"] == "executable"


def test_an_object_replaced_since_is_said_to_be_another_one_before_and_after_the_apply(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    # The object at N's address was replaced since N (here by -replace): its id is not N's.
    # Both reports say so in the same words, and neither claims the state equals N.
    work = tmp_path / "infra"
    work.mkdir()
    main = work / "main.tf"
    main.write_text(
        'resource "terraform_data" "fe" {\n  for_each = toset(["a b"])\n  input = "x"\n}\n'
        'resource "terraform_data" "other" {\n  input = "v1"\n}\n'
    )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, cwd=work).code == 0
    first_id = canonicalise(live_state(work))["resources"]['terraform_data.fe["a b"]']
    first_id = first_id["attributes"]["id"]
    replaced = tfshadow(*APPLY, '-replace=terraform_data.fe["a b"]', cwd=work)
    assert replaced.code == 0, replaced.err
    another = "is another object than version 1's (replaced since: id "
    data = "its data is not version 1's"

    # Nothing for Terraform to change: not "already matches".
    noop = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert noop.code == 0, noop.err
    assert f'terraform_data.fe["a b"] {another}"{first_id}"' in noop.out
    assert data in noop.out
    assert "does not return to" not in noop.out
    assert "already matches" not in noop.err
    assert "Nothing to apply: this is as near to version 1" in noop.err

    main.write_text(main.read_text().replace('"v1"', '"v2"'))
    assert tfshadow(*APPLY, cwd=work).code == 0
    reverted = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert reverted.code == 0, reverted.err
    assert reverted.out.count(another) == 2  # the verification, then what still differs
    assert "State now equals" not in reverted.out
    assert "State still differs from version 1 in 1 place:" in reverted.out
    assert "cannot restore data" not in reverted.out  # approved: never asked


def test_targeted_revert_names_only_the_variables_the_targets_use(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    work = _initialised(
        tmp_path,
        tfshadow,
        'variable "a" {\n  type = string\n}\nvariable "b" {\n  type = string\n}\n'
        'locals {\n  name = "x-${var.a}"\n}\n'
        'resource "terraform_data" "x" {\n  input = local.name\n}\n'
        'resource "terraform_data" "y" {\n  input = var.b\n}\n',
    )
    assert tfshadow(*APPLY, "-var", "a=1", "-var", "b=1", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "a=2", "-var", "b=2", cwd=work).code == 0

    targeted = tfshadow("revert", "1", "--target", "terraform_data.x", *APPROVED, cwd=work)
    assert targeted.code == 0, targeted.err
    # An apply without b does not touch terraform_data.x: only a can undo this revert.
    assert "Version 1 was applied with -var or TF_VAR_ values for a: " in targeted.err
    whole = tfshadow("revert", "1", *APPROVED, cwd=work)
    assert whole.code == 0, whole.err
    assert "Version 1 was applied with -var or TF_VAR_ values for a, b: " in whole.err


def test_revert_that_the_store_cannot_record_says_the_next_command_records_it(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    import resource
    import signal

    work = tmp_path / "infra"
    work.mkdir()
    (work / "tfshadow.hcl").write_text("store {\n  keyframe_interval = 1\n}\n")
    (work / "main.tf").write_text(
        'variable "size" {\n  type = string\n}\n'
        'resource "terraform_data" "web" {\n  input = var.size\n}\n'
    )
    # Every version is a keyframe holding all the files: larger than any one file Terraform
    # or the revert's scratch copy writes.
    for name in ("notes_a.tf", "notes_b.tf"):
        (work / name).write_text(
            "".join(f"# note {n:05d} about the web tier\n" for n in range(400))
        )
    assert tfshadow("init", "-no-color", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "size=small", cwd=work).code == 0
    assert tfshadow(*APPLY, "-var", "size=large", cwd=work).code == 0

    # The store's file system fills up while the revert runs: writes past 20 kB fail.
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, limits[1]))
    try:
        result = tfshadow("revert", "1", *APPROVED, cwd=work)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)

    assert result.code == 1, result.err
    assert "the revert was applied but not recorded" in result.err
    assert "then run `tfshadow log`" in result.err
    assert "unexpected error" not in result.err
    assert (
        live_state(work)["resources"][0]["instances"][0]["attributes"]["input"]["value"] == "small"
    )
    versions = tfshadow("log", "--json", cwd=work).json()["versions"]
    assert [v["kind"] for v in versions] == ["recovered", "apply", "apply"]


def test_revert_json_prints_one_document_and_terraform_on_stderr(
    history: tuple[Path, dict[int, Any]], tfshadow: Tfshadow
) -> None:
    # `--json` went to Terraform's plan: its output became JSON lines among the revert's text.
    work, states = history
    dry = tfshadow("revert", "1", "--dry-run", "--json", "--no-color", cwd=work)
    assert dry.code == 0, dry.err
    doc = dry.json()  # standard output is the one document
    assert doc["version"] == 1 and doc["exit_code"] == 0 and doc["recorded"] is None
    verification = doc["verification"]
    assert verification["plan"] == {"add": 1, "change": 2, "destroy": 2}
    assert verification["created_anew"] == ["terraform_data.only_v1"]
    assert "terraform_data.added_in_v2" in verification["destroyed"]
    assert doc["notes"] == ["Dry run: nothing was changed."]
    # What a person reads is on standard error: Terraform's plan and the verification block.
    assert "Plan: 1 to add, 2 to change, 2 to destroy." in dry.err
    assert "Verification against version 1" in dry.err

    result = tfshadow("revert", "1", "--json", "--auto-approve", cwd=work)
    assert result.code == 0, result.err
    doc = result.json()
    recorded = doc["recorded"]
    assert recorded["version"] == 4 and recorded["kind"] == "revert"
    assert recorded["reverted_to"] == 1
    assert doc["remaining"] == {
        "version": 1,
        "equal": True,
        "differences": [],
        "created_anew": ["terraform_data.only_v1"],
    }
    assert any("tfshadow checkout 1" in note for note in doc["notes"])
    assert "Apply complete!" in result.err and "recorded version 4" in result.err
    assert attributes(live_state(work)) == attributes(states[1])

    # Terraform's spelling of it is the revert's too.
    terraform_style = tfshadow("revert", "3", "-json", "--dry-run", cwd=work)
    assert terraform_style.code == 0, terraform_style.err
    assert terraform_style.json()["verification"]["version"] == 3


def test_revert_write_config_says_which_files_it_wrote_and_which_it_removed(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    first, _ = versions_with_an_extra_file(workdir, tfshadow)

    result = tfshadow("revert", "1", "--write-config", *APPROVED, cwd=workdir)

    assert result.code == 0, result.err
    assert (
        "tfshadow: wrote version 1's configuration: main.tf; removed extra.tf, which version 1 "
        "did not have\n"
    ) in result.err
    assert (workdir / "main.tf").read_bytes() == first and not (workdir / "extra.tf").exists()


def test_revert_to_a_recovered_version_says_its_values_are_not_known(
    tmp_path: Path, tfshadow: Tfshadow
) -> None:
    from .conftest import plain_apply

    work = _initialised(
        tmp_path,
        tfshadow,
        'variable "size" {\n  type = string\n}\n'
        'resource "terraform_data" "web" {\n  input = var.size\n}\n',
    )
    assert tfshadow(*APPLY, "-var", "size=small", cwd=work).code == 0
    plain_apply(work, "-var", "size=big")  # outside tfshadow: its value is never seen
    assert tfshadow(*APPLY, "-var", "size=small", cwd=work).code == 0
    kinds = [v["kind"] for v in tfshadow("log", "--json", cwd=work).json()["versions"]]
    assert kinds == ["apply", "recovered", "apply"]

    result = tfshadow("revert", "2", *APPROVED, cwd=work)

    assert result.code == 0, result.err
    assert "Nothing to apply: this is as near to version 2" in result.err
    assert (
        "Version 2 is a recovered version (a change made outside tfshadow): it carries the "
        "variable values of the version before it, as the values it was applied with are not "
        "known. If it was applied with other values, revert with them (-var NAME=VALUE) for size."
    ) in result.err
    given = tfshadow("revert", "2", *APPROVED, "-var", "size=big", cwd=work)
    assert given.code == 0, given.err
    assert "State now equals version 2 on every recorded attribute." in given.out
    assert "recovered version" not in given.err
