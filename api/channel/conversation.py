"""One turn of a participant's conversation: run the engine, then act on what it says.

The engine is pure; this is its host. It turns events into replies, answers, runs,
participant settings and alerts, and chains flows (welcome, then the check-in's flow).
The stored `Conversation.session` is `{"engine": <the engine's session>, "host": {...}}`;
"host" keeps what the engine does not know: the run, its site and check-in, the proposal.
"""

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlmodel import Session

from api.channel import store
from api.channel.schemas import Reply, ReplyOption
from api.channel.store import ParticipantState
from api.models import Answer
from api.observability.metrics import FLOW_COMPLETIONS, FLOW_STARTS, SAFEGUARDING_ALERTS
from api.prompts.service import audio_url
from api.settings import Settings
from flows import Action, Ended, Input, Message, ResultSaved, Safeguarding, resume, start
from flows.loader import Library

WELCOME = "welcome"
HELP = "help"
FORGET = "forget"
CODESIGN = "codesign"
# Results of these flows are settings or navigation, kept on the participant, not feedback.
UNSTORED_FLOWS = frozenset({WELCOME, HELP, FORGET})
# A side trip that returns to the flow it interrupted; it gets no run of its own.
SIDE_FLOWS = frozenset({FORGET})


def prompt_audio_url(text: str, language: str) -> str | None:
    """Return the relative URL of the spoken `text`, or None when there is nothing to say."""
    return audio_url(text=text, language=language)


