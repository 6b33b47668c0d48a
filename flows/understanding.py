"""Understand a typed answer: tolerant of case, punctuation, misspelling, numbers and emoji."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Invisible characters people paste or phones insert: zero-width, bidi marks, soft hyphen.
    for cp in (0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x200E, 0x200F):
        table[cp] = None
    for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[cp] = None
    # Emoji decoration: variation selectors, keycap, skin tones, tags. "👍🏽" means "👍".
    for cp in (*range(0xFE00, 0xFE10), 0x20E3, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)):
        table[cp] = None
    for cp in range(0xE0100, 0xE01F0):
        table[cp] = None
    for cp in range(0x80, 0x10000):
        if cp in table:
            continue
        char = chr(cp)
        category = unicodedata.category(char)
        if category[0] == "P" or category in ("Sm", "Sc", "Sk", "Zs", "Cc"):
            table[cp] = " "
        elif category[0] == "L" and (cp < 0x250 or 0x1E00 <= cp < 0x1F00):
            # Phones without a Polish or Romanian keyboard drop accents: fold them away.
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            if base != char and base:
                table[cp] = base
    for char in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\x0b\x0c':
        table[ord(char)] = " "
    for char in "’‘ʼ`´":
        table[ord(char)] = "'"
    table[ord("'")] = "'"
    table[ord("ł")] = "l"
    table[ord("Ł")] = "l"
    table[ord("đ")] = "d"
    table[ord("ø")] = "o"
    return table


_TABLE = _build_table()
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")


def normalise(text: str) -> str:
    """Return `text` folded for matching: NFKC, casefold, no accents, punctuation or decoration."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    # Quotes only matter inside words ("don't"); a stray quote is punctuation.
    folded = " ".join(word for word in (w.strip("'") for w in folded.split()) if word)
    if len(folded) > 2 and _REPEATS.search(folded):
        folded = _REPEATS.sub(r"\1\1", folded)
    return folded


# Words that mean the same as an option with this key, per language.
_KEY_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "yes": {
        "en": (
            "yes",
            "y",
            "ya",
            "yah",
            "yeah",
            "yea",
            "yep",
            "yup",
            "ye",
            "yh",
            "yes please",
            "ok",
            "okay",
            "k",
            "kk",
            "sure",
            "aye",
            "of course",
            "course",
            "go on",
            "alright",
        ),
        "pl": ("tak", "jasne", "pewnie", "oczywiscie", "dobrze", "ok", "okej", "tak prosze"),
        "ro": ("da", "sigur", "desigur", "bine", "ok", "da te rog"),
    },
    "no": {
        "en": (
            "no",
            "n",
            "nah",
            "nope",
            "naw",
            "no thanks",
            "no thank you",
            "not now",
            "never",
            "no way",
        ),
        "pl": ("nie", "nie dziekuje", "nie teraz", "nigdy"),
        "ro": ("nu", "nu multumesc", "nu acum", "niciodata"),
    },
    "not_sure": {
        "en": ("not sure", "unsure", "maybe", "dunno", "dont know", "don't know", "idk", "perhaps"),
        "pl": ("nie wiem", "moze", "nie jestem pewien", "nie jestem pewna"),
        "ro": ("nu stiu", "poate", "nu sunt sigur", "nu sunt sigura"),
    },
    "awful": {
        "en": ("awful", "terrible", "very bad", "really bad", "horrible", "shit", "crap"),
        "pl": ("okropnie", "bardzo zle", "fatalnie", "tragicznie"),
        "ro": ("groaznic", "foarte rau", "oribil"),
    },
    "bad": {
        "en": ("bad", "not good", "not great", "poor", "rough", "sad"),
        "pl": ("zle", "slabo", "kiepsko"),
        "ro": ("rau", "prost", "nu prea bine"),
    },
    "ok": {
        "en": ("ok", "okay", "meh", "so so", "alright", "fine", "not bad", "average"),
        "pl": ("tak sobie", "srednio", "ok", "okej", "moze byc"),
        "ro": ("asa si asa", "ok", "acceptabil", "merge"),
    },
    "good": {
        "en": ("good", "well", "happy", "pretty good", "gd", "nice"),
        "pl": ("dobrze", "fajnie", "niezle"),
        "ro": ("bine", "fain"),
    },
    "great": {
        "en": (
            "great",
            "very good",
            "really good",
            "brilliant",
            "amazing",
            "excellent",
            "gr8",
            "perfect",
            "fantastic",
        ),
        "pl": ("super", "swietnie", "bardzo dobrze", "rewelacja"),
        "ro": ("super", "excelent", "foarte bine", "grozav"),
    },
    "en": {"en": ("english", "eng"), "pl": ("angielski",), "ro": ("engleza",)},
    "pl": {"en": ("polish",), "pl": ("polski", "polska", "po polsku"), "ro": ("poloneza",)},
    "ro": {"en": ("romanian",), "pl": ("rumunski",), "ro": ("romana", "romaneste")},
}

_KEY_EMOJI: dict[str, tuple[str, ...]] = {
    "yes": ("👍", "✅", "✔", "☑", "👌"),
    "no": ("👎", "❌", "✖", "🚫", "❎"),
    "not_sure": ("🤷", "🤔", "❓", "❔"),
    "awful": ("😞", "😢", "😭", "😫", "😩", "😡", "☹", "💔"),
    "bad": ("😕", "🙁", "😟", "😔", "😒"),
    "ok": ("😐", "😶", "🤷"),
    "good": ("🙂", "😊", "👍"),
    "great": ("😄", "😀", "😁", "😃", "🤩", "😍", "❤", "🥳"),
}

