"""What reading one version costs in a long history: the versions shown, not the history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tfshadow.ops import history
from tfshadow.project import Project
from tfshadow.state import delta
from tfshadow.store import GitShadowStore

if TYPE_CHECKING:
    from conftest import StoreKit


def _history(
    kit: StoreKit,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    versions: int,
    keyframe_interval: int,
) -> list[int]:
    """A store in ``tmp_path`` holding ``versions`` versions; the list each version's meta
    read from now on is added to."""
    store = kit.open_store(tmp_path, keyframe_interval=keyframe_interval)
    for n in range(1, versions + 1):
        kit.record(store, n)
    read: list[int] = []
    real_meta = GitShadowStore._meta

    def counted(self: GitShadowStore, listing: Any, workspace: str, version: int) -> Any:
        read.append(version)
        return real_meta(self, listing, workspace, version)

    monkeypatch.setattr(GitShadowStore, "_meta", counted)
    return read


def test_inspect_reads_the_meta_of_the_versions_it_shows_not_of_all(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _history(kit, tmp_path, monkeypatch, versions=60, keyframe_interval=5)

    change = history.inspect(Project(tmp_path, {}), "latest~10", workspace="default")

    assert change.after["version"] == 50 and change.before is not None
    assert change.before["version"] == 49
    # Versions 46 to 50: a keyframe and the run of deltas up to 50 (each read a few times),
    # never the 60 versions of the history.
    assert set(read) <= set(range(46, 51))


def test_log_with_a_limit_reads_the_newest_versions_not_all(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = _history(kit, tmp_path, monkeypatch, versions=120, keyframe_interval=25)
    project = Project(tmp_path, {})

    shown = history.log(project, workspace="default", limit=5)

    assert [m["version"] for m in shown] == [120, 119, 118, 117, 116]
    assert min(read) > 120 - 50  # one batch of the newest, not 120 metas
    # A filter that admits few versions reads on until it has them, and no further.
    read.clear()
    where = history.LogFilter(grep=re.compile(r"^apply number (?:60|120)$"))

    found = history.log(project, workspace="default", limit=2, where=where)

    assert [m["version"] for m in found] == [120, 60]
    assert min(read) > 20  # two batches of 50, not the first 20 versions


def _instance(type_: str, attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "mode": "managed",
        "type": type_,
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "attributes": attributes,
        **fields,
    }


def _states() -> list[dict[str, dict[str, Any]]]:
    """Resources of successive versions: moves by id and by attributes, a replacement, ids
    shared with instances that stayed, a deposed object, creations and deletions."""
    base = {f"a_b.r[{i}]": _instance("a_b", {"id": f"r-{i}", "size": "s"}) for i in range(40)}
    base["local_file.b"] = _instance("local_file", {"id": "abc", "filename": "b"})
    base["local_file.a"] = _instance("local_file", {"id": "abc", "filename": "a"})
    base["c_d.kept"] = _instance("c_d", {"id": "dup", "n": 1})
    base["c_d.gone"] = _instance("c_d", {"id": "dup", "n": 2})
    versions = [dict(base)]

    def step(**edits: Any) -> None:
        resources = dict(versions[-1])
        for address, value in edits.items():
            address = address.replace("__", ".").replace("_I_", "[").replace("_J_", "]")
            if value is None:
                del resources[address]
            else:
                resources[address] = value
        versions.append(resources)

    r = versions[-1]
    step(
        a_b__r_I_0_J_=None,
        a_b__moved=r["a_b.r[0]"],  # moved by its id
        a_b__r_I_1_J_=_instance("a_b", {"id": "r-1b", "size": "s"}),  # replaced
        a_b__r_I_2_J_=_instance("a_b", {"id": "r-2", "size": "m"}),
    )
    step(a_b__r_I_3_J_=None, a_b__new=_instance("a_b", {"id": "x", "size": "s"}))
    # A file whose id another kept file shares: paired by its attributes.
    step(
        local_file__a=None,
        local_file__each=_instance("local_file", r["local_file.a"]["attributes"]),
    )
    # An id a kept instance shares: not paired by id.
    step(c_d__gone=None, c_d__came=_instance("c_d", {"id": "dup", "n": 3}))
    step()  # the same state again
    step(
        a_b__r_I_5_J_=_instance("a_b", {"id": "r-5", "size": "s"}, status="tainted"),
        a_b__r_I_6_J_=_instance("a_b", {"id": "r-6b", "size": "s"}),
        **{"a_b__r_I_6_J_ 00000001": _instance("a_b", {"id": "r-6", "size": "s"}, deposed="1")},
    )
    step(a_b__r_I_7_J_=None, a_b__r_I_8_J_=None, a_b__other=r["a_b.r[7]"], a_b__twin=r["a_b.r[7]"])
    return versions


def test_inspect_of_each_version_shows_what_comparing_the_whole_states_shows(
    kit: StoreKit, tmp_path: Path
) -> None:
    from tfshadow.state.changes import compare_states
    from tfshadow.state.intents import intended

    store = kit.open_store(tmp_path, keyframe_interval=4)
    for n, resources in enumerate(_states(), start=1):
        doc = {**kit.state_doc(1), "serial": n, "resources": resources}
        store.record("default", kit.meta_doc(n), doc, kit.config_doc(1))
    project = Project(tmp_path, {})
    latest = max(store.version_numbers("default"))

    for n in range(2, latest + 1):
        shown = history.inspect(project, str(n), workspace="default")
        before = store.reconstruct("default", n - 1)
        after = store.reconstruct("default", n)
        whole = intended(compare_states(before.state, after.state), after.meta, after.config)
        assert shown.state == whole, n
        # A keyframe (5) has no delta from the version before; the others say what changed.
        assert (after.changed is None) == (n == 5)
        assert after.state_bytes == delta.dumps(after.state)
        assert after.config_bytes == delta.dumps(after.config)
    moved = {
        r.address: r.moved_from
        for n in range(2, latest + 1)
        for r in history.inspect(project, str(n), workspace="default").state.resources
        if r.moved_from
    }
    assert moved == {"a_b.moved": "a_b.r[0]", "local_file.each": "local_file.a"}
    assert store.reconstruct("default", 6).changed == frozenset()
    assert store.reconstruct("default", 2).changed == {
        "a_b.r[0]",
        "a_b.moved",
        "a_b.r[1]",
        "a_b.r[2]",
    }


def test_versions_shown_newest_first_rebuild_each_version_once(
    kit: StoreKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `log -p`: each version against its parent, which is the next version shown.
    _history(kit, tmp_path, monkeypatch, versions=12, keyframe_interval=5)
    project = Project(tmp_path, {})
    one_by_one = [history.inspect(project, str(n), workspace="default") for n in range(12, 0, -1)]
    rebuilt: list[int] = []
    real = GitShadowStore.reconstruct

    def counted(self: GitShadowStore, workspace: str, version: int) -> Any:
        rebuilt.append(version)
        return real(self, workspace, version)

    monkeypatch.setattr(GitShadowStore, "reconstruct", counted)

    shown = list(history.inspect_each(project, range(12, 0, -1), workspace="default"))

    assert shown == one_by_one
    assert sorted(rebuilt) == list(range(1, 13))  # was each of 1 to 11 twice
