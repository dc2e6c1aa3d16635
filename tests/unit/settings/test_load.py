from __future__ import annotations

from pathlib import Path

import pytest

from tfshadow.errors import SettingsError
from tfshadow.settings import Settings, StoreSettings, TerraformSettings, load_settings
from tfshadow.settings.load import parse_settings
from tfshadow.settings.schema import BLOCKS, BlockSchema, BuildContext, Key


def write(workdir: Path, text: str) -> Path:
    path = workdir / "tfshadow.hcl"
    path.write_text(text)
    return path


def error_of(workdir: Path, text: str, environ: dict[str, str] | None = None) -> str:
    write(workdir, text)
    with pytest.raises(SettingsError) as caught:
        load_settings(workdir, environ or {})
    assert caught.value.hint
    assert "\n" not in caught.value.message
    return caught.value.message


def test_load_settings_without_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {})
    assert settings == Settings(
        store=StoreSettings(path=(tmp_path / ".tfshadow").absolute(), keyframe_interval=25),
        terraform=TerraformSettings(binary=None),
        source=None,
    )


def test_load_settings_reads_every_store_and_terraform_setting(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        """
        # where versions go
        store {
          path              = "history"
          remote            = "git@example.com:team/infra-history.git"
          retain            = 100
          keyframe_interval = 10
        }
        terraform {
          binary = "/usr/local/bin/tofu"
        }
        """,
    )
    settings = load_settings(tmp_path, {})
    assert settings.store == StoreSettings(
        path=tmp_path / "history",
        branch=None,
        remote="git@example.com:team/infra-history.git",
        retain=100,
        keyframe_interval=10,
    )
    assert settings.terraform.binary == "/usr/local/bin/tofu"
    assert settings.source == source


def test_load_settings_absolute_and_dotted_paths_are_resolved(tmp_path: Path) -> None:
    write(tmp_path, f'store {{\n  path = "{tmp_path / "a" / ".." / "b"}"\n}}\n')
    assert load_settings(tmp_path, {}).store.path == tmp_path / "b"
    write(tmp_path, 'store {\n  path = "../shared-store"\n}\n')
    assert load_settings(tmp_path, {}).store.path == tmp_path.parent / "shared-store"


def test_load_settings_branch_store_has_no_path(tmp_path: Path) -> None:
    write(tmp_path, 'store {\n  branch = "tfshadow"\n}\n')
    store = load_settings(tmp_path, {}).store
    assert store.branch == "tfshadow"
    assert store.path is None


def test_load_settings_tfshadow_store_overrides_path(tmp_path: Path) -> None:
    write(tmp_path, 'store {\n  path = "from-file"\n  retain = 5\n}\n')
    elsewhere = tmp_path / "elsewhere"
    settings = load_settings(tmp_path, {"TFSHADOW_STORE": str(elsewhere)})
    assert settings.store.path == elsewhere
    assert settings.store.retain == 5


def test_load_settings_tfshadow_store_overrides_branch_and_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {"TFSHADOW_STORE": "rel"}).store.path == tmp_path / "rel"
    write(tmp_path, 'store {\n  branch = "tfshadow"\n}\n')
    store = load_settings(tmp_path, {"TFSHADOW_STORE": "/srv/store"}).store
    assert (store.path, store.branch) == (Path("/srv/store"), None)


def test_load_settings_empty_tfshadow_store_is_ignored(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {"TFSHADOW_STORE": ""}).store.path == tmp_path / ".tfshadow"


def test_load_settings_unknown_key_names_line_key_and_allowed(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'store {\n  path = "x"\n  retian = 5\n}\n')
    assert message == (
        "tfshadow.hcl:3: unknown setting `retian` in block `store` "
        "(allowed: path, branch, remote, retain, keyframe_interval, pull_before_record)"
    )


def test_load_settings_unknown_block_names_line_and_allowed(tmp_path: Path) -> None:
    message = error_of(tmp_path, '\n\nstroe {\n  path = "x"\n}\n')
    assert message == (
        "tfshadow.hcl:3: unknown block `stroe` (allowed: store, terraform, ghost, metrics, "
        "resource_metrics, analysis, metric, alerts, profile)"
    )


def test_load_settings_top_level_setting_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'store {\n}\npath = "x"\n')
    assert message.startswith("tfshadow.hcl:3: setting `path` outside any block")


def test_load_settings_nested_block_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "store {\n  s3 {\n  }\n}\n")
    assert message.startswith("tfshadow.hcl:2: unknown block `s3` in block `store`")


def test_load_settings_labelled_block_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'store "main" {\n}\n')
    assert message == "tfshadow.hcl:1: block `store` takes no labels"


def test_load_settings_repeated_block_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "store {\n}\nterraform {\n}\nstore {\n}\n")
    assert message == "tfshadow.hcl:5: block `store` appears twice (first at line 1)"