class Turn:
    """Handle one inbound message for one participant, inside the request's transaction."""

    def __init__(
        self,
        db: Session,
        *,
        settings: Settings,
        library: Library,
        participant: ParticipantState,
        conversation: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        self.db = db
        self.settings = settings
        self.library = library
        self.participant = participant
        self.had_conversation = conversation is not None
        self.now = now
        stored = conversation or {}
        self.engine: dict[str, Any] | None = stored.get("engine")
        self.host: dict[str, Any] = dict(stored.get("host") or {})
        self.replies: list[Reply] = []
        self.answers: list[dict[str, Any]] = []  # rows to insert at the end of the turn
        self.forget_requested = False

    # --- state ---------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """Return whether a flow is waiting for this person's answer."""
        return self.engine is not None and self.engine.get("status") == "waiting"

    @property
    def site_id(self) -> int | None:
        site = self.host.get("site_id")
        return site if isinstance(site, int) else None

    def say(self, text: str) -> None:
        """Add a reply of the API's own (no options)."""
        language = self.participant.language
        self.replies.append(
            Reply(text=text, audio_url=prompt_audio_url(text, language), language=language)
        )

    # --- starting and resuming -----------------------------------------------------------

    def start(
        self,
        flow_id: str,
        *,
        site_id: int | None = None,
        code: str | None = None,
        pending_code: str | None = None,
    ) -> None:
        """Start `flow_id` for this person, ending whatever flow was waiting."""
        if self.live:
            self.close_run("stopped")
        if site_id is None:
            site_id = self.participant.site_id  # answers belong to the person's last site
        params: dict[str, str] = {}
        if self.settings.org_name:
            params["org"] = self.settings.org_name
        self.host = {"site_id": site_id, "code": code, "pending_code": pending_code}
        if flow_id in (CODESIGN, HELP) and self.participant.consented:
            self.offer_proposal(params)
        self.open_run(flow_id)
        step = start(
            self.library,
            flow_id,
            language=self.participant.language,
            now=self.now,
            params=params,
            signposting=self.settings.signposting,
        )
        self.apply(step.events, step.session)

    def resume(self, given: Input) -> None:
        """Give the person's input to the waiting flow."""
        step = resume(
            self.library, self.engine, given, now=self.now, signposting=self.settings.signposting
        )
        self.apply(step.events, step.session)

    def offer_proposal(self, params: dict[str, str]) -> None:
        """Put the next open co-design proposal, if any, into the flow's params."""
        from api.proposals.service import next_proposal

        proposal = next_proposal(
            self.db, pseudonym=self.participant.pseudonym, site_id=self.participant.site_id
        )
        if proposal is not None:
            params["proposal"] = proposal.text
            self.host["proposal_id"] = proposal.id

    # --- runs ------------------------------------------------------------------------------

    def open_run(self, flow_id: str) -> None:
        code = self.host.get("code")
        self.host["run_id"] = store.insert_run(
            self.db,
            pseudonym=self.participant.pseudonym,
            flow=flow_id,
            site_id=self.site_id,
            checkin_code=code if isinstance(code, str) else None,
            language=self.participant.language,
            status="active",
            started_at=self.now,
        )
        self.host["flow"] = flow_id
        FLOW_STARTS.labels(flow_id).inc()

    def close_run(self, status: str) -> None:
        run_id = self.host.get("run_id")
        if isinstance(run_id, int):
            store.close_run(self.db, run_id, status, self.now)
            FLOW_COMPLETIONS.labels(str(self.host.get("flow")), status).inc()
        self.host["run_id"] = None

    def follow(self, flow_id: str) -> None:
        """Keep the run in step when the engine moved into another flow (a menu choice)."""
        if flow_id == self.host.get("flow") or flow_id in SIDE_FLOWS:
            return
        self.close_run("completed")
        self.host["code"] = None
        self.open_run(flow_id)

    # --- events ----------------------------------------------------------------------------

    def apply(self, events: list[Any], session: dict[str, Any]) -> None:
        """Act on the engine's events, in order, then keep its new session."""
        ended: list[Ended] = []
        for event in events:
            flow = getattr(event, "flow", None)
            if flow is not None and not isinstance(event, Ended):
                self.follow(flow)
            if isinstance(event, Message):
                self.replies.append(self.reply(event))
            elif isinstance(event, ResultSaved):
                self.save_answer(event)
            elif isinstance(event, Action):
                self.act(event)
            elif isinstance(event, Safeguarding):
                self.alert(event)
            elif isinstance(event, Ended):
                if event.flow == self.host.get("flow"):
                    self.close_run(event.reason)
                ended.append(event)
        self.engine = session
        if ended and not self.live and self.host.get("run_id") is not None:
            # The flow ended inside a side trip (deleting, from the menu): close its run too.
            self.close_run(ended[-1].reason)
        for event in ended:
            if event.flow == WELCOME:
                self.after_welcome(event.reason)

    def reply(self, message: Message) -> Reply:
        return Reply(
            text=message.text,
            options=[
                ReplyOption(key=option.key, emoji=option.emoji, label=option.label)
                for option in message.options
            ],
            audio_url=prompt_audio_url(message.text, message.language),
            language=message.language,
            question=message.question,
        )

    def save_answer(self, event: ResultSaved) -> None:
        if event.flow in UNSTORED_FLOWS:
            return
        from api.redaction import redact

        value: str | None = event.value or None
        typed = event.free_text or event.input == "text"
        if value is not None and typed:
            value = redact(value)
        number = None
        flow = self.library.get(event.flow)
        node = flow.nodes.get(event.node) if flow is not None else None
        if node is not None and node.ask is not None and node.ask.faces and value:
            number = int(value) if value.isdigit() else None
        proposal_id = self.host.get("proposal_id") if event.flow == CODESIGN else None
        self.answers.append(
            dict(
                run_id=self.host.get("run_id"),
                pseudonym=self.participant.pseudonym,
                site_id=self.site_id,
                flow=event.flow,
                question=event.node,
                result=event.name,
                category=event.category,
                value=value,
                number=number,
                free_text=event.free_text,
                language=self.participant.language,
                proposal_id=proposal_id if isinstance(proposal_id, int) else None,
                created_at=self.now,
            )
        )

    def act(self, action: Action) -> None:
        participant = self.participant
        yes = action.value == "yes"
        if action.name == "consent":
            participant.consented = yes
        elif action.name == "followups":
            participant.followups = yes
        elif action.name == "voice_prompts":
            participant.voice_prompts = yes
        elif action.name == "language" and 2 <= len(action.value) <= 8:
            participant.language = action.value
        elif action.name == "forget":
            self.forget_requested = True

    def alert(self, event: Safeguarding) -> None:
        from api.alerts.service import record_alert

        record_alert(self.db, site_id=self.site_id, category=event.category)
        SAFEGUARDING_ALERTS.labels(event.category).inc()

    def after_welcome(self, reason: str) -> None:
        """Go on after consent (to the check-in's flow, or the menu); keep nothing without it."""
        if reason != "completed" or not self.participant.consented:
            self.forget_requested = True
            return
        pending = self.host.get("pending_code")
        if isinstance(pending, str) and self.start_checkin(pending):
            return
        self.start(HELP)

    def start_checkin(self, code: str) -> bool:
        """Start the flow of check-in `code` at its site; return False when the code is spent."""
        from api.checkins.service import redeem

        checkin = redeem(self.db, code=code, now=self.now)
        if checkin is None or self.library.get(checkin.flow) is None:
            return False
        self.participant.site_id = checkin.site_id
        self.start(checkin.flow, site_id=checkin.site_id, code=checkin.code)
        return True

    # --- the end of the turn ---------------------------------------------------------------

    def save(self) -> None:
        """Store the conversation (or drop it when nothing waits) and the new answers."""
        if self.forget_requested:
            return
        store.save_participant(self.db, self.participant, self.now)
        store.save_conversation(
            self.db,
            self.participant.pseudonym,
            {"engine": self.engine, "host": self.host} if self.live else None,
            existed=self.had_conversation,
            run_id=self.host.get("run_id") if self.live else None,
            now=self.now,
        )
        texts = []
        for answer in self.answers:
            answer_id = store.insert_answer(self.db, **answer)
            if answer["free_text"] and answer["value"]:
                texts.append(SimpleNamespace(id=answer_id, **answer))
        if texts:
            from api.themes.service import tag_answers

            # tag_answers reads id, free_text, value and language: these stand in for rows.
            tag_answers(self.db, cast(Sequence[Answer], texts))
