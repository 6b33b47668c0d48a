"""Replace personal details in free text with placeholders before it is stored.

People type contact details, addresses and account numbers into feedback without meaning
to. `redact` swaps each for a placeholder such as ``[phone]`` so that nothing stored can
identify or reach them. It errs towards redacting: a false positive costs a few words of
feedback, a false negative can put someone at risk.
"""

import re
import sys
import unicodedata

PHONE = "[phone]"
EMAIL = "[email]"
POSTCODE = "[postcode]"
NI = "[ni]"
CARD = "[card]"
LINK = "[link]"
HANDLE = "[handle]"

# Invisible characters people (or copy-paste) leave inside numbers; removed when they touch
# ASCII so "0770\u200b0900123" is still seen as a phone number. Between two non-ASCII
# characters they are meaningful (emoji ZWJ sequences, Persian ZWNJ) and kept.
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_RE = re.compile(f"(?<=[!-~])[{_INVISIBLE}]+|[{_INVISIBLE}]+(?=[!-~])")

# Control characters (bar tab and newlines) and lone surrogates mean nothing in feedback,
# and PostgreSQL refuses NUL in text: drop them.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

# Every Unicode decimal digit (Arabic-Indic, Devanagari, ...) maps to its ASCII digit.
_DIGITS = {
    cp: str(unicodedata.digit(chr(cp)))
    for cp in range(128, sys.maxunicode + 1)
    if unicodedata.category(chr(cp)) == "Nd"
}

# Cheap checks that let most texts skip most patterns.
_HAS_DIGIT = re.compile(r"[0-9]")
_HAS_LINKISH = re.compile(r"[./@]")
_EMAILISH = re.compile(r"@|[(\[]at[)\]]", re.IGNORECASE)
_URLISH = re.compile(r"://|[a-z0-9-]\.[a-z]", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"[^0-9]")

_URL_END = r"[^\s<>\"'.,!?;:)\]}]"
_URL_BODY = r"[^\s<>\"']*"

# Top-level domains safe to treat as links even with no path: they rarely follow a word
# when someone skips the space after a full stop ("it was there.to see" must stay).
_COMMON_TLDS = "com|org|net|uk|io|xyz|gov|edu"
# Riskier ones count only with a path, as in "t.me/name" or "wa.me/447...".
_PATH_TLDS = (
    f"{_COMMON_TLDS}|ly|info|biz|ie|me|co|be|to|gg|gl|app|link|pl|ro|eu|de|fr|tv|ws|page|site|ru"
)

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.%+-]+\s?(?:@|\(at\)|\[at\])\s?"
    r"(?:[a-z0-9-]+\.)+[a-z]{2,24}\b",
    re.IGNORECASE,
)
_URL_RE = re.compile(
    rf"\b(?:https?|ftp)://{_URL_BODY}{_URL_END}"
    rf"|\bwww\.{_URL_BODY}{_URL_END}"
    rf"|(?<![\w@.-])(?:{_LABEL}\.)+(?:{_PATH_TLDS})/{_URL_BODY}{_URL_END}"
    rf"|(?<![\w@.-])(?:{_LABEL}\.)+(?:{_COMMON_TLDS})\b(?![.-]?\w)",
    re.IGNORECASE,
)
# "@5pm" and "@ 10:30" are times, not handles.
_HANDLE_RE = re.compile(
    r"(?<![\w@.])@(?![0-9]{1,2}(?:[:.][0-9]{2})?\s?(?:am|pm)?\b)"
    r"[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?",
    re.IGNORECASE,
)

# Cards are 13-19 digits starting 2-6 (Visa, Mastercard, Amex, Maestro, Discover); a
# Luhn check tells them from other long numbers.
_DASH = "\\-\u2010-\u2015\u2212"  # hyphen, the dashes phones auto-correct to, minus
_CARD_RE = re.compile(rf"(?<![0-9+])[2-6](?:[ {_DASH}]?[0-9]){{12,18}}(?![0-9])")

