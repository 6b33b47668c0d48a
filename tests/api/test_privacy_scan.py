"""After sessions full of personal details, no planted detail is anywhere in the database."""

import base64

from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from privacy_scan import rows_mentioning, scan_database
from sqlalchemy.engine import Engine

from api.db import session_scope
from api.models import Checkin, Site

# (what a person might type, the detail that must not be stored)
PLANTED = [
    ("ring me on 07700 900982 after 5", "900982"),
    ("my number is +44 7700 900 471 ok", "900 471"),
    ("call 0161 496 0753 thats the hostel", "496 0753"),
    ("email me at dan.price82@example.co.uk", "dan.price82"),
    ("DANPRICE@EXAMPLE.ORG is my mail", "DANPRICE@"),
    ("I live at 14 Elm Road, M13 9PL", "M13 9PL"),
    ("postcode sw1a1aa please", "sw1a1aa"),
    ("my NI is QQ 12 34 56 C", "QQ 12 34 56"),
    ("ni number AB123456D", "AB123456D"),
    ("card 4539 1488 0343 6467 got nicked", "0343 6467"),
    ("see https://facebook.com/dan.price.777 for pics", "dan.price.777"),
    ("www.example.org/my-page has it", "example.org/my-page"),
    ("message @danny_p82 on insta", "danny_p82"),
]


def _session_full_of_details(client: TestClient, code: str) -> Chat:
    person = Chat(client)
    person.consent(checkin_code=code, followups=True)
    client.post(
        f"/v1/channel/participants/{person.pseudonym}/address",
        json={"channel": "telegram", "sealed": base64.b64encode(b"opaque").decode()},
        headers=bearer(CHANNEL_TOKEN),
    )
    person.send(choice="bad")
    person.send(text=PLANTED[0][0] + ". " + PLANTED[3][0])
    person.send(text=PLANTED[5][0] + " and " + PLANTED[7][0])
    person.send(choice="yes")
    person.send(text=" / ".join(text for text, _ in PLANTED))
    # A second pass through the menu's feedback flow, every free text a planted detail.
    person.send(text="help")
    person.send(choice="feedback")
    for text, _ in PLANTED:
        if person.last["ended"]:
            break
        if person.options:
            person.send(choice=person.options[0])
        else:
            person.send(text=text)
    return person


def test_no_planted_detail_is_stored(client: TestClient, engine: Engine) -> None:
    with session_scope(engine) as session:
        site = Site(name="Riverside")
        session.add(site)
        session.flush()
        session.add(Checkin(code="privacy-code", site_id=site.id or 0, flow="checkin"))
    people = [_session_full_of_details(client, "privacy-code") for _ in range(2)]
    dump = scan_database(engine)
    assert "Riverside" in dump and people[0].pseudonym in dump  # the scan sees stored rows
    assert "[phone]" in dump or "[email]" in dump  # the answers were kept, redacted
    leaked = [detail for _, detail in PLANTED if detail.lower() in dump.lower()]
    assert leaked == []


def test_forgetting_leaves_nothing_of_them(client: TestClient, engine: Engine) -> None:
    with session_scope(engine) as session:
        site = Site(name="Riverside")
        session.add(site)
        session.flush()
        session.add(Checkin(code="forget-code", site_id=site.id or 0, flow="checkin"))
    person = _session_full_of_details(client, "forget-code")
    before = rows_mentioning(engine, person.pseudonym)
    assert {line.split(":")[0] for line in before} >= {
        "participant", "answer", "run", "inbound_message", "sealed_address",
    }  # fmt: skip
    person.send(command="forget")
    person.send(choice="yes")
    assert rows_mentioning(engine, person.pseudonym) == []
    assert "[phone]" not in scan_database(engine)
