"""Verification of revert plans, over plans and states produced by the embedded Terraform."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tfshadow.errors import SecretError, UsageError
from tfshadow.report.revert import render_remaining, render_verification, verification_json
from tfshadow.revert.verify import (
    IDENTITY_PATH,
    STATUS_PATH,
    Mismatch,
    VerificationReport,
    computed_attributes,
    remaining_differences,
    state_for_push,
    unmatched_targets,
    verify_plan,
)
from tfshadow.runner import embedded_engine
from tfshadow.state.changes import ABSENT
from tfshadow.state.normalise import canonicalise
from tfshadow.state.redact import Redactor, is_sealed, unseal_document

SECRET_V1 = "hunter2-v1-secret"
SECRET_V2 = "correct-horse-v2-secret"

CONFIG_V1 = """
variable "secret" {
  type      = string
  sensitive = true
}
variable "size" {
  type    = string
  default = "small"
}
resource "terraform_data" "keep" {
  input = "same"
}
resource "terraform_data" "inplace" {
  input = "v1"
}
resource "terraform_data" "replace" {
  triggers_replace = "t1"
  input            = "x"
}
resource "terraform_data" "gone" {
  input = { a = 1, b = ["x", "y"] }
}
resource "terraform_data" "sec" {
  input = var.secret
}
resource "terraform_data" "sized" {
  input = var.size
}
resource "terraform_data" "counted" {
  count = 2
  input = "c${count.index}"
}
module "m" {
  source = "./mod"
}
"""

# Version 2: an in-place change, a replacement, a removal and an addition.
CONFIG_V2 = (
    CONFIG_V1.replace('input = "v1"', 'input = "v2"')
    .replace('triggers_replace = "t1"', 'triggers_replace = "t2"')
    .replace(
        'resource "terraform_data" "gone" {\n  input = { a = 1, b = ["x", "y"] }\n}',
        'resource "terraform_data" "added" {\n  input = "new"\n}',
    )
)

MODULE = 'resource "terraform_data" "inner" {\n  input = "m1"\n}\n'


@dataclass(frozen=True)
class Scenario:
    workdir: Path
    environ: dict[str, str]
    redactor: Redactor
    v1_raw: dict[str, Any]
    v1: dict[str, Any]  # canonical, sealed
    v2: dict[str, Any]  # canonical, sealed: the live state before the revert
    plan: dict[str, Any]  # back to v1 with v1's variables
    plan_other_vars: dict[str, Any]  # back to v1, other variable values
    after_revert: dict[str, Any]  # canonical, sealed: live state after applying `plan`
    noop_plan: dict[str, Any]  # the same configuration planned again after the revert


def _terraform(workdir: Path, environ: Mapping[str, str], *args: str) -> bytes:
    result = embedded_engine().capture(list(args), cwd=workdir, environ=environ)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = tmp_path_factory.mktemp("revert")
    workdir = root / "tf"
    (workdir / "mod").mkdir(parents=True)
    (workdir / "mod" / "main.tf").write_text(MODULE)
    rc = root / "terraformrc"
    rc.write_text("")
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), "TF_CLI_CONFIG_FILE": str(rc)}
    v1_env = {**base, "TF_VAR_secret": SECRET_V1}
    v2_env = {**base, "TF_VAR_secret": SECRET_V2}
    redactor = Redactor(b"k" * 32)

    def pull() -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(_terraform(workdir, base, "state", "pull"))
        return raw

    def sealed(raw: Mapping[str, Any]) -> dict[str, Any]:
        return redactor.redact_state(canonicalise(raw))

    def plan_json(environ: Mapping[str, str], name: str) -> dict[str, Any]:
        _terraform(workdir, environ, "plan", "-input=false", "-no-color", f"-out={name}")
        plan: dict[str, Any] = json.loads(_terraform(workdir, environ, "show", "-json", name))
        return plan

    (workdir / "main.tf").write_text(CONFIG_V1)
    _terraform(workdir, base, "init", "-input=false", "-no-color")
    _terraform(workdir, v1_env, "apply", "-auto-approve", "-input=false", "-no-color")
    v1_raw = pull()
    (workdir / "main.tf").write_text(CONFIG_V2)
    _terraform(workdir, v2_env, "apply", "-auto-approve", "-input=false", "-no-color")
    v2 = sealed(pull())

    (workdir / "main.tf").write_text(CONFIG_V1)
    plan = plan_json(v1_env, "back.tfplan")
    plan_other_vars = plan_json({**v2_env, "TF_VAR_size": "large"}, "other.tfplan")
    _terraform(workdir, v1_env, "apply", "-input=false", "-no-color", "back.tfplan")
    after_revert = sealed(pull())
    return Scenario(
        workdir=workdir,
        environ=v1_env,
        redactor=redactor,
        v1_raw=v1_raw,
        v1=sealed(v1_raw),
        v2=v2,
        plan=plan,
        plan_other_vars=plan_other_vars,
        after_revert=after_revert,
        noop_plan=plan_json(v1_env, "noop.tfplan"),
    )


def _report(scenario: Scenario, plan: Mapping[str, Any], **kwargs: Any) -> VerificationReport:
    return verify_plan(plan, scenario.v1, 1, seal=scenario.redactor.seal, **kwargs)


def _rendered(draw: Callable[[Console], None]) -> str:
    console = Console(record=True, width=120)
    draw(console)
    return console.export_text()


# --- what the real plans look like -------------------------------------------------------------


def test_plan_json_shapes_are_what_verify_reads(scenario: Scenario) -> None:
    changes = {rc["address"]: rc for rc in scenario.plan["resource_changes"]}
    assert scenario.plan["format_version"].startswith("1.")
    assert changes["terraform_data.inplace"]["change"]["actions"] == ["update"]
    assert changes["terraform_data.replace"]["change"]["actions"] == ["delete", "create"]
    assert changes["terraform_data.gone"]["change"]["actions"] == ["create"]
    assert changes["terraform_data.added"]["change"]["actions"] == ["delete"]
    # Plan JSON shows dynamic values plainly, state wraps them; the plan holds secrets in clear.
    assert changes["terraform_data.keep"]["change"]["after"]["input"] == "same"
    assert scenario.v1["resources"]["terraform_data.keep"]["attributes"]["input"] == {
        "value": "same",
        "type": "string",
    }
    assert changes["terraform_data.sec"]["change"]["after"]["input"] == SECRET_V1
    assert changes["terraform_data.sec"]["change"]["after_sensitive"] == {"input": True}


# --- verify_plan -------------------------------------------------------------------------------


def test_verify_plan_lists_what_version_n_did_not_have(scenario: Scenario) -> None:
    # Version N's configuration held a resource its state did not (a targeted or part-failed
    # version): applying it in full creates it, which is not a return to N.
    state = {**scenario.v1, "resources": dict(scenario.v1["resources"])}
    del state["resources"]["terraform_data.gone"]
    report = verify_plan(scenario.plan, state, 1, seal=scenario.redactor.seal)
    assert report.added == ("terraform_data.gone",)
    assert report.created_anew == ()
    assert report.needs_confirmation
    text = _rendered(lambda c: render_verification(c, report))
    assert "terraform_data.gone will be created, though version 1 did not have it" in text
    assert verification_json(report)["added"] == ["terraform_data.gone"]


def test_verify_plan_lists_what_does_not_come_back(scenario: Scenario) -> None:
    report = _report(scenario, scenario.plan)

    assert report.version == 1
    assert report.destroyed == ("terraform_data.added",)
    assert report.recreated == ("terraform_data.replace",)
    assert report.created_anew == ("terraform_data.gone",)
    assert report.counts == (2, 2, 2)
    assert report.mismatches == ()
    # keep, inplace, sec (sealed, compared through its seal), sized, counted[0..1], module.m.inner
    assert report.restored_exactly == 7
    assert report.needs_confirmation
    assert not report.is_noop


def test_verify_plan_reports_sensitive_mismatch_sealed(scenario: Scenario) -> None:
    report = _report(scenario, scenario.plan_other_vars)

    by_address = {(m.address, m.path): m for m in report.mismatches}
    assert set(by_address) == {
        ("terraform_data.sec", "input"),
        ("terraform_data.sec", "output"),
        ("terraform_data.sized", "input"),
    }
    sized = by_address[("terraform_data.sized", "input")]
    assert (sized.recorded, sized.planned, sized.sensitive) == ("small", "large", False)
    secret = by_address[("terraform_data.sec", "input")]
    assert secret.sensitive
    assert secret.recorded == scenario.v1["resources"]["terraform_data.sec"]["attributes"]["input"]
    assert secret.planned == scenario.redactor.seal(SECRET_V2)
    # The output echoes the secret without being marked sensitive by Terraform: sealed as well.
    echo = by_address[("terraform_data.sec", "output")]
    assert echo.sensitive and is_sealed(echo.recorded) and is_sealed(echo.planned)
    assert report.restored_exactly == 5


def test_verify_plan_never_holds_plaintext_secrets(scenario: Scenario) -> None:
    for plan in (scenario.plan, scenario.plan_other_vars):
        report = _report(scenario, plan)
        texts = [
            repr(report),
            json.dumps(verification_json(report)),
            _rendered(partial(render_verification, report=report)),
        ]
        for text in texts:
            assert SECRET_V1 not in text
            assert SECRET_V2 not in text
    assert SECRET_V2 in json.dumps(scenario.plan_other_vars)  # the plan itself does hold it


def test_verify_plan_rendering_names_every_loss(scenario: Scenario) -> None:
    text = _rendered(lambda c: render_verification(c, _report(scenario, scenario.plan_other_vars)))

    assert "Verification against version 1" in text
    assert "terraform_data.added will be destroyed" in text
    assert "terraform_data.replace will be recreated: its data does not come back" in text
    assert "terraform_data.gone will be created anew" in text
    assert "terraform_data.sized does not return to version 1:" in text
    assert 'input  "small" → "large"' in text
    assert "output  (sensitive value) → (sensitive value)" in text
    assert "5 resources return exactly to version 1." in text


def test_verify_plan_targets_restrict_the_report(scenario: Scenario) -> None:
    module = _report(scenario, scenario.plan_other_vars, targets=["module.m"])
    assert (module.destroyed, module.recreated, module.created_anew) == ((), (), ())
    assert module.mismatches == ()
    assert module.restored_exactly == 1
    assert not module.needs_confirmation
    assert module.counts == (2, 2, 2)  # Terraform's own numbers, for the whole plan

    counted = _report(scenario, scenario.plan, targets=["terraform_data.counted"])
    assert counted.restored_exactly == 2

    several = _report(
        scenario, scenario.plan_other_vars, targets=["terraform_data.replace", "terraform_data.sec"]
    )
    assert several.recreated == ("terraform_data.replace",)
    assert several.destroyed == ()
    assert {m.address for m in several.mismatches} == {"terraform_data.sec"}


def test_unmatched_targets_names_only_addresses_that_match_nothing(scenario: Scenario) -> None:
    targets = ["module.m", "terraform_data.counted", "terraform_data.count", "module.nope"]
    assert unmatched_targets(scenario.plan, scenario.v1, targets) == [
        "terraform_data.count",
        "module.nope",
    ]
    assert unmatched_targets(scenario.plan, scenario.v1, []) == []


def test_verify_plan_resource_missing_from_plan_is_a_mismatch(scenario: Scenario) -> None:
    plan = dict(scenario.plan)
    plan["resource_changes"] = [
        rc for rc in scenario.plan["resource_changes"] if rc["address"] != "terraform_data.keep"
    ]
    report = _report(scenario, plan)

    [missing] = [m for m in report.mismatches if m.address == "terraform_data.keep"]
    assert missing.path == "" and missing.planned is ABSENT and not missing.sensitive
    assert "will not exist after the revert" in _rendered(lambda c: render_verification(c, report))


def test_verify_plan_no_changes_is_noop(scenario: Scenario) -> None:
    report = _report(scenario, scenario.noop_plan)

    assert report.is_noop
    assert report.counts == (0, 0, 0)
    assert (report.destroyed, report.recreated, report.created_anew) == ((), (), ())
    # The objects the revert recreated are not version 1's: their ids never come back.
    assert [(m.address, m.path) for m in report.mismatches] == [
        ("terraform_data.gone", IDENTITY_PATH),
        ("terraform_data.replace", IDENTITY_PATH),
    ]
    assert report.restored_exactly == 7


def test_verify_plan_refuses_other_documents(scenario: Scenario) -> None:
    with pytest.raises(UsageError, match="format version"):
        verify_plan({"version": 4}, scenario.v1, 1, seal=scenario.redactor.seal)
    with pytest.raises(UsageError, match="format version"):
        verify_plan({"format_version": "2.0"}, scenario.v1, 1, seal=scenario.redactor.seal)


def test_verify_plan_target_prefixes_are_whole_names() -> None:
    seal = Redactor(b"k" * 32).seal

    def entry(module: str) -> dict[str, Any]:
        return {
            "module": module,
            "mode": "managed",
            "type": "terraform_data",
            "name": "x",
            "attributes": {"id": "1"},
        }

    state = {
        "format": 1,
        "resources": {
            "module.db.terraform_data.x": entry("module.db"),
            "module.dbx.terraform_data.x": entry("module.dbx"),
            "module.db[0].terraform_data.x": entry("module.db[0]"),
        },
    }
    plan = {"format_version": "1.2", "resource_changes": []}
    report = verify_plan(plan, state, 3, seal=seal, targets=["module.db"])
    # Neither resource is in the (empty) plan, so each targeted one is a whole-instance mismatch.
    assert [m.address for m in report.mismatches] == [
        "module.db.terraform_data.x",
        "module.db[0].terraform_data.x",
    ]


def test_verify_plan_counts_replacements_and_deposed_like_terraform() -> None:
    def rc(address: str, actions: list[str], **extra: Any) -> dict[str, Any]:
        return {
            "address": address,
            "mode": extra.pop("mode", "managed"),
            "type": "terraform_data",
            "name": "x",
            "change": {"actions": actions, "before": {}, "after": None, "after_unknown": {}},
            **extra,
        }

    plan = {
        "format_version": "1.2",
        "resource_changes": [
            rc("terraform_data.a", ["create", "delete"]),
            rc("terraform_data.b", ["delete"], deposed="00aa11bb"),
            rc("terraform_data.c", ["update"]),
            rc("terraform_data.d", ["forget"]),
            rc("data.terraform_remote_state.e", ["read"], mode="data"),
        ],
        "output_changes": {"o": {"actions": ["no-op"]}},
    }
    report = verify_plan(plan, {"format": 1, "resources": {}}, 2, seal=Redactor(b"k" * 32).seal)
    assert report.counts == (1, 1, 2)
    assert report.recreated == ("terraform_data.a",)
    assert report.destroyed == ("terraform_data.b (deposed object 00aa11bb)",)
    assert report.forgotten == ("terraform_data.d",)
    assert report.outputs_changed == ()


def test_verify_plan_names_what_stays_though_n_lacked_it_and_what_moves_back() -> None:
    def rc(address: str, actions: list[str], **extra: Any) -> dict[str, Any]:
        after = {"id": "1"}
        change = {"actions": actions, "before": after, "after": after, "after_unknown": {}}
        return {"address": address, "mode": "managed", "type": "t", "name": "x", "change": change}

    moved = {**rc("t.m", ["no-op"]), "previous_address": "t.old"}
    plan = {
        "format_version": "1.2",
        "resource_changes": [rc("t.c", ["update"]), rc("t.n", ["no-op"]), moved],
    }
    recorded = {"mode": "managed", "type": "t", "name": "m", "attributes": {"id": "1"}}
    state = {"format": 1, "resources": {"t.m": recorded}}

    report = verify_plan(plan, state, 2, seal=Redactor(b"k" * 32).seal)

    # N was made by `state rm` (its configuration held more than its state): t.c and t.n stay.
    assert report.kept == ("t.c", "t.n")
    assert report.moved == (("t.old", "t.m"),)
    assert report.restored_exactly == 1
    assert report.needs_confirmation and not report.is_noop
    text = _rendered(lambda console: render_verification(console, report))
    assert "t.c stays, though version 2 did not have it" in text
    assert "t.old moves back to t.m" in text


# --- computed_attributes and remaining_differences ---------------------------------------------


def test_computed_attributes_lists_unknowns_of_created_and_replaced(scenario: Scenario) -> None:
    computed = computed_attributes(scenario.plan)

    assert computed == {
        "terraform_data.gone": {"id", "output"},
        "terraform_data.replace": {"id", "output"},
    }


def test_remaining_differences_after_revert_is_empty(scenario: Scenario) -> None:
    computed = computed_attributes(scenario.plan)
    remaining = remaining_differences(scenario.after_revert, scenario.v1, computed=computed)

    assert remaining == []
    assert "State now equals version 1 on every recorded attribute." in _rendered(
        lambda c: render_remaining(c, remaining, 1)
    )
    # The recreated objects do have new ids: ignored, as providers set them anew.
    new_id = scenario.after_revert["resources"]["terraform_data.replace"]["attributes"]["id"]
    assert new_id != scenario.v1["resources"]["terraform_data.replace"]["attributes"]["id"]


def test_remaining_differences_before_revert_lists_everything(scenario: Scenario) -> None:
    remaining = remaining_differences(scenario.v2, scenario.v1)

    found = {(m.address, m.path): m for m in remaining}
    assert set(found) == {
        ("terraform_data.added", ""),
        ("terraform_data.gone", ""),
        ("terraform_data.inplace", "input"),
        ("terraform_data.inplace", "output"),
        ("terraform_data.replace", "triggers_replace"),
        # Replaced in version 2: another object, whatever its attributes.
        ("terraform_data.replace", IDENTITY_PATH),
        ("terraform_data.sec", "input"),
        ("terraform_data.sec", "output"),
    }
    assert found[("terraform_data.inplace", "input")].recorded == "v1"
    assert found[("terraform_data.inplace", "input")].planned == "v2"
    assert found[("terraform_data.gone", "")].planned is ABSENT
    assert found[("terraform_data.added", "")].recorded is ABSENT
    assert found[("terraform_data.sec", "input")].sensitive

    text = _rendered(lambda c: render_remaining(c, remaining, 1))
    assert "State still differs from version 1 in 8 places:" in text
    assert "terraform_data.gone exists in version 1 but not now" in text
    assert "terraform_data.added exists now but not in version 1" in text
    assert SECRET_V1 not in text and SECRET_V2 not in text


def test_remaining_differences_ignores_computed_paths(scenario: Scenario) -> None:
    live = json.loads(json.dumps(scenario.v1))
    live["resources"]["terraform_data.keep"]["attributes"]["output"]["value"] = "regenerated"

    assert [m.path for m in remaining_differences(live, scenario.v1)] == ["output"]
    assert (
        remaining_differences(live, scenario.v1, computed={"terraform_data.keep": {"output"}}) == []
    )
    assert remaining_differences(live, scenario.v1, targets=["module.m"]) == []


def test_remaining_differences_names_a_tainted_instance(scenario: Scenario) -> None:
    # A revert whose apply failed part-way leaves the object it was creating tainted: its
    # attributes may match version N, yet the next apply replaces it.
    live = json.loads(json.dumps(scenario.v1))
    live["resources"]["terraform_data.keep"]["status"] = "tainted"

    remaining = remaining_differences(live, scenario.v1)

    assert [(m.address, m.path, m.planned) for m in remaining] == [
        ("terraform_data.keep", STATUS_PATH, "tainted")
    ]
    text = _rendered(lambda c: render_remaining(c, remaining, 1))
    assert "State now equals" not in text
    assert "terraform_data.keep is tainted: the next apply will replace it" in text
    assert remaining_differences(scenario.v1, live) != []  # and the other way round


def test_remaining_differences_without_live_state(scenario: Scenario) -> None:
    remaining = remaining_differences(None, scenario.v1, targets=["terraform_data.counted"])

    assert [(m.address, m.path) for m in remaining] == [
        ("terraform_data.counted[0]", ""),
        ("terraform_data.counted[1]", ""),
    ]


# --- state_for_push ----------------------------------------------------------------------------


def _encrypting() -> Redactor:
    return Redactor(b"k" * 32, encryption_key="a key for tests")


def test_state_for_push_restores_secrets_and_follows_live_serial(scenario: Scenario) -> None:
    redactor = _encrypting()
    target = redactor.redact_state(canonicalise(scenario.v1_raw))
    live = {"version": 4, "serial": 41, "lineage": scenario.v1_raw["lineage"]}

    raw = state_for_push(
        target, live, unseal_document=lambda d: unseal_document(d, redactor), force=False
    )

    assert raw["serial"] == 42
    assert raw["lineage"] == scenario.v1_raw["lineage"]
    assert "format" not in raw
    assert canonicalise(raw) == canonicalise({**scenario.v1_raw, "serial": 42})
    assert SECRET_V1 in json.dumps(raw)


def test_state_for_push_without_live_state_keeps_target_serial(scenario: Scenario) -> None:
    redactor = _encrypting()
    target = redactor.redact_state(canonicalise(scenario.v1_raw))

    raw = state_for_push(
        target, None, unseal_document=lambda d: unseal_document(d, redactor), force=False
    )

    assert raw["serial"] == scenario.v1_raw["serial"]
    assert raw["lineage"] == scenario.v1_raw["lineage"]


def test_state_for_push_refuses_other_lineage_unless_forced(scenario: Scenario) -> None:
    redactor = _encrypting()
    target = redactor.redact_state(canonicalise(scenario.v1_raw))
    live = {"version": 4, "serial": 3, "lineage": "another-lineage"}

    def unseal(doc: Any) -> Any:
        return unseal_document(doc, redactor)

    with pytest.raises(UsageError, match="lineage") as caught:
        state_for_push(target, live, unseal_document=unseal, force=False)
    assert "--force" in caught.value.one_line()
    assert SECRET_V1 not in caught.value.one_line()

    raw = state_for_push(target, live, unseal_document=unseal, force=True)
    assert (raw["serial"], raw["lineage"]) == (4, scenario.v1_raw["lineage"])


def test_state_for_push_refuses_fingerprinted_secrets(scenario: Scenario) -> None:
    with pytest.raises(SecretError, match="fingerprint"):
        state_for_push(
            scenario.v1,
            None,
            unseal_document=lambda d: unseal_document(d, scenario.redactor),
            force=False,
        )


def test_state_for_push_is_accepted_by_terraform(scenario: Scenario, tmp_path: Path) -> None:
    workdir = tmp_path / "tf"
    shutil.copytree(scenario.workdir, workdir, symlinks=True)
    env = {**scenario.environ}
    live = json.loads(_terraform(workdir, env, "state", "pull"))
    redactor = _encrypting()
    target = redactor.redact_state(canonicalise(scenario.v1_raw))

    raw = state_for_push(
        target, live, unseal_document=lambda d: unseal_document(d, redactor), force=False
    )
    (tmp_path / "push.tfstate").write_text(json.dumps(raw))
    _terraform(workdir, env, "state", "push", str(tmp_path / "push.tfstate"))

    pushed = json.loads(_terraform(workdir, env, "state", "pull"))
    # Terraform accepts it (no lineage or serial complaint) and bumps the serial once more itself.
    assert pushed["serial"] > live["serial"]
    assert pushed["lineage"] == scenario.v1_raw["lineage"]
    assert redactor.redact_state(canonicalise(pushed))["resources"] == target["resources"]


# --- comparison rules, on small hand-made plans ------------------------------------------------


def _one(attributes: dict[str, Any], after: dict[str, Any], **change: Any) -> VerificationReport:
    state = {
        "format": 1,
        "resources": {
            "terraform_data.a": {
                "mode": "managed",
                "type": "terraform_data",
                "name": "a",
                "attributes": attributes,
            }
        },
    }
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "terraform_data.a",
                "mode": "managed",
                "type": "terraform_data",
                "name": "a",
                "change": {
                    "actions": ["update"],
                    "before": {},
                    "after": after,
                    "after_unknown": change.pop("after_unknown", {}),
                    "after_sensitive": change.pop("after_sensitive", {}),
                },
            }
        ],
        **change,
    }
    return verify_plan(plan, state, 1, seal=Redactor(b"k" * 32).seal)


def test_verify_plan_seals_both_sides_of_a_marked_value() -> None:
    seal = Redactor(b"k" * 32).seal
    report = _one({"pw": "old"}, {"pw": "new-secret"}, after_sensitive={"pw": True})

    assert report.mismatches == (
        Mismatch("terraform_data.a", "pw", seal("old"), seal("new-secret"), True),
    )


def test_verify_plan_seals_echoes_of_sensitive_variables() -> None:
    report = _one(
        {"note": "old"},
        {"note": "s3cr3t"},
        variables={"v": {"value": "s3cr3t"}},
        configuration={"root_module": {"variables": {"v": {"sensitive": True}}}},
    )

    [mismatch] = report.mismatches
    assert mismatch.sensitive and "s3cr3t" not in repr(report)


def test_verify_plan_secret_names_hide_values_but_not_flags() -> None:
    report = _one(
        {"db_password": "a", "manage_password": False, "tags": {"env": "prod"}},
        {"db_password": "b", "manage_password": True, "tags": {"env": "dev", "team": "x"}},
    )

    found = {m.path: m for m in report.mismatches}
    assert set(found) == {"db_password", "manage_password", 'tags["env"]', 'tags["team"]'}
    assert found["db_password"].sensitive and is_sealed(found["db_password"].planned)
    assert (found["manage_password"].recorded, found["manage_password"].planned) == (False, True)
    assert found['tags["team"]'].recorded is ABSENT


def test_verify_plan_matches_sealed_dynamic_values_of_guessed_types() -> None:
    redactor = Redactor(b"k" * 32)
    value = {"a": 1, "b": ["x", "y"]}
    for cty in (
        ["object", {"a": "number", "b": ["tuple", ["string", "string"]]}],
        ["object", {"a": "number", "b": ["list", "string"]}],
    ):
        sealed = redactor.seal({"value": value, "type": cty})
        assert _one({"input": sealed}, {"input": value}).mismatches == ()
    changed = _one({"input": redactor.seal({"value": value, "type": cty})}, {"input": {"a": 2}})
    assert [m.sensitive for m in changed.mismatches] == [True]


def test_verify_plan_ignores_unknowns_and_null_versus_absent() -> None:
    report = _one(
        {"id": "1", "arn": "old", "nested": [{"x": 1, "y": "old"}], "gone": None},
        {"id": "1", "nested": [{"x": 1}]},
        after_unknown={"arn": True, "nested": [{"y": True}]},
    )

    assert report.mismatches == ()
    assert report.restored_exactly == 1


def test_another_object_than_ns_is_said_so_before_and_after_the_apply() -> None:
    # Replaced since N (an earlier targeted revert, -replace): the plan keeps it, its id is not
    # N's. Both checks give one identity mismatch, in the same words, not an `id` row in one
    # and nothing in the other.
    address = 'terraform_data.fe["a b"]'
    recorded = {"mode": "managed", "type": "terraform_data", "attributes": {"id": "X", "input": 1}}
    now = {**recorded, "attributes": {"id": "Y", "input": 1}}
    change = {"actions": ["no-op"], "before": now["attributes"], "after": now["attributes"]}
    plan = {
        "format_version": "1.2",
        "resource_changes": [{"address": address, "mode": "managed", "change": change}],
    }
    n = {"format": 1, "resources": {address: recorded}}
    live = {"format": 1, "resources": {address: now}}

    report = verify_plan(plan, n, 2, seal=Redactor(b"k" * 32).seal)
    remaining = remaining_differences(live, n, computed=computed_attributes(plan))

    expected = [Mismatch(address, IDENTITY_PATH, "X", "Y", False)]
    assert list(report.mismatches) == expected and remaining == expected
    assert report.needs_confirmation and report.restored_exactly == 0
    said = (
        f'{address} is another object than version 2\'s (replaced since: id "X" → "Y"): '
        "its data is not version 2's"
    )
    before = _rendered(lambda c: render_verification(c, report))
    after = _rendered(lambda c: render_remaining(c, remaining, 2))
    assert said in before and said in after
    assert "id " not in before.replace(said, "") and "now equals" not in after


def test_an_id_the_provider_sets_anew_is_no_other_object() -> None:
    # Created or replaced by the revert itself (the verification names it), or given a new id
    # by an in-place update: the id is computed, and neither check compares it.
    attrs = {"id": "X", "input": 1}
    n = {
        "format": 1,
        "resources": {
            f"t.{name}": {"mode": "managed", "type": "t", "attributes": attrs}
            for name in ("new", "upd")
        },
    }
    live = json.loads(json.dumps(n))
    for entry in live["resources"].values():
        entry["attributes"]["id"] = "Y"

    def rc(name: str, actions: list[str]) -> dict[str, Any]:
        change = {"actions": actions, "after": {"input": 1}, "after_unknown": {"id": True}}
        return {"address": f"t.{name}", "mode": "managed", "change": change}

    plan = {
        "format_version": "1.2",
        "resource_changes": [rc("new", ["delete", "create"]), rc("upd", ["update"])],
    }
    assert computed_attributes(plan) == {"t.new": {"id"}, "t.upd": {"id"}}
    assert remaining_differences(live, n, computed=computed_attributes(plan)) == []
    assert [m.path for m in verify_plan(plan, n, 1, seal=str).mismatches] == []


def test_unmatched_targets_looks_at_the_current_state_too() -> None:
    # The warning says "names no resource of version N nor of the current state": it must have
    # looked there.
    plan = {"format_version": "1.2", "resource_changes": []}
    n = {"format": 1, "resources": {}}
    current = {"format": 1, "resources": {"t.now": {"mode": "managed", "attributes": {}}}}

    assert unmatched_targets(plan, n, ["t.now", "t.typo"], current) == ["t.typo"]
    assert unmatched_targets(plan, n, ["t.now"]) == ["t.now"]
