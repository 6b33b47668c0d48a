"""Themes: the codebook, tagging answers with it, and discovering new themes.

Everything here is pure (no database, no HTTP, no logging of text); the API's services
and jobs call it. Discovery loads scikit-learn, which is slow to import and heavy in
memory, so its names load on first use rather than with the package.
"""

from typing import Any

from api.themes.codebook import (
    Codebook,
    CodebookError,
    LanguageStatus,
    ThemeEntry,
    describe_errors,
    load_codebook,
)
from api.themes.tagging import Tagger

_DISCOVERY = {"DiscoveryItem", "Proposal", "discover", "theme_from_proposal"}

__all__ = [
    "Codebook",
    "CodebookError",
    "DiscoveryItem",
    "LanguageStatus",
    "Proposal",
    "Tagger",
    "ThemeEntry",
    "describe_errors",
    "discover",
    "load_codebook",
    "theme_from_proposal",
]


def __getattr__(name: str) -> Any:
    if name in _DISCOVERY:
        from api.themes import discovery

        return getattr(discovery, name)
    raise AttributeError(f"module 'api.themes' has no attribute {name!r}")
