from __future__ import annotations

import copy
import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import generate as bench_generate
from tfshadow.errors import SecretError
from tfshadow.state import delta
from tfshadow.state.normalise import canonicalise
from tfshadow.state.redact import (
    SEAL_PREFIX,
    SECRET_NAME,
    Redactor,
    align_seals,
    fingerprint_key_from,
    is_sealed,
    keep_seals,
    key_id,
    matching_seals,
    occurring,
    same_seal,
    seal_id,
    sealed_apart,
    seals_in,
    unescaped,
    unseal_document,
)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[3]
SECRET_V1 = "hunter2-very-secret"
SECRET_V2 = "correct-horse-battery"
FP_KEY = b"0123456789abcdef0123456789abcdef"


def state(name: str) -> dict[str, Any]:
    return canonicalise(json.loads((DATA / name).read_text()))


def entry(attributes: dict[str, Any], sensitive: list[Any] | None = None) -> dict[str, Any]:
    return {
        "mode": "managed",
        "type": "t",
        "name": "n",
        "provider": "p",
        "attributes": attributes,
        "sensitive_attributes": sensitive or [],
    }


def doc(*entries: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format": 1,
        "version": 4,
        "serial": 1,
        "outputs": outputs or {},
        "resources": {f"t.n[{i}]": e for i, e in enumerate(entries)},
    }


def attr(step: str) -> dict[str, Any]:
    return {"type": "get_attr", "value": step}


def index(key: int | str) -> dict[str, Any]:
    kind = "number" if isinstance(key, int) else "string"
    return {"type": "index", "value": {"value": key, "type": kind}}


def redacted_attributes(redactor: Redactor, e: dict[str, Any]) -> Any:
    return redactor.redact_state(doc(e))["resources"]["t.n[0]"]["attributes"]


@pytest.mark.parametrize("encryption_key", [None, "correct key"])
def test_redact_state_leaves_no_plaintext_secret_in_a_real_state(
    encryption_key: str | None,
) -> None:
    canonical = state("sensitive_v1.json")
    assert SECRET_V1.encode() in delta.dumps(canonical)
    redacted = Redactor(FP_KEY, encryption_key).redact_state(canonical)
    encoded = delta.dumps(redacted)
    assert SECRET_V1.encode() not in encoded
    # The for_each module instances got their own secrets: "s1", "s2".
    for address in (
        'module.many["k1"].terraform_data.inner',
        'module.many["k 2"].terraform_data.inner',
    ):
        assert b'"s1"' not in delta.dumps(redacted["resources"][address])
        assert b'"s2"' not in delta.dumps(redacted["resources"][address])


def test_redact_state_seals_terraforms_sensitive_paths_and_echoes() -> None:
    redactor = Redactor(FP_KEY)
    redacted = redactor.redact_state(state("sensitive_v1.json"))
    secretive = redacted["resources"]["terraform_data.secretive"]["attributes"]
    sealed_secret = redactor.seal(SECRET_V1)
    # sensitive_attributes: input.password and input.nested[0].token, inside the dynamic wrapper.
    assert secretive["input"]["value"]["password"] == sealed_secret
    assert secretive["input"]["value"]["nested"][0]["token"] == sealed_secret
    assert secretive["input"]["value"]["user"] == "admin"
    assert secretive["input"]["value"]["nested"][0]["ok"] == 1
    # The type half of the wrapper holds no values and stays readable.
    assert secretive["input"]["type"][1]["password"] == "string"
    inner = redacted["resources"]["module.child.terraform_data.inner"]["attributes"]
    # `input` is marked as a whole; `output` echoes it unmarked.
    assert inner["input"] == redactor.seal({"value": SECRET_V1, "type": "string"})
    assert inner["output"] == {"value": sealed_secret, "type": "string"}
    assert (
        inner["id"]
        == state("sensitive_v1.json")["resources"]["module.child.terraform_data.inner"][
            "attributes"
        ]["id"]
    )


def test_redact_state_seals_sensitive_outputs() -> None:
    redactor = Redactor(FP_KEY)
    redacted = redactor.redact_state(state("sensitive_v1.json"))
    assert redacted["outputs"]["pw"] == {
        "value": redactor.seal(SECRET_V1),
        "type": "string",
        "sensitive": True,
    }
    assert redacted["outputs"]["obj"] == state("sensitive_v1.json")["outputs"]["obj"]


def test_redact_state_does_not_touch_its_input_and_shares_clean_instances() -> None:
    canonical = state("sensitive_v1.json")
    before = copy.deepcopy(canonical)
    redacted = Redactor(FP_KEY).redact_state(canonical)
    assert canonical == before
    assert (
        redacted["resources"]["terraform_data.single"]
        is canonical["resources"]["terraform_data.single"]
    )
    assert (
        redacted["resources"]["terraform_data.secretive"]
        is not canonical["resources"]["terraform_data.secretive"]
    )


def test_redact_state_is_idempotent() -> None:
    for redactor in (Redactor(FP_KEY), Redactor(FP_KEY, "k")):
        once = redactor.redact_state(state("sensitive_v1.json"))
        assert redactor.redact_state(once) == once


