"""The shadow store: every recorded version of a configuration's state and config, in git.

from tfshadow.store import GitShadowStore, StoreConfig

store = GitShadowStore.open(StoreConfig(workdir=Path(".")), create=True)
with store.lock(timeout=30):
    meta = store.record("default", {"author": {...}, "description": "…"}, state, config)
store.push()
"""

from __future__ import annotations

from tfshadow.store.base import Reconstructed, ShadowStore, StoreConfig
from tfshadow.store.gitstore import GitShadowStore

__all__ = ["GitShadowStore", "Reconstructed", "ShadowStore", "StoreConfig"]
