"""Spot crisis words in anything a person types, in English, Polish and Romanian.

Choices, to keep false alarms low without missing plain cries for help:
- Patterns match phrases, not single words: "die", "dead", "kill" and "hit me" alone do not
  trigger ("I'd die for a coffee", "the staff killed it", "it hit me that..."), but
  "want to die", "kill myself" and "he hits me" do.
- Talk about an overdose ("my mate overdosed") does trigger: it may be an emergency now.
- Text is folded first (case, accents, punctuation, zero-width characters, "sooo" -> "soo"),
  and common misspellings are spelt out ("suicidle", "myslef", "od'd").
- Every language's lexicon is checked whatever the chat's language, since people mix them.
"""

from __future__ import annotations

import re

from flows.events import ConcernCategory
from flows.understanding import normalise

_ME = r"(?:my ?self|myslef|mysef|meself|me self)"
_PERSON = (
    r"(?:he|she|they|partner|boyfriend|girlfriend|husband|wife|dad|mum|mom|father|mother|"
    r"someone|somebody|staff|guy|man|bloke|ex)"
)

_LEXICON: dict[ConcernCategory, tuple[str, ...]] = {
    "unresponsive": (
        r"(?:won'?t|will not|can'?t|cannot|can not|isn'?t|is not|not) wak(?:e|ing)"
        r"(?: (?:him|her|them|up))",
        r"(?:not|isn'?t|stopped|no longer|ain'?t) breathing",
        r"unconscious",
        r"unresponsive",
        r"(?:turned|gone|going|lips are) blue",
        r"nie oddycha",
        r"nie (?:moge|mozemy) (?:go|jej|ich) obudzic",
        r"nie budzi sie",
        r"nieprzytomn\w*",
        r"nu (?:mai )?respira",
        r"nu (?:se )?(?:mai )?trezeste",
        r"inconstient\w*",
    ),
    "overdose": (
        r"over ?dos(?:e|ed|es|ing)",
        r"od'e?d",
        r"oded",
        r"od'ing",
        r"(?:took|taken|take|taking|swallowed|had) (?:too many|loads of|a lot of|all my|all the)"
        r" (?:pills|tablets|meds|methadone)",
        r"przedawkow\w*",
        r"za duzo (?:tabletek|pigulek|lekow)",
        r"supradoz\w*",
        r"prea multe (?:pastile|pilule|medicamente)",
    ),
    "suicide": (
        rf"kill+(?:ing)? ?{_ME}",
        r"(?:end|ending|finish) (?:it all|my life)",
        r"(?:want|wanna|wanting|wish i could|ready) (?:to )?die",
        r"wish i (?:was|were) dead",
        r"better off dead",
        r"su[ie]?[cs]i?d(?:e|al|le|el)?",
        r"(?:take|taking|took) my (?:own )?life",
        r"(?:don'?t|do not) want to (?:live|be alive|be here anymore|wake up)",
        r"no (?:reason|point) (?:to live|in living)",
        rf"hang(?:ing)? {_ME}",
        r"zabi(?:c|je|ja) sie",
        r"(?:chce|chcialbym|chcialabym) sie zabic",
        r"odebrac sobie zycie",
        r"chce umrzec",
        r"nie chce (?:juz )?zyc",
        r"samoboj\w*",
        r"(?:sa )?ma (?:omor|sinucid)",
        r"sinucid\w*",
        r"vreau sa mor",
        r"nu mai vreau sa (?:traiesc|fiu)",
        r"(?:sa mi|imi) iau viata",
    ),
    "self_harm": (
        rf"(?:cut|cutting|cuting|hurt|hurting|harm|harming|burn|burning) ?{_ME}",
        r"self ?harm(?:ing)?",
        r"tne sie",
        r"pocia(?:c|lem|lam) sie",
        r"samookalecz\w*",
        r"okaleczam sie",
        r"(?:robie|zrobic|zrobie) sobie krzywde",
        r"ma tai",
        r"ma ranesc",
        r"automutil\w*",
        r"imi fac rau",
    ),
    "violence": (
        rf"{_PERSON}(?: keeps| kept| has| have| always)? (?:hit|hits|hitting|beat|beats|beating|"
        r"punch(?:es|ed)?|kick(?:s|ed)?|slap(?:s|ped)?|chok(?:e|es|ed)|strangl(?:e|es|ed)|"
        r"hurt|hurts|attack(?:s|ed)?|stab(?:s|bed)?) me",
        r"(?:punched|kicked|slapped|choked|strangled|attacked|stabbed|threatened|threatening|"
        r"threatens) me",
        r"beat me up",
        r"beaten up",
        r"(?:got|was|been|get|getting) beaten",
        r"stabbed",
        r"(?:going to|gonna|will|wants to|want to|said he would|said she would|threatened to)"
        r" kill me",
        r"(?:bije|pobil|pobila|pobili|uderzyl|uderzyla|kopie|kopal|dusi|dusil) mnie",
        r"mnie (?:bije|bil|bila|pobil|pobila|uderzyl|uderzyla|kopie|dusi|dusil)",
        r"grozi(?:l|la|li)? mi",
        r"zabije mnie",
        r"pobit[ya]",
        r"ma (?:bate|loveste|ameninta|omoara)",
        r"m a (?:batut|lovit|amenintat|atacat|injunghiat)",
    ),
    "abuse": (
        r"rape[ds]?",
        r"raping",
        r"sexual(?:ly)? (?:assault(?:ed)?|abuse[ds]?)",
        r"(?:abuse[sd]?|abusing|molest(?:ed|s|ing)?) me",
        r"molested",
        r"(?:made|forced|forces|makes) me (?:to )?have sex",
        r"zgwalc\w*",
        r"molestow\w*",
        r"wykorzystal[a]? mnie",
        r"m a violat",
        r"violat[a]?",
        r"viol",
        r"abuzat\w*",
        r"agresat[a]? sexual",
        r"agresiune sexuala",
    ),
}

_PATTERN = re.compile(
    "|".join(
        rf"(?P<{category}>\b(?:{'|'.join(patterns)})\b)" for category, patterns in _LEXICON.items()
    )
)


def concern_in(text: str, *, norm: str | None = None) -> ConcernCategory | None:
    """Return the crisis category `text` suggests, or None; `norm` skips normalising again."""
    folded = normalise(text) if norm is None else norm
    match = _PATTERN.search(folded)
    if match is None:
        return None
    category: ConcernCategory = match.lastgroup  # type: ignore[assignment]
    return category
