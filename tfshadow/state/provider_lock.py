"""Whether writing a version's dependency lock file calls for `terraform init`.

Before it plans, Terraform loads each provider the lock file (``.terraform.lock.hcl``) selects
from what `terraform init` installed, and refuses until `init` runs again where a selected
provider or version is not installed, or where no hash the lock records matches the installed
package. The lock file that was here is the one `init` installed for, so a lock written over it
is served as well when it selects each of its providers at the same version, with every hash the
one here recorded among its own (the installed package matched one of those). Anything else, or
a file that cannot be read, is taken to need `init`: telling more would take hashing the
installed packages.
"""

from __future__ import annotations

from tfshadow.settings import hcl
from tfshadow.state.config_files import decode_text

__all__ = ["needs_init", "same_installation"]

# A provider's source address → (version, hashes).
_Selections = dict[str, tuple[str, frozenset[str]]]


def needs_init(written: bytes | None, here: bytes | None) -> bool:
    """Whether writing the lock file ``written`` over ``here`` (None: no such file) calls for
    `terraform init`: a lock taken away, or one the providers installed for ``here`` do not
    serve."""
    if written == here:
        return False
    return written is None or not same_installation(written, here)


def same_installation(written: bytes, here: bytes | None) -> bool:
    """Whether the lock file ``written`` is served by what was installed for ``here``, the
    lock file it replaces (None: there was none)."""
    wanted, installed = _selections(written), _selections(here) if here is not None else None
    if wanted is None or installed is None:
        return False
    for provider, (version, hashes) in wanted.items():
        found = installed.get(provider)
        if found is None or found[0] != version or not found[1] <= hashes:
            return False
    return True


def _selections(data: bytes) -> _Selections | None:
    """The providers a lock file selects; None where it cannot be read as one."""
    try:
        body = hcl.parse(decode_text(data)[0])
    except hcl.HclSyntaxError:
        return None
    found: _Selections = {}
    for block in body.blocks_of("provider"):
        version = block.body.attribute("version")
        hashes = block.body.attribute("hashes")
        if len(block.labels) != 1 or version is None or not isinstance(version.value.literal, str):
            return None
        listed = hashes.value.literal if hashes is not None else ()
        if not isinstance(listed, (list, tuple)) or not all(isinstance(h, str) for h in listed):
            return None
        found[block.labels[0]] = (version.value.literal, frozenset(listed))
    return found
