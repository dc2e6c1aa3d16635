"""`tfshadow log` narrowed as `git log` is (addresses, author, description, time), and
`inspect`/`diff` narrowed to the resources `--target` names, on versions real applies made."""

from __future__ import annotations

from pathlib import Path

from .conftest import Tfshadow


def _versions(tfshadow: Tfshadow, workdir: Path, *args: str) -> list[int]:
    result = tfshadow("log", "--json", *args, cwd=workdir)
    assert result.code == 0, result.err
    return [v["version"] for v in result.json()["versions"]]


def test_log_lists_the_versions_that_changed_an_address_or_match_a_filter(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    applies = [
        ("--message", "first"),
        ("-var", "size=large", "--message", "Scale web tier"),
        ("-var", "size=large", "-var", "api_token=rotated", "--message", "rotate the token"),
    ]
    for extra in applies:
        assert tfshadow("apply", "-auto-approve", "-no-color", *extra, cwd=workdir).code == 0

    assert _versions(tfshadow, workdir) == [3, 2, 1]
    assert _versions(tfshadow, workdir, "terraform_data.web") == [2, 1]
    assert _versions(tfshadow, workdir, "terraform_data.auth") == [3, 1]
    assert _versions(tfshadow, workdir, "terraform_data.web", "terraform_data.auth") == [3, 2, 1]
    # An address is read as -target reads it: a prefix of another name is not that name.
    assert _versions(tfshadow, workdir, "terraform_data.we") == []
    assert _versions(tfshadow, workdir, "--grep", "scale") == [2]
    assert _versions(tfshadow, workdir, "--grep", "^rotate|^first") == [3, 1]
    assert _versions(tfshadow, workdir, "--author", "test@example") == [3, 2, 1]
    assert _versions(tfshadow, workdir, "--author", "somebody else") == []
    assert _versions(tfshadow, workdir, "--since", "1h", "-n", "2") == [3, 2]
    assert _versions(tfshadow, workdir, "--until", "2001-01-01") == []
    assert _versions(tfshadow, workdir, "--since", "2001-01-01", "--until", "2999-12-31") == [
        3,
        2,
        1,
    ]

    none = tfshadow("log", "--no-color", "--grep", "nothing like this", cwd=workdir)
    assert none.code == 0 and none.out == "No version matches.\n"
    for bad, said in [
        (("--since", "yesterday"), "--since yesterday: neither a time ago nor a date"),
        (("--grep", "(web"), "--grep (web: not a regular expression"),
    ]:
        refused = tfshadow("log", *bad, cwd=workdir)
        assert refused.code == 2 and said in refused.err
        assert len(refused.err.strip().splitlines()) == 1


def test_inspect_and_diff_show_only_the_resources_targeted(
    workdir: Path, tfshadow: Tfshadow
) -> None:
    assert tfshadow("apply", "-auto-approve", "-no-color", cwd=workdir).code == 0
    changed = ("-var", "size=large", "-var", "api_token=rotated-value")
    assert tfshadow("apply", "-auto-approve", "-no-color", *changed, cwd=workdir).code == 0

    whole = tfshadow("diff", "1", "2", "--json", cwd=workdir).json()["changes"]
    assert [r["address"] for r in whole["resources"]] == [
        "terraform_data.auth",
        "terraform_data.web",
    ]
    assert whole["outputs"]

    narrowed = tfshadow("diff", "1", "2", "--json", "--target", "terraform_data.web", cwd=workdir)
    assert narrowed.code == 0, narrowed.err
    changes = narrowed.json()["changes"]
    assert [r["address"] for r in changes["resources"]] == ["terraform_data.web"]
    assert changes["outputs"] == []

    text = tfshadow("inspect", "2", "--no-color", "--target", "terraform_data.auth", cwd=workdir)
    assert text.code == 0, text.err
    assert "# terraform_data.auth was updated in-place" in text.out
    assert "# terraform_data.web" not in text.out
    assert "Changes: 0 added, 1 changed, 0 destroyed." in text.out

    missing = tfshadow("inspect", "2", "--target", "terraform_data.nope", cwd=workdir)
    assert missing.code == 2
    assert "--target terraform_data.nope: no resource at that address in version 1 or 2" in (
        missing.err
    )
