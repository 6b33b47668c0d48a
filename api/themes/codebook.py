"""The theme codebook: themes, their terms in each language, and how it is checked."""

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SHIPPED_CODEBOOK = Path(__file__).with_name("codebook.yaml")

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# A term must carry at least one letter or digit once punctuation is set aside.
_WORDISH = re.compile(r"[^\W_]")
_MAX_TERM_CHARS = 80
_MAX_TERMS = 1000


class CodebookError(ValueError):
    """A codebook file could not be read or does not describe a valid codebook."""


class LanguageStatus(BaseModel):
    """How far the terms of one language can be trusted."""

    model_config = ConfigDict(extra="forbid")

    # "source": written in the language the codebook was authored in; "draft": a
    # translation nobody fluent has checked yet; "reviewed": checked by a native speaker.
    status: Literal["source", "draft", "reviewed"]
    note: str | None = None


def _check_terms(value: dict[str, list[str]], what: str) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for language, terms in value.items():
        if not _LANGUAGE.match(language):
            raise ValueError(
                f"{what}: language {language!r} must be a lowercase ISO 639 code like 'en'"
            )
        if len(terms) > _MAX_TERMS:
            raise ValueError(f"{what} ({language}): at most {_MAX_TERMS} terms, got {len(terms)}")
        kept: list[str] = []
        for term in terms:
            stripped = " ".join(str(term).split())
            if not stripped:
                raise ValueError(f"{what} ({language}): a term is empty")
            if len(stripped) > _MAX_TERM_CHARS:
                raise ValueError(
                    f"{what} ({language}): term {stripped[:20]!r}... is longer than "
                    f"{_MAX_TERM_CHARS} characters"
                )
            if not _WORDISH.search(stripped):
                raise ValueError(f"{what} ({language}): term {stripped!r} has no letters or digits")
            if stripped.startswith("*") or "**" in stripped:
                raise ValueError(
                    f"{what} ({language}): term {stripped!r} may only end a word with '*'"
                )
            if stripped not in kept:
                kept.append(stripped)
        cleaned[language] = kept
    return cleaned


class ThemeEntry(BaseModel):
    """One theme: a stable slug, a display name and the terms that signal it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = Field(min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=300)
    terms: dict[str, list[str]]
    # Idioms that contain a term without meaning the theme ("can't wait to move").
    exclude: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                f"theme id {value!r} must be a lowercase slug of 2 to 48 letters, digits or "
                "underscores starting with a letter, like 'waiting_times'"
            )
        return value

    @model_validator(mode="after")
    def _terms(self) -> "ThemeEntry":
        self.terms = _check_terms(self.terms, f"theme {self.id!r}")
        self.exclude = _check_terms(self.exclude, f"theme {self.id!r} exclude")
        if not any(self.terms.values()):
            raise ValueError(f"theme {self.id!r} has no terms; give at least one")
        return self


class Codebook(BaseModel):
    """The set of themes answers are tagged with."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=1, ge=1)
    languages: dict[str, LanguageStatus] = Field(default_factory=dict)
    themes: list[ThemeEntry]

    @model_validator(mode="after")
    def _unique(self) -> "Codebook":
        seen: set[str] = set()
        for theme in self.themes:
            if theme.id in seen:
                raise ValueError(f"theme id {theme.id!r} appears more than once")
            seen.add(theme.id)
        return self

    def theme(self, theme_id: str) -> ThemeEntry | None:
        """Return the theme with this id, or None."""
        return next((t for t in self.themes if t.id == theme_id), None)

    def with_theme(self, entry: ThemeEntry) -> "Codebook":
        """Return a copy with the theme added, or replacing the theme with its id."""
        themes = list(self.themes)
        for index, theme in enumerate(themes):
            if theme.id == entry.id:
                themes[index] = entry
                break
        else:
            themes.append(entry)
        return self.model_copy(update={"themes": themes})


def describe_errors(error: ValidationError) -> str:
    """Return a validation error as short lines a coordinator can act on."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "codebook"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "\n".join(lines)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and check a codebook file; the shipped one when no path is given."""
    source = Path(path) if path is not None else SHIPPED_CODEBOOK
    try:
        raw: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CodebookError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CodebookError(f"{source}: expected a mapping with a 'themes' list")
    try:
        return Codebook.model_validate(raw)
    except ValidationError as exc:
        raise CodebookError(f"{source}:\n{describe_errors(exc)}") from exc