# National Insurance: two letters, six digits, a letter A-D, spaced or not. Without the
# final letter only the valid prefixes count (never D, F, I, Q, U or V first; never D, F,
# I, O, Q, U or V second), so "is123456" stays.
_NI_RE = re.compile(
    r"\b[A-Z]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}[ -]?[A-D]\b"
    r"|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}\b",
    re.IGNORECASE,
)

_SEP = rf"[ \t\u00a0.(){_DASH}]{{0,3}}"
# Not straight after "10:" or "12/" or "3.", so times, dates and decimals stay whole. A
# letter may come first: "tel07700900123" is a phone number typed in a hurry.
_PHONE_START = r"(?<![0-9+])(?<![0-9][.:/])"
_PHONE_END = r"(?![0-9])(?![:/][0-9])"
_PL_MOBILE = r"(?:45|5[0137]|6[0-9]|7[2389]|88)[0-9]"
_PHONE_RE = re.compile(
    # International: +44 7700 900123, 0044 7700 900123, +48 600 123 456, +1 (555) 123-4567.
    rf"{_PHONE_START}(?:\+|00)\s?[1-9](?:{_SEP}[0-9]){{6,14}}{_PHONE_END}"
    # UK national: 07700 900123, (020) 7946 0958, 0161-496-0000.
    rf"|{_PHONE_START}\(?0{_SEP}[1-9](?:{_SEP}[0-9]){{8,9}}{_PHONE_END}"
    # Polish mobiles as written at home: 600 123 456, 512-345-678.
    rf"|{_PHONE_START}{_PL_MOBILE}([ -]?)[0-9]{{3}}\1[0-9]{{3}}{_PHONE_END}"
    # Any other unbroken run of ten or more digits: a phone or an account number.
    r"|(?<![0-9])[0-9]{10,}(?![0-9])"
)

# Full UK postcodes: "SW1A 1AA", "m1 1ae", "E17AB". Outward codes alone ("M1") are left:
# they are also roads and rarely identify anyone.
_POSTCODE_RE = re.compile(
    r"\b(?:[A-PR-UWYZ][A-HK-Y]?[0-9][A-HJKPSTUW0-9]?|GIR)\s?[0-9][ABD-HJLNP-UW-Z]{2}\b",
    re.IGNORECASE,
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    found = match.group(0)
    # The pattern is greedy: "4539 1488 0343 6467 3 times" takes the 3 too. Try the
    # longest run of whole groups that passes Luhn, and keep what follows it.
    ends = [i + 1 for i, ch in enumerate(found) if ch.isdigit()]
    for count in range(len(ends), 12, -1):
        end = ends[count - 1]
        if end < len(found) and found[end].isdigit():
            continue  # would split a group of digits
        if _luhn_ok(_NOT_DIGIT.sub("", found[:end])):
            return CARD + found[end:]
    return found


def _normalise(text: str) -> str:
    if _UNSTORABLE.search(text):
        text = _UNSTORABLE.sub("", text)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    return text.translate(_DIGITS)


def _redact_once(text: str) -> str:
    # Each pattern runs only when the text has what it needs: most feedback has a full
    # stop or a number, few have a link, and the link pattern is the slowest.
    if _EMAILISH.search(text):
        text = _EMAIL_RE.sub(EMAIL, text)
    if _URLISH.search(text):
        text = _URL_RE.sub(LINK, text)
    if "@" in text:
        text = _HANDLE_RE.sub(HANDLE, text)
    if _HAS_DIGIT.search(text):
        text = _CARD_RE.sub(_card, text)
        text = _NI_RE.sub(NI, text)
        text = _PHONE_RE.sub(PHONE, text)
        text = _POSTCODE_RE.sub(POSTCODE, text)
    return text


def redact(text: str) -> str:
    """Return `text` with contact details, ids, card numbers, links and handles replaced."""
    if not isinstance(text, str):
        return ""
    text = _normalise(text)
    if not (_HAS_DIGIT.search(text) or _HAS_LINKISH.search(text)):
        return text
    # Redacting can join what was apart; repeat until nothing changes so that
    # redact(redact(x)) == redact(x).
    for _ in range(4):
        redacted = _redact_once(text)
        if redacted == text:
            break
        text = redacted
    return text