# On a three-face scale the outer words fold into the nearest face.
_FOLD_THREE = {"awful": "bad", "great": "good"}

# "no" in Polish is everyday speech for "yeah", so in a Polish chat it could mean either.
# We never guess on consent: in Polish it is not understood and the question is asked again.
_AMBIGUOUS: dict[str, frozenset[str]] = {"pl": frozenset({"no"})}

_NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("one", "two", "three", "four", "five"),
    "pl": ("jeden", "dwa", "trzy", "cztery", "piec"),
    "ro": ("unu", "doi", "trei", "patru", "cinci"),
}

_AMBIGUOUS_MARK = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """An option as understanding sees it: key, emoji, labels and extra words by language."""

    key: str
    emoji: str
    labels: Mapping[str, str]
    words: Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Answer:
    """An understood answer: the option key and how the person gave it."""

    key: str
    input: str  # "choice", "number", "text" or "emoji"


class Matcher:
    """Map what a person typed to one option, precompiled for one question and language."""

    __slots__ = ("_exact", "_fuzzy", "_fuzzy_keys", "keys")

    def __init__(self, choices: Sequence[Choice], language: str, languages: Iterable[str]) -> None:
        keys = tuple(choice.key for choice in choices)
        self.keys = frozenset(keys)
        scale_three = len(choices) == 3 and set(keys) == {"bad", "ok", "good"}
        every = dict.fromkeys([*languages, "en", "pl", "ro"])
        others = [lang for lang in every if lang != language]
        # Later layers win: other languages' words, then this language's, then numbers and emoji.
        layers = [
            self._words(choices, others, scale_three),
            self._words(choices, [language], scale_three),
        ]
        symbols: dict[str, tuple[str, str]] = {}
        for index, choice in enumerate(choices, start=1):
            _add(symbols, str(index), choice.key, "number")
            for words in _NUMBER_WORDS.values():
                if index <= len(words):
                    _add(symbols, words[index - 1], choice.key, "number")
            emojis = [choice.emoji, *_KEY_EMOJI.get(choice.key, ())]
            if scale_three:
                for wide, narrow in _FOLD_THREE.items():
                    if narrow == choice.key:
                        emojis.extend(_KEY_EMOJI[wide])
            for emoji in emojis:
                _add(symbols, normalise(emoji), choice.key, "emoji")
        layers.append(symbols)
        exact: dict[str, tuple[str, str]] = {}
        for layer in layers:
            exact.update(layer)
        for word in _AMBIGUOUS.get(language, ()):
            if word in exact and exact[word][1] == "text":
                exact[word] = (_AMBIGUOUS_MARK, "text")
        self._exact = exact
        fuzzy = [
            form
            for form, (key, kind) in exact.items()
            if kind == "text" and key and len(form) >= 2 and not form.isdigit()
        ]
        self._fuzzy = tuple(fuzzy)
        self._fuzzy_keys = tuple(exact[form][0] for form in fuzzy)

    @staticmethod
    def _words(
        choices: Sequence[Choice], languages: Sequence[str], scale_three: bool
    ) -> dict[str, tuple[str, str]]:
        layer: dict[str, tuple[str, str]] = {}
        for choice in choices:
            sources = [choice.key]
            if scale_three:
                sources += [wide for wide, narrow in _FOLD_THREE.items() if narrow == choice.key]
            for language in languages:
                words: list[str] = []
                label = choice.labels.get(language)
                if label:
                    words.append(label)
                words.extend(choice.words.get(language, ()))
                for source in sources:
                    words.extend(_KEY_WORDS.get(source, {}).get(language, ()))
                for word in words:
                    _add(layer, normalise(word), choice.key, "text")
        return layer

    def match(self, norm: str) -> Answer | None:
        """Return the option `norm` (an already normalised text) means, or None."""
        hit = self._exact.get(norm)
        if hit is not None:
            return Answer(hit[0], hit[1]) if hit[0] else None
        if not norm:
            return None
        if not any(char.isalnum() for char in norm):
            return self._match_emoji(norm)
        if 2 <= len(norm) <= 24:
            return self._match_fuzzy(norm)
        return None

    def _match_emoji(self, norm: str) -> Answer | None:
        # Emoji-only text such as "🙂🙂" or "👍 👍": fine if every emoji points the same way.
        keys = set()
        for char in norm.replace(" ", ""):
            hit = self._exact.get(char)
            if hit is None or not hit[0]:
                return None
            keys.add(hit[0])
        return Answer(keys.pop(), "emoji") if len(keys) == 1 else None

    def _match_fuzzy(self, norm: str) -> Answer | None:
        best: dict[str, int] = {}
        for form, distance, index in process.extract(
            norm, self._fuzzy, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            # One slip is fine; two only for longer words that start with the same letter
            # ("gud" is good, but "bed" is not good).
            if distance == 2 and (len(form) < 4 or len(norm) < 3 or form[0] != norm[0]):
                continue
            if distance == 1 and min(len(form), len(norm)) < 2:
                continue
            key = self._fuzzy_keys[index]
            best[key] = min(distance, best.get(key, sys.maxsize))
        if not best:
            return None
        lowest = min(best.values())
        winners = [key for key, distance in best.items() if distance == lowest]
        return Answer(winners[0], "text") if len(winners) == 1 else None


def _add(layer: dict[str, tuple[str, str]], form: str, key: str, kind: str) -> None:
    if not form:
        return
    existing = layer.get(form)
    if existing is None or existing[0] == key:
        layer[form] = (key, kind)
    else:
        layer[form] = (_AMBIGUOUS_MARK, kind)
