from __future__ import annotations

import pytest

from tfshadow.errors import MetricsError
from tfshadow.metrics.base import ResourceRef
from tfshadow.metrics.template import fill, references

SEALED = "tfshadow:sensitive:v1:fp:0123456789abcdef"

WEB = ResourceRef(
    address='module.net.aws_instance.web["a"]',
    type="aws_instance",
    name="web",
    attributes={
        "id": "i-0abc",
        "private_ip": "10.0.0.5",
        "cpu_core_count": 4,
        "ebs_optimized": True,
        "weight": 0.5,
        "tags": {"Name": "web-a", "Team": None},
        "network_interface": [{"private_ip": "10.0.1.7"}, {"private_ip": "10.0.2.7"}],
        "password": SEALED,
        "secret_map": SEALED,
        "user_data": None,
    },
)


def test_template_fills_builtins_and_attributes() -> None:
    filled = fill(
        "${address} ${type} ${name} ${attr.id} ${attr.tags.Name} "
        "${attr.network_interface.1.private_ip}",
        WEB,
    )
    assert filled == ('module.net.aws_instance.web["a"] aws_instance web i-0abc web-a 10.0.2.7')


def test_template_fills_the_workspace_the_resource_is_of() -> None:
    assert fill("m/${workspace}/${name}.csv", WEB) == "m/default/web.csv"
    staging = ResourceRef(address="x.web", type="x", name="web", workspace="staging")
    assert fill("m/${workspace}/${address}.csv", staging) == "m/staging/x.web.csv"


def test_template_scalars_read_like_terraform() -> None:
    assert fill("${attr.cpu_core_count}/${attr.ebs_optimized}/${attr.weight}", WEB) == "4/true/0.5"


def test_template_double_dollar_is_literal() -> None:
    assert (
        fill("$${attr.id} is ${attr.id}; $$ and $ stay", WEB)
        == "${attr.id} is i-0abc; $$ and $ stay"
    )


def test_template_quote_applies_to_values_only() -> None:
    filled = fill('x{a="${address}"}', WEB, quote=lambda v: v.replace('"', '\\"'))
    assert filled == 'x{a="module.net.aws_instance.web[\\"a\\"]"}'


def test_template_extra_variables() -> None:
    assert fill("m/${address}/${metric}.csv", WEB, extra={"metric": "cpu"}).endswith("/cpu.csv")


def test_template_references_lists_unescaped_only() -> None:
    assert references("$${attr.x} ${attr.id} ${ metric }") == ("attr.id", "metric")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${attr.nope}", "has no attribute nope (referenced as ${attr.nope})"),
        ("${attr.tags.Owner}", "has no attribute tags.Owner"),
        ("${attr.network_interface.5.private_ip}", "has no attribute network_interface.5"),
        ("${attr.network_interface.first}", "has no attribute network_interface.first"),
        ("${attr.id.x}", "has no attribute id.x"),
    ],
)
def test_template_missing_attribute_names_resource_and_reference(
    template: str, expected: str
) -> None:
    with pytest.raises(MetricsError) as caught:
        fill(template, WEB)
    assert caught.value.message.startswith('module.net.aws_instance.web["a"] has no attribute')
    assert expected in caught.value.message


def test_template_null_attribute_is_an_error() -> None:
    with pytest.raises(MetricsError, match=r"attribute tags\.Team of .* is null"):
        fill("${attr.tags.Team}", WEB)


@pytest.mark.parametrize("template", ["${attr.password}", "${attr.secret_map.key}"])
def test_template_sensitive_attribute_is_refused_without_value(template: str) -> None:
    with pytest.raises(MetricsError) as caught:
        fill(template, WEB)
    text = caught.value.one_line()
    assert "is sensitive" in text
    assert SEALED not in text and "0123456789abcdef" not in text


def test_template_sensitive_message_names_attribute() -> None:
    with pytest.raises(MetricsError) as caught:
        fill("${attr.password}", WEB)
    assert (
        caught.value.message
        == 'attribute password of module.net.aws_instance.web["a"] is sensitive'
    )


@pytest.mark.parametrize(
    ("template", "kind"), [("${attr.tags}", "a map"), ("${attr.network_interface}", "a list")]
)
def test_template_non_scalar_is_an_error(template: str, kind: str) -> None:
    with pytest.raises(MetricsError, match=f"is {kind}, not a single value"):
        fill(template, WEB)


@pytest.mark.parametrize(
    ("template", "match"),
    [
        ("${attrs.id}", r"unknown reference \$\{attrs\.id\}"),
        ("${metric}", r"unknown reference \$\{metric\}"),
        ("${attr.}", "empty attribute path"),
        ("${attr.tags..Name}", "empty attribute path"),
        ("abc ${attr.id", r"unterminated \$\{"),
    ],
)
def test_template_bad_reference_is_an_error(template: str, match: str) -> None:
    with pytest.raises(MetricsError, match=match):
        fill(template, WEB)


def test_template_reads_dynamic_attributes_as_terraform_shows_them() -> None:
    # terraform_data keeps `input` and `output` as {"value": …, "type": …} in the state.
    data = ResourceRef(
        address="terraform_data.db",
        type="terraform_data",
        name="db",
        attributes={
            "input": {"value": {"name": "db-1"}, "type": ["object", {"name": "string"}]},
            "output": {"value": "plain", "type": "string"},
        },
    )
    assert fill("${attr.input.name} ${attr.input.value.name} ${attr.output}", data) == (
        "db-1 db-1 plain"
    )


def test_template_missing_attribute_hint_names_a_real_command() -> None:
    with pytest.raises(MetricsError) as caught:
        fill("${attr.nope}", WEB)
    assert f"`tfshadow state show '{WEB.address}'`" in caught.value.one_line()


def test_template_sealed_dynamic_attribute_is_refused_as_sensitive() -> None:
    data = ResourceRef(
        address="terraform_data.db",
        type="terraform_data",
        name="db",
        attributes={"input": {"value": SEALED, "type": "string"}},
    )
    for template in ("${attr.input}", "${attr.input.password}"):
        with pytest.raises(MetricsError, match="is sensitive"):
            fill(template, data)