def test_seals_are_equal_for_equal_values_and_differ_for_changed_ones() -> None:
    redactor = Redactor(FP_KEY)
    v1 = redactor.redact_state(state("sensitive_v1.json"))
    v2 = redactor.redact_state(state("sensitive_v2.json"))
    assert v1["outputs"]["pw"]["value"] != v2["outputs"]["pw"]["value"]
    # Unchanged secrets seal the same in both versions, so they stay out of the delta.
    unchanged = 'module.many["k1"].terraform_data.inner'
    assert v1["resources"][unchanged] == v2["resources"][unchanged]
    d = delta.dumps(delta.diff(v1, v2))
    assert SECRET_V1.encode() not in d and SECRET_V2.encode() not in d
    assert unchanged.encode() not in d
    assert redactor.seal({"a": 1, "b": [2]}) == redactor.seal({"b": [2], "a": 1})
    assert redactor.seal(1) != redactor.seal(True) != redactor.seal("1")


def test_fingerprints_depend_on_the_key() -> None:
    assert Redactor(FP_KEY).seal("x") != Redactor(b"another key").seal("x")
    assert Redactor(FP_KEY).seal("x").startswith(SEAL_PREFIX + "fp:")


def test_a_fingerprint_matches_the_encryption_of_its_value_under_the_store_key() -> None:
    # The store recorded without TFSHADOW_KEY, then got one: an unchanged secret holds a
    # fingerprint in the old version and its encryption in the new one.
    before = Redactor(FP_KEY).redact_state(state("sensitive_v1.json"))
    matcher = Redactor(FP_KEY, "the key set later")
    after = matcher.redact_state(state("sensitive_v2.json"))
    unchanged = 'module.many["k1"].terraform_data.inner'
    assert before["resources"][unchanged] != after["resources"][unchanged]
    config = {"files": {"main.tf": [f'  default = "{Redactor(FP_KEY).seal(SECRET_V1)}"\n']}}

    aligned_state, aligned_config = align_seals((before, config), (after, {}), matcher)

    assert aligned_state["resources"][unchanged] == after["resources"][unchanged]
    # The secret that did change still differs, and the other direction matches too.
    assert aligned_state["outputs"]["pw"]["value"] != after["outputs"]["pw"]["value"]
    assert aligned_config == config  # nothing in `after` stands for that value
    matched = matching_seals(seals_in(after), seals_in(before), matcher)
    assert matched and all(s.startswith(SEAL_PREFIX + "enc:") for s in matched)
    # Without the key, or under another one, nothing can be told: nothing is matched.
    assert align_seals((before,), (after,), Redactor(FP_KEY)) == (before,)
    assert matching_seals(seals_in(before), seals_in(after), Redactor(FP_KEY, "another")) == {}


STORE_KEY = b"the store's own fingerprint key."


def test_a_rotated_key_tells_which_secrets_changed_without_either_key() -> None:
    # Each encryption carries its value's fingerprint under the store's own key, which a
    # change of TFSHADOW_KEY does not change.
    k1 = Redactor(fingerprint_key_from("k1"), "k1", STORE_KEY)
    k2 = Redactor(fingerprint_key_from("k2"), "k2", STORE_KEY)
    before = k1.redact_state(state("sensitive_v1.json"))
    after = k2.redact_state(state("sensitive_v2.json"))
    unchanged = 'module.many["k1"].terraform_data.inner'
    assert before["resources"][unchanged] != after["resources"][unchanged]
    reader = Redactor(STORE_KEY, None, STORE_KEY)  # neither key set

    (aligned,) = align_seals((before,), (after,), reader)

    assert aligned["resources"][unchanged] == after["resources"][unchanged]
    assert aligned["outputs"]["pw"]["value"] != after["outputs"]["pw"]["value"]  # it changed
    assert not sealed_apart(seals_in(aligned), seals_in(after), reader)
    assert k1.key_id != k2.key_id and k1.key_id == key_id("k1")
    assert "k1" not in str(k1.key_id) and SECRET_V1 not in k1.seal(SECRET_V1)
    # A fingerprint recorded before any key was set matches the fingerprint carried too.
    fingerprinted = Redactor(STORE_KEY).seal(SECRET_V1)
    assert matching_seals([fingerprinted], [k2.seal(SECRET_V1)], reader)
    assert not matching_seals([fingerprinted], [k2.seal(SECRET_V2)], reader)


def test_a_seal_written_before_seals_carried_fingerprints_still_opens_and_compares() -> None:
    old = Redactor(fingerprint_key_from("k1"), "k1")  # what older versions wrote
    new = Redactor(fingerprint_key_from("k1"), "k1", STORE_KEY)
    sealed_old, sealed_new = old.seal(SECRET_V1), new.seal(SECRET_V1)
    assert is_sealed(sealed_old) and is_sealed(sealed_new) and sealed_old != sealed_new
    assert new.unseal(sealed_old) == old.unseal(sealed_new) == SECRET_V1
    # The same value under the same key: the same seal for every comparison.
    assert same_seal(sealed_old, sealed_new) and seal_id(sealed_new) == sealed_old
    assert not same_seal(sealed_old, new.seal(SECRET_V2))
    assert matching_seals([sealed_old], [sealed_new], None) == {sealed_old: sealed_new}
    assert seals_in({"a": f"x = {sealed_new}\n"}) == {sealed_new}
    # Under another key, an old seal can be compared only with its key at hand.
    rotated = Redactor(fingerprint_key_from("k2"), "k2", STORE_KEY).seal(SECRET_V1)
    without_key = Redactor(STORE_KEY, None, STORE_KEY)
    assert not matching_seals([sealed_old], [rotated], without_key)
    assert sealed_apart([sealed_old], [rotated], without_key)
    with_old_key = Redactor(STORE_KEY, "k1", STORE_KEY)
    assert matching_seals([sealed_old], [rotated], with_old_key) == {sealed_old: rotated}


