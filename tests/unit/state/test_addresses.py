"""Instance addresses: keys taken out, and patterns of `import` blocks with `for_each`."""

from __future__ import annotations

from tfshadow.state.addresses import any_key_pattern, matches_pattern, resource_of, without_keys


def test_a_pattern_of_an_import_with_for_each_matches_every_key_it_can_give() -> None:
    pattern = any_key_pattern('module.m[each.key].aws_s3_bucket.b["x.y"]', "each")
    assert pattern == 'module.m[*].aws_s3_bucket.b["x.y"]'
    assert any_key_pattern("aws_instance.web[each.value.name]", "each") == "aws_instance.web[*]"
    assert matches_pattern('module.m["a.b"].aws_s3_bucket.b["x.y"]', pattern)
    assert matches_pattern('module.m[0].aws_s3_bucket.b["x.y"]', pattern)
    assert not matches_pattern('module.m.aws_s3_bucket.b["x.y"]', pattern)  # no key there
    assert not matches_pattern('module.m["a"].aws_s3_bucket.b["z"]', pattern)
    assert not matches_pattern('module.n["a"].aws_s3_bucket.b["x.y"]', pattern)
    assert matches_pattern("a_b.c", "a_b.c") and not matches_pattern("a_b.c[0]", "a_b.c")


def test_without_keys_takes_out_the_keys_of_modules_and_resources() -> None:
    assert without_keys('module.db["a.b"].module.x[0].aws_instance.web["k[1]"]') == (
        "module.db.module.x.aws_instance.web"
    )


def test_resource_of_takes_out_the_last_instance_key_only() -> None:
    assert resource_of('module.m["a.b"].aws_instance.web[0]') == 'module.m["a.b"].aws_instance.web'
    assert resource_of('aws_instance.web["k[1]"]') == "aws_instance.web"
    assert resource_of("aws_instance.web") == "aws_instance.web"
