"""The addresses completion offers for resource instances: what -target can name."""

from __future__ import annotations

from tfshadow.cli.completion import _address_forms


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
