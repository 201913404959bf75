"""Per-file analysis shared by every rule: one walk over the tree, names resolved
from the file's imports, and the values that expressions hold."""
