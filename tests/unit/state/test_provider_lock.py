"""Whether a version's lock file is served by the providers installed for the one here."""

from __future__ import annotations

from tfshadow.state.provider_lock import same_installation

HERE = b"""\
provider "registry.terraform.io/hashicorp/null" {
  version     = "3.2.1"
  constraints = "~> 3.0"
  hashes = [
    "h1:aaa=",
    "zh:bbb",
  ]
}

provider "registry.terraform.io/hashicorp/random" {
  version = "3.6.0"
  hashes = [
    "h1:ccc=",
  ]
}
"""


def test_a_lock_selecting_the_same_versions_with_every_hash_here_is_served() -> None:
    more_hashes = HERE.replace(b'"zh:bbb",', b'"zh:bbb",\n    "zh:ddd",')
    fewer_providers = HERE[: HERE.index(b'provider "registry.terraform.io/hashicorp/random"')]
    other_constraints = HERE.replace(b'"~> 3.0"', b'">= 3.1"')

    assert same_installation(HERE, HERE)
    assert same_installation(more_hashes, HERE)
    assert same_installation(fewer_providers, HERE)
    assert same_installation(other_constraints, HERE)


def test_a_lock_selecting_anything_else_needs_init() -> None:
    other_version = HERE.replace(b'"3.2.1"', b'"3.2.2"')
    fewer_hashes = HERE.replace(b'    "zh:bbb",\n', b"")
    another_provider = (
        HERE + b'provider "registry.terraform.io/hashicorp/aws" {\n  version = "5.0.0"\n}\n'
    )

    assert not same_installation(other_version, HERE)
    # The package installed may match only the hash that lock lacks.
    assert not same_installation(fewer_hashes, HERE)
    assert not same_installation(another_provider, HERE)
    assert not same_installation(
        HERE, None
    )  # nothing was locked here: nothing said what is installed
    assert not same_installation(b"provider {", HERE)  # unreadable
    assert not same_installation(HERE, b'provider "x/y/z" {\n  hashes = []\n}\n')  # no version