def test_another_copy_of_the_store_keeps_the_seals_of_unchanged_secrets() -> None:
    # A CI runner's fresh clone has another fingerprint key: the same key seals the same
    # value with another fingerprint, and the version before's seal string is kept.
    here = Redactor(fingerprint_key_from("k"), "k", STORE_KEY)
    clone = Redactor(fingerprint_key_from("k"), "k", b"a fresh clone's fingerprint key..")
    before = {"a": here.seal(SECRET_V1)}
    now = {"a": clone.seal(SECRET_V1), "b": clone.seal(SECRET_V2)}
    assert now["a"] != before["a"]
    (kept,) = keep_seals((now,), seals_in(before))
    assert kept == {"a": before["a"], "b": now["b"]}


def test_encryption_round_trips_with_the_key() -> None:
    canonical = state("sensitive_v1.json")
    redactor = Redactor(fingerprint_key_from("my key"), "my key")
    assert redactor.encrypts
    redacted = redactor.redact_state(canonical)
    assert SECRET_V1.encode() not in delta.dumps(redacted)
    seal = redacted["outputs"]["pw"]["value"]
    assert seal.startswith(SEAL_PREFIX + "enc:")
    assert redactor.unseal(seal) == SECRET_V1
    assert unseal_document(redacted, redactor) == canonical
    # Deterministic: another machine with the same TFSHADOW_KEY seals identically.
    again = Redactor(fingerprint_key_from("my key"), "my key").redact_state(canonical)
    assert again == redacted


def test_encrypted_seals_hide_exact_lengths() -> None:
    redactor = Redactor(FP_KEY, "k")
    assert len(redactor.seal("a")) == len(redactor.seal("abcdefgh"))


def test_unseal_with_a_wrong_key_fails_clearly_without_the_value() -> None:
    seal = Redactor(FP_KEY, "right key").seal(SECRET_V1)
    with pytest.raises(SecretError) as caught:
        Redactor(FP_KEY, "wrong key").unseal(seal)
    assert "cannot be opened with this TFSHADOW_KEY" in caught.value.message
    assert caught.value.hint and "TFSHADOW_KEY" in caught.value.hint
    assert SECRET_V1 not in caught.value.one_line()
    with pytest.raises(SecretError, match="needs TFSHADOW_KEY"):
        Redactor(FP_KEY).unseal(seal)
    with pytest.raises(SecretError, match="cannot be opened"):
        Redactor(FP_KEY, "right key").unseal(seal[:-4] + "AAAA")


def test_unseal_refuses_fingerprints_and_plain_strings() -> None:
    redactor = Redactor(FP_KEY, "k")
    with pytest.raises(SecretError, match="fingerprinted secret cannot be opened") as caught:
        redactor.unseal(Redactor(FP_KEY).seal(SECRET_V1))
    assert caught.value.hint and "without TFSHADOW_KEY" in caught.value.hint
    with pytest.raises(SecretError, match="not a sealed value"):
        redactor.unseal(SECRET_V1)


def test_unseal_document_names_remaining_fingerprints_without_values() -> None:
    fingerprinted = Redactor(FP_KEY).redact_state(state("sensitive_v1.json"))
    with pytest.raises(SecretError) as caught:
        unseal_document(fingerprinted, Redactor(FP_KEY, "k"))
    text = caught.value.one_line()
    assert "11 secrets recorded only as a fingerprint (first: output pw)" in text
    assert SECRET_V1 not in text and "tfshadow:sensitive" not in text

    without_outputs = {**fingerprinted, "outputs": {}}
    with pytest.raises(SecretError) as caught:
        unseal_document(without_outputs, Redactor(FP_KEY, "k"))
    assert "(first: terraform_data.secretive attributes.input.value.nested[0].token)" in (
        caught.value.message
    )


def test_unseal_document_does_not_touch_its_input() -> None:
    redactor = Redactor(FP_KEY, "k")
    redacted = redactor.redact_state(state("sensitive_v1.json"))
    before = copy.deepcopy(redacted)
    unseal_document(redacted, redactor)
    assert redacted == before


@pytest.mark.parametrize(
    "value",
    [
        "tfshadow:sensitive:v1:fp:0123456789abcdef",
        "tfshadow:sensitive:v1:enc:AbC-_09",
    ],
)
def test_is_sealed_recognises_seals(value: str) -> None:
    assert is_sealed(value)


