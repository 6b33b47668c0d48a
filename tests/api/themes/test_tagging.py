import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.themes.codebook import Codebook, load_codebook
from api.themes.tagging import Tagger, fold, stem_en, tokenize

TAGGER = Tagger(load_codebook())
THEME_IDS = set(TAGGER.theme_ids)


def tags(text: str, language: str | None = None) -> list[str]:
    return TAGGER.tag(text, language)


@pytest.mark.parametrize(
    "text", ["the shower was filthy", "showers are filthy", "dirty sheets", "sheet was dirty"]
)
def test_singular_and_plural_both_match(text: str) -> None:
    assert "cleanliness" in tags(text)


@pytest.mark.parametrize("text", ["i wait", "waits ages", "waited", "waiting", "still waitin"])
def test_verb_forms_match(text: str) -> None:
    assert "waiting_times" in tags(text)


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("stafff wer rood", "staff_attitude"),
        ("got sanctiond", "benefits_money"),
        ("methadon prescripton", "health_medication"),
        ("waitng", "waiting_times"),
        ("no acommodation", "accommodation"),
        ("the shelterr", "accommodation"),
        ("RUUUUDE", "staff_attitude"),
    ],
)
def test_common_misspellings_match(text: str, theme: str) -> None:
    assert theme in tags(text)


@pytest.mark.parametrize(
    "text",
    ["lost my stuff", "i was short", "a shared kitchen", "ok i guess", "it was broken", "nite"],
)
def test_ordinary_words_are_not_read_as_misspelt_terms(text: str) -> None:
    assert tags(text) == []


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("czekałem", "waiting_times"),
        ("czekałam dwie godziny", "waiting_times"),
        ("czekaliśmy", "waiting_times"),
        ("brak jedzenia", "food"),
        ("z jedzeniem", "food"),
        ("pluskwy", "cleanliness"),
        ("pluskwami", "cleanliness"),
        ("am așteptat", "waiting_times"),
        ("asteptam mult", "waiting_times"),
        ("mâncarea", "food"),
        ("mancarii", "food"),
    ],
)
def test_polish_and_romanian_inflections_match(text: str, theme: str) -> None:
    assert theme in tags(text)


@pytest.mark.parametrize(
    "pair",
    [("nie ma ciepłej wody", "nie ma cieplej wody"), ("nu e apă caldă", "nu e apa calda")],
)
def test_missing_diacritics_match_like_written_ones(pair: tuple[str, str]) -> None:
    with_marks, without = pair
    assert tags(with_marks) == tags(without) == ["accommodation"]


def test_several_themes_come_back_in_codebook_order() -> None:
    text = "no hot food, bedbugs everywhere and the staff dont listen"
    assert tags(text) == ["staff_attitude", "being_listened_to", "food", "cleanliness"]


def test_multi_word_terms_match_across_a_small_gap() -> None:
    assert "staff_attitude" in tags("they treat all of us like dirt")
    assert "staff_attitude" not in tags("they treat people here like they matter, the dirt")


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("cant wait to move into my flat", "waiting_times"),
        ("can't wait", "waiting_times"),
        ("sick of it", "health_medication"),
        ("fed up", "food"),
        ("treat us like dirt", "cleanliness"),
        ("food bank", "benefits_money"),
        ("not enough staff", "staff_attitude"),
        ("its pissing down", "cleanliness"),
    ],
)
def test_idioms_do_not_count_as_the_theme_they_contain(text: str, absent: str) -> None:
    assert absent not in tags(text)


def test_idiom_does_not_hide_a_real_mention_elsewhere() -> None:
    assert "waiting_times" in tags("cant wait to leave, waited 3 hours today")


def test_case_punctuation_and_invisible_characters_are_ignored() -> None:
    assert tags("STAFF!!! were... RUDE?!") == ["staff_attitude"]
    assert tags("st\u200baff were r\u200bude") == ["staff_attitude"]
    assert tags("sta\u00adff were ru\u2060de") == ["staff_attitude"]


def test_language_hint_limits_terms_to_that_language_and_english() -> None:
    # "pat" is Romanian for bed; in a Polish answer it is not.
    assert "accommodation" in tags("nu am pat", "ro")
    assert "accommodation" not in tags("nu am pat", "pl")
    assert "staff_attitude" in tags("staff niemili", "pl-PL")
    assert tags("nu am pat", "xx") == tags("nu am pat")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😡😡😡",
        "🙏",
        "'; DROP TABLE answers; --",
        "<script>alert(1)</script>",
        "{{7*7}} ${jndi:ldap://x}",
        "\u202eredur erew ffats",
        "الموظفون وقحون جدا",
        "שלום",
        "\u200b\u200c\u200d\ufeff",
        "\x00\x01\x02",
        "a" * 4096,
        ("staff were rude " * 300)[:4096],
        " ".join(["accomodaton"] * 600),
    ],
)
def test_hostile_or_odd_input_never_raises(text: str) -> None:
    result = tags(text)
    assert set(result) <= THEME_IDS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, "en", "pl", "ro", "zz", ""]))
def test_any_text_returns_known_theme_ids_without_repeats(text: str, lang: str | None) -> None:
    result = TAGGER.tag(text, lang)
    assert set(result) <= THEME_IDS
    assert len(result) == len(set(result))


def test_edited_codebook_with_star_terms_and_excludes() -> None:
    codebook = Codebook.model_validate(
        {
            "themes": [
                {
                    "id": "pets",
                    "name": "Pets",
                    "terms": {"en": ["dog", "puppy*"], "pl": ["psy", "pies*"]},
                    "exclude": {"en": ["hot dog"]},
                }
            ]
        }
    )
    tagger = Tagger(codebook)
    assert tagger.tag("my puppylove") == ["pets"]
    assert tagger.tag("dogs not allowed") == ["pets"]
    assert tagger.tag("had a hot dog") == []
    assert tagger.tag("wzięli mi psa", "pl") == []  # "psa" is not listed: no guessing
    assert tagger.tag("pieskiem", "pl") == ["pets"]


def test_text_helpers_fold_and_stem_predictably() -> None:
    assert fold("Ciepłej WODY, ȘI caldă") == "cieplej wody, si calda"
    assert tokenize("didn't get £5, 3hrs") == ["didnt", "get", "gbp", "5", "3", "hrs"]
    assert {stem_en(w) for w in ("wait", "waits", "waited", "waiting")} == {"wait"}
    assert stem_en("judged") == stem_en("judge")
    assert stem_en("barred") == stem_en("bar")
    assert stem_en("staffed") == "staff"