def test_load_settings_repeated_key_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "store {\n  retain = 1\n  retain = 2\n}\n")
    assert message == (
        "tfshadow.hcl:3: setting `retain` in block `store` is set twice (first at line 2)"
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('retain = "x"', "must be a whole number, got a string"),
        ("retain = 0", "must be at least 1, got 0"),
        ("retain = -3", "must be at least 1, got -3"),
        ("retain = 2.5", "must be a whole number, got a number"),
        ("retain = true", "must be a whole number, got true or false"),
        ("keyframe_interval = 0", "must be at least 1, got 0"),
        ("path = 5", "must be a string, got a whole number"),
        ('path = ""', "must not be empty"),
        ("path = var.dir", "must be a string, got an expression"),
        ('path = "${env}/x"', "must be a string, got an expression"),
        ('branch = "bad name"', "must be a valid git branch name"),
        ('branch = "a..b"', "must be a valid git branch name"),
        ("remote = null", "must be a string, got null"),
    ],
)
def test_load_settings_bad_value_names_line_and_problem(
    tmp_path: Path, line: str, problem: str
) -> None:
    message = error_of(tmp_path, f"\nstore {{\n  {line}\n}}\n")
    key = line.split(" ")[0]
    assert message.startswith(f"tfshadow.hcl:3: setting `{key}` in block `store` {problem}")


def test_load_settings_terraform_binary_must_be_a_string(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'terraform {\n  binary = ["tofu"]\n}\n')
    assert message == (
        "tfshadow.hcl:2: setting `binary` in block `terraform` must be a string, got a list"
    )


def test_load_settings_path_and_branch_together_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'store {\n  path = "x"\n  branch = "tfshadow"\n}\n')
    assert message == (
        "tfshadow.hcl:3: settings `path` and `branch` in block `store` cannot both be set"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("store {\n  path = \n}\n", 2),
        ('store {\n  path = "x"\n', 3),
        ('store {\n  path = "x"\n}\n}\n', 4),
        ("store {\n  retain = @\n}\n", 2),
        ('store {\n  path = "unterminated\n}\n', 2),
    ],
)
def test_load_settings_syntax_error_is_one_line_with_file_and_line(
    tmp_path: Path, text: str, line: int
) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(f"tfshadow.hcl:{line}: syntax error")


def test_load_settings_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tfshadow.hcl").write_bytes(b'store {\n  path = "\xff"\n}\n')
    with pytest.raises(SettingsError, match=r"tfshadow\.hcl: not UTF-8"):
        load_settings(tmp_path, {})


def test_load_settings_empty_file_gives_defaults(tmp_path: Path) -> None:
    source = write(tmp_path, "# nothing yet\n")
    settings = load_settings(tmp_path, {})
    assert settings.store.path == tmp_path / ".tfshadow"
    assert settings.source == source


def test_parse_settings_new_block_needs_only_a_schema() -> None:
    def build(values: object, ctx: BuildContext) -> object:
        return values

    metrics = BlockSchema(
        name="metrics",
        keys=(
            Key("source", str, choices=("prometheus", "csv")),
            Key("interval", float, minimum=1),
            Key("labels", list, item=str),
            Key("enabled", bool),
        ),
        build=build,
    )
    text = 'metrics {\n  source = "csv"\n  interval = 2.5\n  labels = ["a"]\n  enabled = false\n}\n'
    values = parse_settings(text, "tfshadow.hcl", (*BLOCKS, metrics))
    assert values == {
        "metrics": {"source": "csv", "interval": 2.5, "labels": ["a"], "enabled": False}
    }
    with pytest.raises(SettingsError, match=r"tfshadow.hcl:1: .* must contain only a string"):
        parse_settings("metrics { labels = [1] }\n", "tfshadow.hcl", (metrics,))
    with pytest.raises(SettingsError, match="must be one of prometheus, csv, got 'x'"):
        parse_settings('metrics { source = "x" }\n', "tfshadow.hcl", (metrics,))


def test_load_settings_reads_a_file_that_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "tfshadow.hcl").write_bytes(b"\xef\xbb\xbfstore {\n  retain = 3\n}\n")
    assert load_settings(tmp_path, {}).store.retain == 3


def test_load_settings_refuses_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "tfshadow.hcl").mkdir()
    with pytest.raises(SettingsError, match="is a directory, not a settings file"):
        load_settings(tmp_path, {})


@pytest.mark.parametrize("opener", ["<<EOT", "<<-EOT"])
def test_load_settings_heredoc_for_a_string_setting_asks_for_a_quoted_string(
    tmp_path: Path, opener: str
) -> None:
    write(tmp_path, f"store {{\n  path = {opener}\n    /srv/shadow\n    EOT\n}}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, {})
    assert caught.value.message == (
        "tfshadow.hcl:2: setting `path` in block `store` must be a string, got a heredoc "
        "(heredocs are not accepted here)"
    )
    assert caught.value.hint == "write the value as a quoted string"


def test_load_settings_heredoc_for_a_number_setting_is_named_a_heredoc(tmp_path: Path) -> None:
    message = error_of(tmp_path, "store {\n  retain = <<EOT\n3\nEOT\n}\n")
    assert message == (
        "tfshadow.hcl:2: setting `retain` in block `store` must be a whole number, got a heredoc "
        "(heredocs are not accepted here)"
    )