@pytest.mark.parametrize(
    "value",
    [
        "tfshadow:sensitive:v1:fp:0123",
        "tfshadow:sensitive:v1:fp:0123456789abcdeg",
        "tfshadow:sensitive:v1:enc:",
        "tfshadow:sensitive:v1:enc:abc=",
        "tfshadow:sensitive:v2:fp:0123456789abcdef",
        "secret",
        None,
        42,
        ["tfshadow:sensitive:v1:fp:0123456789abcdef"],
    ],
)
def test_is_sealed_rejects_other_values(value: object) -> None:
    assert not is_sealed(value)


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "db_password",
        "master_password",
        "Password",
        "PASSWORD",
        "dbPassword",
        "admin-password",
        "passwd",
        "passphrase",
        "ssh_passphrase",
        "pwd",
        "secret",
        "client_secret",
        "clientSecret",
        "secret_string",
        "SecretString",
        "secrets",
        "token",
        "apiToken",
        "access_token",
        "x-auth-token",
        "api_key",
        "apiKey",
        "x-api-key",
        "access_key",
        "secret_key",
        "AWS_SECRET_ACCESS_KEY",
        "primary_access_key",
        "private_key",
        "private_key_pem",
        "privateKeyPem",
        "private_key_openssh",
        "tunnel1_preshared_key",
        "credentials",
        "credentials_json",
        "primary_connection_string",
        "conn_str",
        "client_key",
        "password_wo",
        "password_data",
        "master_user_password_hash",
        "api_tokens",
        "accessTokens",
        "private_keys",
        "api-keys",
    ],
)
def test_secret_name_matches_obviously_secret_names(name: str) -> None:
    assert SECRET_NAME.search(name)


@pytest.mark.parametrize(
    "name",
    [
        "token_endpoint_url",
        "token_ttl",
        "password_length",
        "password_reset_required",
        "secret_arn",
        "secret_id",
        "secret_name",
        "access_key_id",
        "accessKeyId",
        "public_key",
        "kms_key_id",
        "key_name",
        "http_tokens",
        "httpTokens",
        "http-tokens",
        "public_keys",
        "description",
        "name",
        "tags",
        "keyword",
    ],
)
def test_secret_name_ignores_names_about_secrets(name: str) -> None:
    assert not SECRET_NAME.search(name)


def test_redact_state_seals_secret_names_at_any_depth() -> None:
    redactor = Redactor(FP_KEY)
    e = entry(
        {
            "password": "p1",
            "password_length": 16,
            "manage_master_user_password": True,
            "db_password": None,
            "password_data": "",
            "rules": [{"name": "r", "token": "t1"}, {"name": "s", "token": None}],
            "settings": {"inner": {"apiKey": 1234}},
            "credentials": {"user": "u", "pass": "p2"},
            "master_user_secret": [],
            "tags": {"Secret": "tag value", "Name": "web"},
        }
    )
    attrs = redacted_attributes(redactor, e)
    assert attrs["password"] == redactor.seal("p1")
    assert attrs["password_length"] == 16
    assert attrs["manage_master_user_password"] is True
    assert attrs["db_password"] is None
    assert attrs["password_data"] == ""
    assert attrs["rules"] == [
        {"name": "r", "token": redactor.seal("t1")},
        {"name": "s", "token": None},
    ]
    assert attrs["settings"] == {"inner": {"apiKey": redactor.seal(1234)}}
    assert attrs["credentials"] == redactor.seal({"user": "u", "pass": "p2"})
    assert attrs["master_user_secret"] == []
    assert attrs["tags"] == {"Secret": redactor.seal("tag value"), "Name": "web"}


def test_redact_state_follows_index_steps_and_map_keys() -> None:
    redactor = Redactor(FP_KEY)
    e = entry(
        {
            "list": ["a", "b"],
            "map": {"k": "map secret", "other": "plain"},
            "blocks": [{"value_in_block": "v"}],
        },
        [
            [attr("list"), index(1)],
            [attr("map"), index("k")],
            [attr("blocks"), index(0), attr("value_in_block")],
        ],
    )
    attrs = redacted_attributes(redactor, e)
    assert attrs["list"] == ["a", redactor.seal("b")]
    assert attrs["map"] == {"k": redactor.seal("map secret"), "other": "plain"}
    assert attrs["blocks"] == [{"value_in_block": redactor.seal("v")}]


def test_redact_state_seals_the_deepest_value_a_path_reaches() -> None:
    redactor = Redactor(FP_KEY)
    unfollowable = entry(
        {"set": ["x", "y"], "text": "abc", "obj": {"a": 1}},
        [
            # A set element is addressed by its value; Terraform marks whole sets anyway.
            [attr("set"), {"type": "index", "value": {"value": "y", "type": "string"}}],
            [attr("text"), attr("deeper")],
            [attr("obj"), {"type": "some_future_step", "value": 1}],
        ],
    )
    attrs = redacted_attributes(redactor, unfollowable)
    assert attrs == {
        "set": redactor.seal(["x", "y"]),
        "text": redactor.seal("abc"),
        "obj": redactor.seal({"a": 1}),
    }


