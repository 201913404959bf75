"""Per-file analysis shared by every rule: one walk over the tree, names resolved
from the file's imports, and the values that expressions hold."""


def per_file(owner, key: str, factory):
    """One shared analysis per file, stored on the file's own context (or values)
    object, so it lives and dies with that file: a module-level cache keyed by the
    context would keep every file's tree alive when the analysis refers back to it."""
    cache = owner.__dict__.setdefault("_per_file", {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = factory(owner)
    return found


def existing(owner, key: str):
    """The shared analysis ``key`` if some rule already built it, else None."""
    return owner.__dict__.get("_per_file", {}).get(key)
