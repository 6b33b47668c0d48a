"""Property tests: whatever a person types, the engine answers and never asks a third time."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import Input, Message, ResultSaved, load_library, resume, start
from flows.commands import command_for
from flows.safeguarding import concern_in
from flows.understanding import normalise

LIBRARY = load_library()
FLOWS = st.sampled_from(LIBRARY.ids())
LANGUAGES = st.sampled_from(["en", "pl", "ro"])
TEXT = st.text(max_size=300)
INPUTS = st.one_of(
    TEXT.map(lambda text: Input(text=text)),
    st.text(max_size=20).map(lambda key: Input(choice=key)),
    st.sampled_from(["1", "2", "3", "yes", "no", "🙂", "👍", "skip"]).map(
        lambda text: Input(text=text)
    ),
    st.text(max_size=10).map(lambda ref: Input(voice=ref)),
    st.just(Input(timed_out=True)),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(FLOWS, LANGUAGES, st.lists(INPUTS, max_size=12))
def test_any_input_gets_a_reply_until_the_flow_ends(flow, language, inputs) -> None:
    step = start(LIBRARY, flow, language=language)
    for input in inputs:
        if step.ended:
            break
        step = resume(LIBRARY, step.session, input)
        assert step.ended or any(isinstance(e, Message) for e in step.events)
        assert step.ended or any(m.question for m in step.messages)
        for message in step.messages:
            assert message.text


def _is_plain_answer(input: Input) -> bool:
    """Return whether `input` is an answer rather than a command or a crisis."""
    if input.text is None:
        return input.choice is not None or input.voice is not None
    return command_for(normalise(input.text), input.text) is None and not concern_in(input.text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(FLOWS, LANGUAGES, st.lists(INPUTS.filter(_is_plain_answer), max_size=12))
def test_no_question_is_asked_a_third_time(flow, language, inputs) -> None:
    step = start(LIBRARY, flow, language=language)
    asked: dict[tuple[str, str], int] = {}

    def count(events) -> None:
        for event in events:
            if isinstance(event, ResultSaved):
                asked.clear()
            elif isinstance(event, Message) and event.question:
                key = (event.flow, event.node)
                asked[key] = asked.get(key, 0) + 1
                assert asked[key] <= 2, f"{key} asked a third time"

    count(step.events)
    for input in inputs:
        if step.ended:
            break
        step = resume(LIBRARY, step.session, input)
        count(step.events)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_normalising_and_matching_never_raise(text) -> None:
    norm = normalise(text)
    assert norm == normalise(norm)
    concern_in(text)
    command_for(norm, text)


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(),
        st.lists(st.text()),
        st.dictionaries(
            st.text(max_size=12), st.one_of(st.none(), st.integers(), st.text(max_size=12))
        ),
    ),
    TEXT,
)
def test_any_stored_session_is_survived(session, text) -> None:
    step = resume(LIBRARY, session, Input(text=text))
    assert step.ended or step.messages