def test_redact_state_ignores_paths_into_nothing() -> None:
    redactor = Redactor(FP_KEY)
    e = entry(
        {"gone": None, "list": ["a"], "obj": {"a": "b"}},
        [
            [attr("missing")],
            [attr("gone"), attr("x")],
            [attr("list"), index(5)],
            [attr("obj"), attr("nope")],
            "not a path",
        ],
    )
    assert redacted_attributes(redactor, e) == e["attributes"]


def test_redact_state_treats_ambiguous_dynamic_wrappers_safely() -> None:
    redactor = Redactor(FP_KEY)
    # An object whose attributes are literally `value` and `type`, stored as a dynamic value.
    wrapped = {"value": {"value": "v", "type": "t"}, "type": ["object", {"value": "string"}]}
    e = entry({"input": wrapped}, [[attr("input"), attr("type")]])
    assert redacted_attributes(redactor, e) == {"input": redactor.seal(wrapped)}


def test_redact_state_keeps_attributes_an_object() -> None:
    redactor = Redactor(FP_KEY)
    # A schema of exactly `value` and `type` looks like a dynamic wrapper, but is not one here.
    e = entry({"value": "v", "type": "string"}, [[attr("value")], [], [index(0)]])
    assert redacted_attributes(redactor, e) == {"value": redactor.seal("v"), "type": "string"}
    e = entry({"value": "v", "type": "string", "password": "p"})
    assert redacted_attributes(redactor, e)["password"] == redactor.seal("p")


def test_redact_state_seals_flat_attributes_by_name() -> None:
    redactor = Redactor(FP_KEY)
    e = {
        "mode": "managed",
        "type": "t",
        "name": "n",
        "attributes_flat": {"id": "1", "password": "p"},
    }
    out = redactor.redact_state(doc(e))["resources"]["t.n[0]"]
    assert out["attributes_flat"] == {"id": "1", "password": redactor.seal("p")}


def test_redact_state_seals_outputs_by_flag_and_by_name() -> None:
    redactor = Redactor(FP_KEY)
    outputs: dict[str, dict[str, Any]] = {
        "a": {"value": "plain", "type": "string"},
        "b": {"value": {"x": 1}, "type": ["object", {"x": "number"}], "sensitive": True},
        "c": {"value": None, "type": "string", "sensitive": True},
        "db_password": {"value": "p", "type": "string"},
        "conf": {"value": {"user": "u", "token": "t"}, "type": "dynamic"},
    }
    out = redactor.redact_state(doc(outputs=outputs))["outputs"]
    assert out["a"] is outputs["a"]
    assert out["b"]["value"] == redactor.seal({"x": 1})
    assert out["b"]["type"] == outputs["b"]["type"]
    assert out["c"]["value"] is None
    assert out["db_password"]["value"] == redactor.seal("p")
    assert out["conf"]["value"] == {"user": "u", "token": redactor.seal("t")}


def test_redact_state_seals_a_json_document_holding_a_secret_named_key_whole() -> None:
    redactor = Redactor(FP_KEY)
    document = json.dumps({"user": "svc", "db": {"password": "hunter2-json-pw"}})
    nested = json.dumps({"settings": json.dumps({"api_token": "tok-in-a-string"}), "n": 1})
    policy = json.dumps({"Statement": [{"Action": "s3:GetObject", "Resource": "key/*"}]})
    flags = json.dumps({"manage_master_user_password": True, "password": ""})
    outputs = {
        "conf": {"value": document, "type": "string"},
        "policy": {"value": policy, "type": "string"},
    }
    instance = entry(
        {
            "doc": document,
            "nested": nested,
            "policy": policy,
            "flags": flags,
            "url": "postgres://svc:hunter2-json-pw@db/app",
        }
    )
    out = redactor.redact_state(doc(instance, outputs=outputs))
    attributes = out["resources"]["t.n[0]"]["attributes"]
    assert attributes["doc"] == redactor.seal(document)
    assert attributes["nested"] == redactor.seal(nested)
    # The values under those keys are secrets of the state: a string holding one is sealed too.
    assert attributes["url"] == redactor.seal("postgres://svc:hunter2-json-pw@db/app")
    # Documents naming no secret, or holding only flags and empty values under such names, stay.
    assert (attributes["policy"], attributes["flags"]) == (policy, flags)
    assert out["outputs"]["conf"]["value"] == redactor.seal(document)
    assert out["outputs"]["policy"]["value"] == policy


def test_fingerprint_key_from_is_stable_and_distinct_from_the_input() -> None:
    key = fingerprint_key_from("TFSHADOW_KEY value")
    assert key == fingerprint_key_from("TFSHADOW_KEY value")
    assert key != fingerprint_key_from("another value")
    assert len(key) == 32 and b"TFSHADOW_KEY" not in key


def test_redactor_repr_shows_no_key() -> None:
    assert repr(Redactor(FP_KEY, "top secret")) == "Redactor(encrypts=True)"


