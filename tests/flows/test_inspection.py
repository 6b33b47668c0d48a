"""The accessibility linter: each warning names its node, and the built-ins have none."""

from __future__ import annotations

import pytest

from flows import inspect_flow, load_library, parse_flow
from flows.inspection import figures, reading_ease

LONG = "Tell us. " * 20
HARD = "Notwithstanding institutional considerations, comprehensive documentation necessitates."

LINT = f"""
id: lint
version: 1
expiry: 7d
languages: {{en: reviewed, pl: draft}}
nodes:
  - id: hello
    say: {{en: Hi.}}
    next: pick
  - id: pick
    say: {{en: "{LONG}", pl: Wybierz.}}
    ask:
      type: choice
      result: pick
      timeout: 2h
      options:
        - {{key: a, emoji: "🙂", label: {{en: One, pl: Jeden}}}}
        - {{key: b, label: {{en: Two, pl: Dwa}}}}
        - {{key: c, emoji: "🙂", label: {{en: Three little words, pl: Trzy}}}}
        - {{key: d, emoji: "🙂", label: {{en: Four, pl: Cztery}}}}
        - {{key: e, emoji: "🙂", label: {{en: Five}}}}
    next: hard
  - id: hard
    say: {{en: "{HARD}", pl: Trudne.}}
    next: bye
  - id: bye
    say: {{en: Bye., pl: Pa.}}
  - id: orphan
    say: {{en: Thank you., pl: Dziękuję.}}
    thanks: true
"""


def test_each_kind_of_warning_names_its_node() -> None:
    found = {(w.code, w.node) for w in inspect_flow(parse_flow(LINT))}
    assert found == {
        ("missing_translation", "hello"),
        ("too_long", "pick"),
        ("too_many_options", "pick"),
        ("option_incomplete", "pick"),
        ("option_wordy", "pick"),
        ("missing_translation", "pick"),
        ("short_timeout", "pick"),
        ("hard_to_read", "hard"),
        ("no_thanks", "bye"),
        ("unreachable", "orphan"),
    }


def test_warnings_carry_the_node_line() -> None:
    by_node = {w.node: w.line for w in inspect_flow(parse_flow(LINT))}
    lines = LINT.splitlines()
    assert by_node["hello"] == lines.index("  - id: hello") + 1
    assert by_node["orphan"] == lines.index("  - id: orphan") + 1


def test_a_question_that_can_end_the_flow_needs_a_thank_you() -> None:
    flow = parse_flow("""
id: q
version: 1
expiry: 7d
languages: {en: reviewed}
nodes:
  - id: ask
    say: {en: "Can we go on?"}
    ask: {type: yesno, result: ok}
    routes: {yes: thanks}
  - id: thanks
    say: {en: Thank you.}
    thanks: true
""")
    assert [(w.code, w.node) for w in inspect_flow(flow)] == [("no_thanks", "ask")]


@pytest.mark.parametrize("flow_id", load_library().ids())
def test_builtin_flow_has_no_warnings(flow_id) -> None:
    assert inspect_flow(load_library().get(flow_id)) == []


def test_every_builtin_english_message_is_short_and_easy() -> None:
    for flow in load_library():
        for node in flow.nodes.values():
            for language, text in node.say.items():
                assert len(text) <= 160, (flow.id, node.id, language)
            if node.say:
                assert reading_ease(node.say["en"]) >= 80, (flow.id, node.id)


def test_builtin_translations_are_complete_and_marked_draft() -> None:
    for flow in load_library():
        coverage = figures(flow)["coverage"]
        assert coverage["en"] == {**coverage["en"], "status": "reviewed", "percent": 100.0}
        for language in ("pl", "ro"):
            assert coverage[language]["status"] == "draft"
            assert coverage[language]["percent"] == 100.0


def test_figures_report_longest_and_lowest() -> None:
    result = figures(parse_flow(LINT))
    assert result["messages"] == 5
    assert result["longest"] == {"chars": len(LONG), "node": "pick", "language": "en"}
    assert result["lowest_reading_ease"]["node"] == "hard"
    assert result["coverage"]["pl"]["texts"] < result["coverage"]["en"]["texts"]
