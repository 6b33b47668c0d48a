"""The conversation over POST /v1/channel/messages: welcome first, the check-in's flow, answers."""

from collections.abc import Callable
from datetime import timedelta

from channel_chat import Chat
from privacy_scan import rows_mentioning
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, Checkin, Conversation, Participant, Run, SafeguardingAlert, utcnow


def _rows(engine: Engine, model: type, **where: object) -> list:
    with Session(engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query).all())


def test_a_new_participant_passes_the_welcome_first(chat: Callable[..., Chat]) -> None:
    person = chat()
    reply = person.send(text="hello")
    assert reply["ended"] is False
    assert "Heard" in person.texts[0]
    assert person.options == ["yes", "no"]
    assert reply["replies"][-1]["question"] is True
    assert reply["language"] == "en"


def test_the_checkin_flow_follows_consent_bound_to_the_codes_site(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str], site_id: int
) -> None:
    code = make_code()
    person = chat()
    person.send(checkin_code=code)
    person.send(choice="yes")  # consent
    person.send(choice="no")  # follow-ups
    reply = person.send(choice="no")  # voice
    assert person.options == ["awful", "bad", "ok", "good", "great"], reply
    person.send(choice="good")
    person.send(text="The staff listened to me")
    person.send(text="Finding a bed")
    done = person.send(choice="no")
    assert done["ended"] is True

    runs = {run.flow: run for run in _rows(engine, Run, pseudonym=person.pseudonym)}
    assert runs["checkin"].site_id == site_id
    assert runs["checkin"].checkin_code == code
    assert runs["checkin"].status == "completed"
    answers = _rows(engine, Answer, pseudonym=person.pseudonym)
    assert {a.result for a in answers} == {"mood", "helped", "hard", "more"}
    assert all(a.site_id == site_id and a.run_id == runs["checkin"].id for a in answers)
    mood = next(a for a in answers if a.result == "mood")
    assert mood.number == 4 and mood.category == "good"
    assert _rows(engine, Checkin, code=code)[0].uses == 1
    assert _rows(engine, Participant, pseudonym=person.pseudonym)[0].site_id == site_id
    # Nothing is waiting any more: no conversation row is kept.
    assert _rows(engine, Conversation, pseudonym=person.pseudonym) == []


