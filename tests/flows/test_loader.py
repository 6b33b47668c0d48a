"""Broken flows are refused with an error naming the file, the node and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import FlowError, load_flow, load_library, parse_flow

BROKEN = Path(__file__).parent / "broken"

# file -> (code, line, node, message): the one error each broken flow must give.
EXPECTED = {
    "bad_action.yaml": ("bad_action", 10, "bye", "unknown action 'email_everyone'"),
    "bad_duration.yaml": (
        "bad_value",
        3,
        None,
        "bad value for expiry: bad duration 'soon': use a number and m, h, d or w, like 48h",
    ),
    "bad_scale.yaml": (
        "bad_value",
        8,
        "mood",
        "bad value for nodes.0.ask.scale: Input should be 3 or 5",
    ),
    "bad_yaml.yaml": ("yaml", 5, None, "bad YAML: expected ',' or '}', but got ':'"),
    "choice_without_options.yaml": ("choice_without_options", 8, "pick", "a choice needs options"),
    "duplicate_key.yaml": ("duplicate_key", 8, "bye", "duplicate key 'say'"),
    "duplicate_node.yaml": ("duplicate_node", 12, "hello", "duplicate node id 'hello'"),
    "end_with_exit.yaml": ("end_with_exit", 9, "bye", "an end node cannot go on"),
    "missing_key.yaml": ("missing_key", 8, "mood", "missing key 'result'"),
    "missing_node.yaml": ("missing_node", 9, "hello", "next goes to missing node 'nowhere'"),
    "missing_text.yaml": ("missing_text", 10, "bye", "missing 'en' text"),
    "not_a_flow.yaml": ("not_a_flow", 1, None, "a flow file must be a mapping"),
    "question_without_text.yaml": (
        "question_without_text",
        7,
        "mood",
        "a question needs `say` text",
    ),
    "unknown_category.yaml": (
        "unknown_category",
        10,
        "consent",
        "route for unknown category 'maybe'",
    ),
    "unknown_key.yaml": ("unknown_key", 10, "typo", "unknown key 'sya'"),
    "unknown_language.yaml": ("unknown_language", 9, "hello", "text in undeclared language 'fr'"),
}


def test_every_broken_flow_is_mapped() -> None:
    assert sorted(path.name for path in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_flow_gives_its_exact_error(name) -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(BROKEN / name)
    errors = caught.value.errors
    assert len(errors) == 1
    error = errors[0]
    assert (error.code, error.line, error.node, error.message) == EXPECTED[name]
    assert error.file == str(BROKEN / name)
    assert error.level == "error"
    assert str(error).startswith(f"{BROKEN / name}:{error.line}:")


def test_all_errors_of_a_file_are_listed_together() -> None:
    text = """
id: many
version: 1
expiry: 7d
languages: {en: reviewed}
nodes:
  - id: a
    say: {en: Hi}
    next: b
  - id: a
    say: {en: Hi}
    next: c
"""
    with pytest.raises(FlowError) as caught:
        parse_flow(text)
    assert [(e.code, e.line) for e in caught.value.errors] == [
        ("missing_node", 9),
        ("duplicate_node", 10),
        ("missing_node", 12),
    ]


def test_unreadable_file_is_a_flow_error(tmp_path) -> None:
    with pytest.raises(FlowError) as caught:
        load_flow(tmp_path / "absent.yaml")
    assert caught.value.first.code == "unreadable"


def test_more_than_four_options_loads_with_a_warning_not_an_error() -> None:
    from flows import inspect_flow

    options = "\n".join(
        f"        - {{key: o{i}, emoji: '🙂', label: {{en: Pick {i}}}}}" for i in range(5)
    )
    flow = parse_flow(f"""
id: five
version: 1
expiry: 7d
languages: {{en: reviewed}}
nodes:
  - id: pick
    say: {{en: Pick one.}}
    ask:
      type: choice
      result: pick
      options:
{options}
    next: bye
  - id: bye
    say: {{en: Thank you.}}
    thanks: true
""")
    assert [w.code for w in inspect_flow(flow)] == ["too_many_options"]


def test_library_loads_every_builtin_flow() -> None:
    library = load_library()
    assert library.ids() == ["checkin", "codesign", "feedback", "forget", "help", "welcome"]
    checkin = library.get("checkin")
    assert checkin is not None
    assert checkin.languages == ["en", "pl", "ro"]
    assert checkin.language_status == {"en": "reviewed", "pl": "draft", "ro": "draft"}
    assert (checkin.id, checkin.version) == ("checkin", 1)
    assert library.get("nope") is None


def test_extra_dirs_add_and_override_flows(tmp_path) -> None:
    (tmp_path / "checkin.yaml").write_text(
        "id: checkin\nversion: 9\nexpiry: 1d\nlanguages: {en: reviewed}\n"
        "nodes:\n  - id: bye\n    say: {en: Thank you.}\n    thanks: true\n"
    )
    (tmp_path / "extra.yaml").write_text(
        "id: extra\nversion: 1\nexpiry: 1d\nlanguages: {en: reviewed}\n"
        "nodes:\n  - id: go\n    enter_flow: feedback\n"
    )
    library = load_library(extra_dirs=[tmp_path])
    assert library.get("checkin").version == 9
    assert "extra" in library


def test_entering_a_missing_flow_is_an_error_in_the_library(tmp_path) -> None:
    (tmp_path / "lost.yaml").write_text(
        "id: lost\nversion: 1\nexpiry: 1d\nlanguages: {en: reviewed}\n"
        "nodes:\n  - id: go\n    enter_flow: nowhere\n"
    )
    with pytest.raises(FlowError) as caught:
        load_library(extra_dirs=[tmp_path])
    error = caught.value.first
    assert (error.code, error.node, error.line) == ("missing_flow", "go", 6)


def test_yes_and_no_route_keys_survive_yaml_booleans() -> None:
    flow = parse_flow("""
id: bools
version: 1
expiry: 1d
languages: {en: reviewed}
nodes:
  - id: q
    say: {en: "OK?"}
    ask: {type: yesno, result: ok}
    routes: {yes: a, no: b}
  - id: a
    say: {en: Good. Thank you.}
    thanks: true
  - id: b
    say: {en: Fine. Thank you.}
    thanks: true
""")
    assert flow.nodes["q"].routes == {"yes": "a", "no": "b"}
