"""The addresses completion offers for resource instances: what -target can name."""

from __future__ import annotations

from tfshadow.cli.completion import _address_forms, _managed_type


def test_instances_their_resources_and_their_modules() -> None:
    assert _address_forms(
        [
            'module.db["a.b"].aws_instance.web[0]',
            "module.net.module.vpc[1].data.aws_ami.base",
            "aws_s3_bucket.logs",
        ]
    ) == {
        'module.db["a.b"].aws_instance.web[0]',
        'module.db["a.b"].aws_instance.web',
        'module.db["a.b"]',
        "module.db",
        "module.net.module.vpc[1].data.aws_ami.base",
        "module.net",
        "module.net.module.vpc[1]",
        "module.net.module.vpc",
        "aws_s3_bucket.logs",
    }


def test_the_managed_type_an_address_names() -> None:
    assert _managed_type('module.db["a.b"].aws_instance.web[0]') == "aws_instance"
    assert _managed_type("aws_instance.web") == "aws_instance"
    assert _managed_type("data.aws_instance.seen") is None
    assert _managed_type("module.net.data.aws_ami.base") is None
    assert _managed_type("module.db") is None
    assert _managed_type("module.net.module.vpc[1]") is None