def test_welcome_answers_set_the_participant_not_answers(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.consent(followups=True, voice=True)
    participant = _rows(engine, Participant, pseudonym=person.pseudonym)[0]
    assert (participant.consented, participant.followups, participant.voice_prompts) == (
        True,
        True,
        True,
    )
    assert person.last["voice_prompts"] is True
    assert person.last["send_address"] is True
    assert _rows(engine, Answer, pseudonym=person.pseudonym) == []


def test_after_consent_without_a_code_the_menu_opens(chat: Callable[..., Chat]) -> None:
    person = chat()
    person.consent()
    assert person.options == ["checkin", "feedback", "ideas", "delete"]


def test_the_menu_leads_into_a_flow_with_its_own_run(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.consent()
    person.send(choice="checkin")
    assert person.options == ["awful", "bad", "ok", "good", "great"]
    person.send(text="3")
    runs = _rows(engine, Run, pseudonym=person.pseudonym)
    assert [(r.flow, r.status) for r in runs] == [
        ("welcome", "completed"),
        ("help", "completed"),
        ("checkin", "active"),
    ]
    answers = _rows(engine, Answer, pseudonym=person.pseudonym)
    assert [(a.result, a.number, a.run_id) for a in answers] == [("mood", 3, runs[2].id)]


def test_declining_consent_says_goodbye_and_keeps_nothing(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.send(checkin_code=make_code(), locale="en-GB")
    reply = person.send(choice="no")
    assert reply["ended"] is True
    assert "Nothing is kept" in " ".join(person.texts)
    assert rows_mentioning(engine, person.pseudonym) == []


def test_stopping_the_welcome_keeps_nothing_either(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.send(text="hi")
    person.send(command="stop")
    assert rows_mentioning(engine, person.pseudonym) == []


def test_stop_mid_flow_keeps_saved_answers(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="ok")
    person.send(text="The food")
    reply = person.send(command="stop")
    assert reply["ended"] is True
    answers = _rows(engine, Answer, pseudonym=person.pseudonym)
    assert {a.result for a in answers} == {"mood", "helped"}
    checkin = next(r for r in _rows(engine, Run, pseudonym=person.pseudonym) if r.flow == "checkin")
    assert checkin.status == "stopped"
    # Typed "stop" is the same command.
    other = Chat(person.client)
    other.consent(checkin_code=make_code())
    other.send(choice="good")
    assert other.send(text="STOP")["ended"] is True
    assert len(_rows(engine, Answer, pseudonym=other.pseudonym)) == 1


def test_free_text_is_redacted_before_it_is_stored(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="bad")
    person.send(text="Call my worker on 07700 900123 or jo.smith@example.org please")
    helped = next(
        a for a in _rows(engine, Answer, pseudonym=person.pseudonym) if a.result == "helped"
    )
    assert helped.free_text is True
    assert "07700" not in (helped.value or "") and "example.org" not in (helped.value or "")
    assert "Call my worker" in (helped.value or "")


def test_unknown_expired_and_used_up_codes_get_a_kind_word_and_the_welcome(
    chat: Callable[..., Chat], make_code: Callable[..., str]
) -> None:
    expired = make_code(expires_at=utcnow() - timedelta(minutes=1))
    used_up = make_code(max_uses=1, uses=1)
    for code in ("no-such-code", expired, used_up):
        person = chat()
        person.send(checkin_code=code)
        assert person.texts[0] == "That code has ended. Let's start anyway."
        assert "Heard" in person.texts[1]
        assert person.options == ["yes", "no"]


def test_a_code_used_up_during_the_welcome_falls_back_to_the_menu(
    chat: Callable[..., Chat], make_code: Callable[..., str]
) -> None:
    code = make_code(max_uses=1)
    first, second = chat(), chat()
    first.send(checkin_code=code)
    second.send(checkin_code=code)
    first.send(choice="yes")
    first.send(choice="no")
    first.send(choice="no")
    assert first.options == ["awful", "bad", "ok", "good", "great"]
    second.send(choice="yes")
    second.send(choice="no")
    second.send(choice="no")
    assert second.options == ["checkin", "feedback", "ideas", "delete"]


def test_a_consented_participant_scanning_a_code_starts_its_flow(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent()
    person.send(checkin_code=make_code("feedback"))
    assert person.last["replies"][-1]["question"] is True
    runs = _rows(engine, Run, pseudonym=person.pseudonym)
    assert runs[-1].flow == "feedback" and runs[-1].site_id is not None
    # The menu that was waiting is closed, not left active.
    assert all(r.status != "active" for r in runs[:-1])


def test_locale_sets_the_language_of_a_new_participant(chat: Callable[..., Chat]) -> None:
    person = chat()
    reply = person.send(text="cześć", locale="pl-PL")
    assert reply["language"] == "pl"
    assert reply["replies"][0]["language"] == "pl"
    unknown = chat()
    assert unknown.send(text="hi", locale="xx")["language"] == "en"


def test_the_language_command_changes_the_participants_language(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.consent()
    person.send(command="language")
    assert set(person.options) >= {"en", "pl", "ro"}
    reply = person.send(choice="ro")
    assert reply["language"] == "ro"
    assert _rows(engine, Participant, pseudonym=person.pseudonym)[0].language == "ro"


def test_crisis_words_signpost_and_raise_an_anonymous_alert(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str], site_id: int
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="awful")
    person.send(text="I want to kill myself")
    assert any("116 123" in text for text in person.texts)
    alerts = _rows(engine, SafeguardingAlert)
    assert [(a.site_id, a.category) for a in alerts] == [(site_id, "suicide")]


def test_crisis_words_as_a_first_message_are_signposted_at_once(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.send(text="i want to end my life")
    assert any("116 123" in text for text in person.texts)
    assert len(_rows(engine, SafeguardingAlert)) == 1


def test_the_voice_command_toggles_spoken_questions(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.consent()
    on = person.send(command="voice")
    assert on["voice_prompts"] is True
    assert "read the questions" in person.texts[0]
    # The waiting question is asked again, so it can be heard at once.
    assert person.options == ["checkin", "feedback", "ideas", "delete"]
    off = person.send(command="voice")
    assert off["voice_prompts"] is False
    assert _rows(engine, Participant, pseudonym=person.pseudonym)[0].voice_prompts is False


def test_changes_lists_you_said_we_did_or_nothing_new(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    person = chat()
    person.consent()
    person.send(command="changes")
    assert person.texts[0].startswith("Nothing new yet")
    from api.db import session_scope
    from api.models import LoopUpdate, Theme

    with session_scope(engine) as session:
        theme = Theme(slug="test-oven", name="Oven")
        session.add(theme)
        session.flush()
        session.add(
            LoopUpdate(theme_id=theme.id, text="You said the food was cold. We got a new oven.")
        )
    person.send(command="changes")
    assert "We got a new oven." in person.texts[0]


def test_codesign_votes_are_kept_with_their_proposal(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    from api.db import session_scope
    from api.models import Proposal

    with session_scope(engine) as session:
        proposal = Proposal(text="Open the showers at 7am")
        session.add(proposal)
        session.flush()
        proposal_id = proposal.id
    person = chat()
    person.consent()
    person.send(choice="ideas")
    assert any("Open the showers at 7am" in text for text in person.texts)
    person.send(choice="yes")
    votes = [a for a in _rows(engine, Answer, pseudonym=person.pseudonym) if a.result == "vote"]
    assert [(v.category, v.proposal_id) for v in votes] == [("yes", proposal_id)]


def test_after_a_flow_ends_anything_opens_the_menu(
    chat: Callable[..., Chat], make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(command="stop")
    person.send(text="hello again")
    assert person.options == ["checkin", "feedback", "ideas", "delete"]
