"""Redaction of personal details from free text, on messages as people really type them."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.redaction import redact

# (message as typed, what must be stored)
MESSY = [
    # phones: UK mobiles and landlines, every way people write them
    ("ring me on 07700900123 or email jo.bloggs@gmail.com", "ring me on [phone] or email [email]"),
    ("text me 07700 900123", "text me [phone]"),
    ("my num is +44 7700 900123 call after 6", "my num is [phone] call after 6"),
    ("+447700900123", "[phone]"),
    ("+44 (0)7700 900 123 thanks", "[phone] thanks"),
    ("office (020) 7946 0958 never answers", "office [phone] never answers"),
    ("0161 496 0000 is the hostel", "[phone] is the hostel"),
    ("0044 7700 900123 is my mums", "[phone] is my mums"),
    ("07700-900-123", "[phone]"),
    ("07700.900.123 ring after 5", "[phone] ring after 5"),
    ("call 0 7 7 0 0 9 0 0 1 2 3 ok", "call [phone] ok"),
    ("mob:07700900123", "mob:[phone]"),
    ("tel. 01632 960001", "tel. [phone]"),
    ("RING ME 07700900123!!!", "RING ME [phone]!!!"),
    ("07700900123please call", "[phone]please call"),
    ("0770 090 0123 or 07700900456", "[phone] or [phone]"),
    ("my sister 07700 900 123, her bf 07700 900 456", "my sister [phone], her bf [phone]"),
    ("call me.07700900123", "call me.[phone]"),
    ("Bed 3, room 101. my mob 07700 900123 x", "Bed 3, room 101. my mob [phone] x"),
    ("07700–900–123 (auto dashes)", "[phone] (auto dashes)"),
    ("text 447700900123", "text [phone]"),
    ("(0121) 496-0000", "[phone]"),
    ("tel07700900123", "tel[phone]"),
    ("mob+447700900123 ta", "mob[phone] ta"),
    ("+ 44 7700 900123", "[phone]"),
    # phones: international
    ("moja mama +48 600 123 456", "moja mama [phone]"),
    ("nr 600-123-456 pls", "nr [phone] pls"),
    ("zadzwon 512 345 678", "zadzwon [phone]"),
    ("sunati-ma la +40 712 345 678", "sunati-ma la [phone]"),
    ("numarul meu 0712 345 678", "numarul meu [phone]"),
    ("US cousin +1 (555) 123-4567", "US cousin [phone]"),
    ("+353 87 123 4567 irish num", "[phone] irish num"),
    # emails
    ("email: JO.BLOGGS@GMAIL.COM", "email: [email]"),
    ("sarah.k_99@hotmail.co.uk is my sister", "[email] is my sister"),
    ("jo.bloggs @ gmail.com", "[email]"),
    ("jo(at)yahoo.com", "[email]"),
    ("contact@hostel.org.uk re complaint", "[email] re complaint"),
    # handles
    ("my worker is @sarah_k", "my worker is [handle]"),
    ("find me on insta @jo.bloggs99", "find me on insta [handle]"),
    ("@Sarah_K helped me loads", "[handle] helped me loads"),
    ("(@dave_outreach) was sound", "([handle]) was sound"),
    # links
    ("see bit.ly/3xYz9 for the form", "see [link] for the form"),
    ("www.mysite.co.uk", "[link]"),
    ("https://t.me/sarahk?start=abc", "[link]"),
    ("go to facebook.com/jo.bloggs", "go to [link]"),
    ("check heardsupport.org.", "check [link]."),
    ("wa.me/447700900123", "[link]"),
    ("(http://example.com/page?id=1&x=2)", "([link])"),
    ("my page HTTPS://Example.COM/Me, thanks", "my page [link], thanks"),
    # postcodes
    ("im at flat 2 M1 1AE", "im at flat 2 [postcode]"),
    ("postcode is sw1a1aa", "postcode is [postcode]"),
    ("E1 7AB", "[postcode]"),
    ("E17AB", "[postcode]"),
    ("lives at 12 Acacia Rd, B15 2TT", "lives at 12 Acacia Rd, [postcode]"),
    ("LS1 4DY near the station", "[postcode] near the station"),
    ("postcode m1 1ae flat 4", "postcode [postcode] flat 4"),
    ("come to B1 1AA or ring 0121 496 0000", "come to [postcode] or ring [phone]"),
    # National Insurance
    ("NI AB 12 34 56 C", "NI [ni]"),
    ("ni number ab123456c", "ni number [ni]"),
    ("NI AB-12-34-56-C", "NI [ni]"),
    ("my NI is JT 98 76 54 D and DOB 01/02/1980", "my NI is [ni] and DOB 01/02/1980"),
    ("NI JT987654 lost it", "NI [ni] lost it"),
    # cards (Luhn-valid)
    ("card 4539 1488 0343 6467 got took", "card [card] got took"),
    ("card no 4539-1488-0343-6467", "card no [card]"),
    ("5425233430109903 exp 04/26", "[card] exp 04/26"),
    ("amex 3714 496353 98431", "amex [card]"),
    ("4111111111111111", "[card]"),
    ("card 4539 1488 0343 6467 3 times", "card [card] 3 times"),
    ("card4539148803436467", "card[card]"),
    # several at once, and odd scripts around them
    (
        "Worker Dave 07700900123 @dave_outreach dave@council.gov.uk",
        "Worker Dave [phone] [handle] [email]",
    ),
    ("staff rude 😡 call me 07700900123 😡", "staff rude 😡 call me [phone] 😡"),
    ("هاتفي 07700900123", "هاتفي [phone]"),
    ("mój email to ania.kowalska@wp.pl", "mój email to [email]"),
    ("adresa mea: ion.popescu@yahoo.ro, mersi", "adresa mea: [email], mersi"),
    # hidden or unusual digits
    ("０７７００ ９００１２３", "[phone]"),
    ("0770\u200b0900\u200c123", "[phone]"),
    ("٠٧٧٠٠٩٠٠١٢٣", "[phone]"),
    ("jo\u200b@gmail.com", "[email]"),
    ("ｊｏ＠ｇｍａｉｌ．ｃｏｍ", "[email]"),
]

# Ordinary feedback that must come through untouched.
UNCHANGED = [
    "waited 3 hours",
    "£20 for a room",
    "£1,200 rent arrears",
    "£2.50 for tea",
    "took 2 days",
    "open 24/7 they said",
    "came at 10:30 and left 12:30-13:00",
    "on 12/03 the door was shut",
    "dob 12/03/1985",
    "it was 10.30 at night",
    "open 9-5 mon-fri, 9am-5pm",
    "room 101",
    "im 45",
    "from 2019 to 2023",
    "5/5 would recommend",
    "4 out of 5 stars",
    "top 10",
    "the A1 road and the M1",
    "the 147 bus",
    "after covid19 it changed",
    "it was there.to see him",
    "meet @5pm",
    "meet @ 10:30",
    "e.g. food, i.e. the staff",
    "1st 2nd 3rd time",
    "100% better",
    "ring 999",
    "call 111 or 999",
    "Samaritans 116 123",
    "0.5mg of it",
    "ok.so i went back",
    "version 2.0",
    "A&E all night",
    "20 mins",
    "1 2 3 4",
    "he/she 50/50",
    "07:00 breakfast",
    "1-2-1 support 4x a week",
    "👍",
    "😡😡😡",
    "👨\u200d👩\u200d👧 family room",
    "Było dobrze, dziękuję",
    "Mulțumesc, a fost bine",
    "שלום",
    "الطعام كان جيد",
    "",
    "   ",
    "[phone] [email] [postcode] [ni] [card] [link] [handle]",
    "4539 1488 0343 6468",
    "score 3 out of 10 at 7.45",
    "'; DROP TABLE answer; --",
    "<script>alert(1)</script>",
    "no.info about it",
    "a safety net",
    "me@home all day",
    "lol @ staff",
    "i was there from 2pm till 10pm",
    "bus 38 then 73",
    "homeless 5 years, 3 months",
    "my room is 4B",
    "in 2024 2025 2026",
    "3-4 times",
]


@pytest.mark.parametrize(("message", "expected"), MESSY)
def test_messy_message_is_redacted(message: str, expected: str) -> None:
    assert redact(message) == expected


@pytest.mark.parametrize("message", UNCHANGED)
def test_ordinary_text_is_left_alone(message: str) -> None:
    assert redact(message) == message


@pytest.mark.parametrize(("message", "expected"), MESSY)
def test_redacting_twice_is_redacting_once(message: str, expected: str) -> None:
    assert redact(redact(message)) == expected


def test_long_number_failing_luhn_is_not_called_a_card() -> None:
    assert redact("ref 4539148803436468") == "ref [phone]"
    assert "[card]" not in redact("ref 4539 1488 0343 6468")


def test_hostile_inputs_finish() -> None:
    for text in ("a." * 2048, "0 " * 2048, "@" * 4096, "0" * 4096, "a@" * 2048, "\ud800x"):
        assert isinstance(redact(text), str)


def test_control_characters_and_lone_surrogates_are_dropped() -> None:
    assert redact("a\x00b\ud800c\n\td 0770\x0090\x000123") == "abc\n\td [phone]"


def test_non_text_input_gives_empty_text() -> None:
    assert redact(None) == ""  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_redacts_without_error_and_idempotently(text: str) -> None:
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


_UK_MOBILE = st.from_regex(r"07[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}", fullmatch=True)
_WORDS = st.sampled_from(["call", "me", "on", "pls", "x", "ok", "ring", "😊", "mum", "?"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=4), _UK_MOBILE, st.lists(_WORDS, max_size=4))
def test_a_uk_mobile_anywhere_leaves_no_digits_of_it(
    before: list[str], phone: str, after: list[str]
) -> None:
    out = redact(" ".join([*before, phone, *after]))
    assert "[phone]" in out
    assert not re.search(r"[0-9]", out)


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"[a-z][a-z0-9._]{0,15}[a-z0-9]", fullmatch=True),
    st.sampled_from(["gmail.com", "hotmail.co.uk", "wp.pl", "yahoo.ro", "nhs.net"]),
)
def test_any_email_becomes_a_placeholder(local: str, domain: str) -> None:
    out = redact(f"email {local}@{domain} thanks")
    assert out == "email [email] thanks"


# Texts made of the characters personal details are built from, so the properties are
# tested where the patterns overlap, not only on random Unicode.
_DENSE = st.text(alphabet="0123456789 +-().@/:_abcdeAMNSW\u200b０", max_size=80)


@settings(max_examples=1500, deadline=None)
@given(_DENSE)
def test_dense_text_redacts_without_error_and_idempotently(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=500, deadline=None)
@given(_DENSE)
def test_no_long_digit_run_survives(text: str) -> None:
    # Any ten digits in a row are a phone, card or account number.
    assert not re.search(r"[0-9]{10}", redact(text))