def test_redact_state_on_a_generated_state_copies_only_what_it_seals() -> None:
    # Its speed is measured by `bench.run capture`, not here: a timed test fails on a busy
    # machine for no fault of the code.
    gen = bench_generate
    canonical = canonicalise(gen.generate_state(2000, seed=5))
    passwords = [
        e["attributes"]["password"]
        for e in canonical["resources"].values()
        if e["type"] == "aws_db_instance"
    ]
    assert passwords
    redactor = Redactor(FP_KEY)
    redacted = redactor.redact_state(canonical)
    encoded = delta.dumps(redacted)
    assert not any(p.encode() in encoded for p in passwords)
    copied = [a for a, e in redacted["resources"].items() if e is not canonical["resources"][a]]
    assert {redacted["resources"][a]["type"] for a in copied} == {"aws_db_instance"}


names = st.one_of(
    st.sampled_from(["password", "apiToken", "credentials", "value", "type", "id", "tags", "x"]),
    st.text(max_size=5),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(names, children, max_size=4)
    ),
    max_leaves=20,
)
steps = st.one_of(
    st.builds(attr, names),
    st.builds(index, st.one_of(st.integers(0, 3), names)),
    st.just({"type": "index", "value": {"value": [1], "type": ["list", "number"]}}),
)


