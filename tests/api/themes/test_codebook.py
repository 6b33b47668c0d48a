from pathlib import Path

import pytest
from pydantic import ValidationError

from api.themes.codebook import Codebook, CodebookError, ThemeEntry, load_codebook

SHIPPED_IDS = [
    "staff_attitude",
    "being_listened_to",
    "waiting_times",
    "safety",
    "accommodation",
    "food",
    "health_medication",
    "benefits_money",
    "opening_hours_access",
    "rules_bans",
    "peer_support",
    "stigma",
    "cleanliness",
    "communication",
]


def theme(**overrides: object) -> dict[str, object]:
    return {"id": "food", "name": "Food", "terms": {"en": ["food"]}, **overrides}


def test_shipped_codebook_has_every_theme_in_english_polish_and_romanian() -> None:
    codebook = load_codebook()
    assert [t.id for t in codebook.themes] == SHIPPED_IDS
    for entry in codebook.themes:
        assert {"en", "pl", "ro"} <= set(entry.terms), entry.id
        assert all(entry.terms[lang] for lang in ("en", "pl", "ro")), entry.id


def test_shipped_translations_are_marked_as_drafts() -> None:
    codebook = load_codebook()
    assert codebook.languages["pl"].status == "draft"
    assert codebook.languages["ro"].status == "draft"


def test_minimal_codebook_from_the_api_validates() -> None:
    codebook = Codebook.model_validate({"themes": [theme()]})
    assert codebook.themes[0].exclude == {}
    assert codebook.theme("food") is not None
    assert codebook.theme("nope") is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (theme(id="Food Stuff"), "lowercase slug"),
        (theme(id="1food"), "lowercase slug"),
        (theme(terms={"en": []}), "has no terms"),
        (theme(terms={}), "has no terms"),
        (theme(terms={"en": ["   "]}), "a term is empty"),
        (theme(terms={"en": ["!!!"]}), "has no letters or digits"),
        (theme(terms={"English": ["food"]}), "ISO 639"),
        (theme(terms={"en": ["*food"]}), "only end a word with '*'"),
        (theme(terms={"en": ["x" * 81]}), "longer than 80"),
        (theme(name=""), "at least 1 character"),
        (theme(colour="red"), "Extra inputs are not permitted"),
    ],
)
def test_invalid_theme_is_refused_with_a_clear_message(
    entry: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Codebook.model_validate({"themes": [entry]})


def test_duplicate_theme_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="'food' appears more than once"):
        Codebook.model_validate({"themes": [theme(), theme(name="Meals")]})


def test_terms_are_trimmed_and_deduplicated() -> None:
    entry = ThemeEntry.model_validate(theme(terms={"en": [" hot  food ", "hot food", "soup"]}))
    assert entry.terms == {"en": ["hot food", "soup"]}


def test_broken_codebook_file_names_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text("themes:\n  - id: Bad Id\n    name: x\n    terms: {en: [x]}\n")
    with pytest.raises(CodebookError, match=r"codebook\.yaml:\nthemes\.0\.id: theme id 'Bad Id'"):
        load_codebook(path)


def test_codebook_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text("themes: [unclosed")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(path)
    path.write_text("- just a list")
    with pytest.raises(CodebookError, match="expected a mapping"):
        load_codebook(path)


def test_with_theme_adds_or_replaces_by_id() -> None:
    codebook = Codebook.model_validate({"themes": [theme()]})
    added = codebook.with_theme(ThemeEntry.model_validate(theme(id="pets", name="Pets")))
    assert [t.id for t in added.themes] == ["food", "pets"]
    replaced = added.with_theme(ThemeEntry.model_validate(theme(name="Meals")))
    assert [t.name for t in replaced.themes] == ["Meals", "Pets"]
    assert [t.id for t in codebook.themes] == ["food"]
