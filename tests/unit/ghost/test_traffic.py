"""Traffic switches: parsed from TARGET=ATTRIBUTE, turned into override-file fragments."""

from __future__ import annotations

import pytest

from tfshadow.errors import GhostError
from tfshadow.ghost import traffic


def test_traffic_parse_output_and_argument() -> None:
    assert traffic.parse("output.api_url=private_ip") == traffic.Switch(
        "output.api_url", "private_ip"
    )
    assert traffic.parse(" aws_route53_record.api.records = [private_ip] ") == traffic.Switch(
        "aws_route53_record.api.records", "private_ip", as_list=True
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("output.api_url", "is not TARGET=ATTRIBUTE"),
        ("=pid", "is not TARGET=ATTRIBUTE"),
        ("aws_instance.api=pid", "is not understood"),
        ("module.web.output.x=pid", "inside a module"),
        ("output.x=[pid", "is not an attribute name"),
        ("output.x=pid.port", "is not an attribute name"),
    ],
)
def test_traffic_parse_rejects(text: str, says: str) -> None:
    with pytest.raises(GhostError) as caught:
        traffic.parse(text)
    assert says in caught.value.message
    assert caught.value.hint


def test_traffic_parse_all_refuses_a_target_twice() -> None:
    with pytest.raises(GhostError, match="given twice"):
        traffic.parse_all(["output.x=pid", "output.x=id"])


def test_traffic_override_points_targets_at_the_ghost() -> None:
    switches = traffic.parse_all(
        [
            "output.api_url=private_ip",
            "aws_route53_record.api.records=[private_ip]",
            "aws_lb_target_group_attachment.api.target_id=id",
        ]
    )
    fragment = traffic.override("aws_instance.api_ghost", switches)
    assert fragment == {
        "output": {"api_url": {"value": "${aws_instance.api_ghost.private_ip}"}},
        "resource": {
            "aws_route53_record": {"api": {"records": ["${aws_instance.api_ghost.private_ip}"]}},
            "aws_lb_target_group_attachment": {
                "api": {"target_id": "${aws_instance.api_ghost.id}"}
            },
        },
    }
    assert traffic.targets_in(fragment) == [
        "aws_route53_record.api",
        "aws_lb_target_group_attachment.api",
    ]
    assert traffic.from_registry(traffic.describe(switches)) == switches


def test_traffic_override_refuses_the_ghost_itself() -> None:
    with pytest.raises(GhostError, match="targets the ghost itself"):
        traffic.override("aws_instance.api_ghost", [traffic.parse("aws_instance.api_ghost.ami=id")])


def test_traffic_unchanged_ignores_order() -> None:
    a = traffic.parse_all(["output.x=pid", "output.y=id"])
    b = traffic.parse_all(["output.y=id", "output.x=pid"])
    assert traffic.unchanged(a, b)
    assert not traffic.unchanged(a, a[:1])