def unsealed_secrets(node: Any) -> list[Any]:
    """Values under secret-looking names that are still readable."""
    found: list[Any] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if (
                SECRET_NAME.search(key)
                and value not in (None, "", [], {})
                and not isinstance(value, bool)
                and not is_sealed(value)
            ):
                found.append(value)
            found.extend(unsealed_secrets(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(unsealed_secrets(value))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(names, json_values, max_size=6),
    st.lists(st.lists(steps, max_size=4), max_size=4),
    st.dictionaries(names, json_values, max_size=3),
)
def test_redact_state_round_trips_and_hides_secret_names(
    attributes: dict[str, Any], paths: list[Any], output_values: dict[str, Any]
) -> None:
    outputs = {
        name: {"value": value, "type": "dynamic", "sensitive": bool(len(name) % 2)}
        for name, value in output_values.items()
    }
    canonical = doc(entry(attributes, paths), outputs=outputs)
    before = delta.dumps(canonical)
    redactor = Redactor(FP_KEY, "k")
    redacted = redactor.redact_state(canonical)
    assert delta.dumps(canonical) == before
    assert isinstance(redacted["resources"]["t.n[0]"]["attributes"], dict)
    assert redactor.redact_state(redacted) == redacted
    assert delta.dumps(unseal_document(redacted, redactor)) == before
    assert unsealed_secrets(redacted["resources"]) == []
    for name, output in redacted["outputs"].items():
        if output["sensitive"] and output["value"] is not None:
            assert is_sealed(output["value"]), name


def test_unseal_document_opens_seals_inside_sealed_values() -> None:
    # A sensitive path inside a secret-named attribute is sealed first, then the whole value.
    canonical = doc(
        entry({"password": {"password": False}}, [[attr("password"), attr("password")]])
    )
    redactor = Redactor(FP_KEY, "k")
    redacted = redactor.redact_state(canonical)
    assert is_sealed(redacted["resources"]["t.n[0]"]["attributes"]["password"])
    assert delta.dumps(unseal_document(redacted, redactor)) == delta.dumps(canonical)


def test_redact_state_seals_a_secret_wherever_another_instance_or_output_holds_it() -> None:
    redactor = Redactor(FP_KEY)
    marked = entry({"password": SECRET_V1, "name": "db"}, [[attr("password")]])
    echoed = entry({"connection": SECRET_V1, "host": "db.internal", "port": "5432"})
    out = redactor.redact_state(
        doc(marked, echoed, outputs={"conn": {"value": [SECRET_V1, "x"], "type": "dynamic"}})
    )
    assert out["resources"]["t.n[1]"]["attributes"] == {
        "connection": redactor.seal(SECRET_V1),
        "host": "db.internal",
        "port": "5432",
    }
    assert out["outputs"]["conn"]["value"] == [redactor.seal(SECRET_V1), "x"]
    assert SECRET_V1 not in json.dumps(out)


def test_redact_state_seals_values_of_known_seals_but_not_short_strings() -> None:
    for redactor in (Redactor(FP_KEY), Redactor(FP_KEY, "a TFSHADOW_KEY")):
        config = {"variables": {"deploy_token": redactor.seal(SECRET_V2), "flag": "true"}}
        plain = entry({"input": SECRET_V2, "other": "kept", "short": "admin"})
        known = seals_in(config) | {redactor.seal("admin")}
        out = redactor.redact_state(doc(plain), known)
        assert out["resources"]["t.n[0]"]["attributes"] == {
            "input": redactor.seal(SECRET_V2),
            "other": "kept",
            "short": "admin",  # shorter than any secret worth matching: sealing it would mislead
        }
        # What was sealed by value is known to the next version, which may not know the value.
        again = redactor.redact_state(doc(plain), seals_in(out))
        assert again == out
        assert redactor.redact_state(out, known) == out


def test_redact_state_seals_whole_strings_that_contain_a_secret() -> None:
    url = f"postgres://admin:{SECRET_V1}@db:5432/app"
    for redactor in (Redactor(FP_KEY), Redactor(FP_KEY, "a TFSHADOW_KEY")):
        marked = entry({"password": SECRET_V1, "name": "db"}, [[attr("password")]])
        app = entry({"input": {"url": url, "host": "db"}, "note": "pin 1234 of 12345"})
        outputs = {"dsn": {"value": [url, "x"], "type": "dynamic"}}
        out = redactor.redact_state(doc(marked, app, outputs=outputs), given=["1234"])
        assert out["resources"]["t.n[1]"]["attributes"] == {
            "input": {"url": redactor.seal(url), "host": "db"},
            # Shorter than 6 characters: looked for inside strings it would seal far too many.
            "note": "pin 1234 of 12345",
        }
        assert out["outputs"]["dsn"]["value"] == [redactor.seal(url), "x"]
        assert SECRET_V1 not in json.dumps(out)
        assert redactor.redact_state(out) == out


def test_redact_state_seals_a_secret_written_with_escapes_inside_a_json_string() -> None:
    # jsonencode writes `"`, `<`, `>` and `&` escaped; a JSON document held in a string of
    # another (a policy inside a jsonencode'd object) is escaped twice; a non-ASCII character
    # may be written as \u.
    secret = 'pa"ss<w0rd&x\u00e9'
    policy = json.dumps({"pw": secret}).replace("<", "\\u003c").replace("&", "\\u0026")
    for redactor in (Redactor(FP_KEY), Redactor(FP_KEY, "a TFSHADOW_KEY")):
        marked = entry({"password": secret, "name": "db"}, [[attr("password")]])
        app = entry(
            {
                "policy": policy,
                "nested": json.dumps({"doc": json.dumps({"pw": secret})}),
                "ascii": json.dumps({"pw": f"user:{secret}@db"}, ensure_ascii=True),
                "other": json.dumps({"pw": 'pa"ss'}),
            }
        )
        outputs = {"doc": {"value": {"v": policy}, "type": "dynamic"}}
        out = redactor.redact_state(doc(marked, app, outputs=outputs))
        attributes = out["resources"]["t.n[1]"]["attributes"]
        for name in ("policy", "nested", "ascii"):
            assert is_sealed(attributes[name]), name
        assert attributes["other"] == json.dumps({"pw": 'pa"ss'})
        assert is_sealed(out["outputs"]["doc"]["value"]["v"])
        # Given in plain, from the configuration, as well.
        given = redactor.redact_state(doc(app), given=[secret])
        assert is_sealed(given["resources"]["t.n[0]"]["attributes"]["policy"])
        assert redactor.redact_state(out) == out


def test_redact_state_seals_strings_holding_a_given_or_opened_secret() -> None:
    url = f"https://deploy:{SECRET_V2}@git.example.com/repo.git"
    plain = doc(entry({"input": url, "other": "kept"}))
    redactor = Redactor(FP_KEY)
    # Given in plain (a variable the configuration seals): found inside the URL.
    secrets: set[str] = set()
    out = redactor.redact_state(plain, given=[SECRET_V2], secrets=secrets)
    assert out["resources"]["t.n[0]"]["attributes"] == {
        "input": redactor.seal(url),
        "other": "kept",
    }
    assert SECRET_V2 in secrets  # the configuration's literals holding it are sealed too
    # Known only by a fingerprint seal (a version before, no TFSHADOW_KEY): a fingerprint tells
    # whole values only, so the URL is found by its own seal, which the version before holds.
    assert redactor.redact_state(plain, seals_in(out)) == out
    assert redactor.redact_state(plain, {redactor.seal(SECRET_V2)}) == plain
    # Known by an encryption, opened with TFSHADOW_KEY: found inside the URL.
    keyed = Redactor(FP_KEY, "a TFSHADOW_KEY")
    opened = keyed.redact_state(plain, {keyed.seal(SECRET_V2)})
    assert opened["resources"]["t.n[0]"]["attributes"]["input"] == keyed.seal(url)
    assert keyed.unseal(keyed.seal(url)) == url


def test_known_value_finds_a_secret_inside_a_literal_only_where_it_opens() -> None:
    url = f"postgres://admin:{SECRET_V1}@db/app"
    keyed = Redactor(FP_KEY, "a TFSHADOW_KEY", store_key=FP_KEY)
    known = keyed.known_value({keyed.seal(SECRET_V1)})
    assert known(SECRET_V1) and known(url)
    assert not known("postgres://admin:other@db/app")
    # A fingerprint tells whole values only: the URL is known by its own seal, not the secret's.
    plain = Redactor(FP_KEY)
    assert plain.known_value({plain.seal(SECRET_V1)})(SECRET_V1)
    assert not plain.known_value({plain.seal(SECRET_V1)})(url)
    assert plain.known_value({plain.seal(url)})(url)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=40), max_size=80),
    st.lists(st.text(max_size=60), max_size=12),
)
def test_occurring_finds_exactly_the_secrets_a_document_holds(
    secrets: list[str], strings: list[str]
) -> None:
    # Parts of the secrets end up in the document, whole or cut, escaped as JSON escapes them.
    held = [*strings, *(s[: len(s) // 2 + 3] + "~" for s in secrets[::3]), *secrets[::2]]
    # And inside a JSON document that a string holds, escaped once more.
    held.append(json.dumps(secrets[1::4]))
    data = delta.dumps({"strings": held})
    text = data.decode()
    expected = {
        s
        for s in secrets
        if len(s) >= 6
        and (delta.dumps(s)[1:-1] in data or any(s in level for level in (text, *unescaped(text))))
    }
    assert occurring(secrets, data) == expected
    assert set(secrets[1::4]) <= expected | {s for s in secrets if len(s) < 6}


def test_occurring_finds_many_short_secrets_anywhere_in_a_large_document() -> None:
    # Hundreds of 6-character passwords, the shortest looked for, in a document of megabytes:
    # found at the very start and end, astride the blocks the text is read in, and repeated.
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits
    secrets = sorted({"".join(rng.choices(alphabet, k=6)) for _ in range(600)})
    filler = [f"arn:aws:s3:::bucket-{i:07d}/key-{rng.getrandbits(64):016x}" for i in range(70_000)]
    chosen = secrets[::7]
    filler[0] = chosen[0] + filler[0]
    filler[-1] += chosen[1]
    for i, secret in enumerate(chosen[2:], 1):
        filler[i * len(filler) // len(chosen)] += f"{secret}-{secret}"
    data = delta.dumps(filler)
    assert len(data) > 3 * 2**20
    for block in range(1, 4):  # astride each block boundary
        at = block * 2**20 - 3
        data = data[:at] + secrets[-block].encode() + data[at:]
    expected = {s for s in secrets if s.encode() in data}

    assert occurring(secrets, data) == expected
    assert {*chosen, secrets[-1], secrets[-2], secrets[-3]} <= expected


def test_seals_in_finds_seals_inside_configuration_lines() -> None:
    redactor = Redactor(FP_KEY)
    sealed = redactor.seal(SECRET_V1)
    config = {"files": {"prod.tfvars": [f'db_password = "{sealed}"\n', "size = 1\n"]}}
    assert seals_in(config) == {sealed}
    assert seals_in({"files": {}}) == frozenset()


def test_redact_state_follows_a_sensitive_path_into_a_wrapper_with_optional_attributes() -> None:
    # cty writes an object type with optional attributes as ["object", {…}, [names]]; a path
    # into such a wrapper must still reach the value rather than seal nothing.
    wrapper = {
        "value": {"note": SECRET_V1, "size": 1},
        "type": ["object", {"note": "string", "size": "number"}, ["size"]],
    }
    redactor = Redactor(FP_KEY)
    attributes = redacted_attributes(
        redactor, entry({"input": wrapper}, [[attr("input"), attr("note")]])
    )
    assert attributes["input"]["value"] == {"note": redactor.seal(SECRET_V1), "size": 1}
    assert attributes["input"]["type"] == wrapper["type"]


def test_redact_state_output_shaped_like_a_wrapper_with_a_list_kind_is_kept() -> None:
    # Object values with attributes `value` and `type` are the user's; an unhashable first
    # element of `type` once made the wrapper test raise.
    value: dict[str, Any] = {"value": None, "type": [[], None]}
    outputs = {"password": {"value": value, "type": ["object", {}]}}
    redactor = Redactor(FP_KEY)
    redacted = redactor.redact_state(doc(outputs=outputs))
    assert redacted["outputs"]["password"]["value"] == redactor.seal(value)


def test_redact_state_seals_a_changed_value_where_the_version_before_held_a_seal() -> None:
    """A secret changed outside tfshadow (a drift, a plain `terraform apply`) comes with no
    variable to say so: the place it was sealed at says it."""
    redactor = Redactor(FP_KEY)
    before = redactor.redact_state(
        doc(
            entry({"input": SECRET_V1, "output": SECRET_V1, "size": "small"}),
            outputs={"echo": {"value": {"v": SECRET_V1}, "type": "string"}},
        ),
        known={redactor.seal(SECRET_V1)},
    )
    assert SECRET_V1 not in json.dumps(before)
    now = doc(
        entry({"input": SECRET_V2, "output": SECRET_V2, "size": "large"}),
        outputs={"echo": {"value": {"v": SECRET_V2}, "type": "string"}},
    )
    secrets: set[str] = set()

    sealed = redactor.redact_state(now, previous=before, secrets=secrets)

    assert SECRET_V2 not in json.dumps(sealed)
    assert sealed["resources"]["t.n[0]"]["attributes"]["size"] == "large"
    assert secrets == {SECRET_V2}
    assert redactor.redact_state(sealed, previous=before) == sealed


def test_seals_in_the_bytes_of_documents_are_those_in_the_documents() -> None:
    from tfshadow.state import delta
    from tfshadow.state.redact import seals_in, seals_in_bytes

    fp = "tfshadow:sensitive:v1:fp:0123456789abcdef"
    enc = "tfshadow:sensitive:v1:enc:QUJD.01234567.89abcdef.0123456789abcdef"
    state = {"resources": {"a": {"attributes": {"password": fp, "url": f"x://u:{enc}@h"}}}}
    config = {"files": {"main.tf": [f'x = "{fp}"\n']}, "variables": {"v": enc}}

    found = seals_in_bytes(delta.dumps(state), delta.dumps(config))

    assert found == seals_in((state, config)) == {fp, enc}
