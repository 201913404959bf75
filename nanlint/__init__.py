"""nanlint: finds the code that makes a deep-learning loss go NaN, before training."""

from nanlint.config import Config, ConfigError
from nanlint.engine import check_source, lint_source
from nanlint.finding import Edit, FileResult, Finding, Fix
from nanlint.runner import lint_paths

__version__ = "0.1.0"


__all__ = [
    "Config", "ConfigError", "Edit", "FileResult", "Finding", "Fix",
    "__version__", "check_source", "lint_paths", "lint_source",
]
