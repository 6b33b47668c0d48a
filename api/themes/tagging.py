"""Tag short free-text answers with the codebook themes they mention.

Pure and fast: a `Tagger` compiles a codebook once into token indexes, then tags each
text with a handful of dictionary lookups per word. It never logs text.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from api.themes.codebook import Codebook

# Characters folded before matching. NFKD splits most accented letters into a base
# letter and a combining mark (dropped below); these few do not decompose.
_FOLD: dict[int, str | None] = {ord(a): b for a, b in zip("łŁøØđĐı", "llooddi", strict=True)}
_FOLD.update({ord("ß"): "ss", ord("æ"): "ae", ord("Æ"): "ae"})
# Apostrophes vanish so "didn't" and "didnt" are one word.
_FOLD.update({ord(c): None for c in "'’‘`ʼ"})
# Money is a theme, and "£5" should say so once the symbol is gone.
_FOLD.update({ord("£"): " gbp ", ord("€"): " eur "})
_FOLD.update(dict.fromkeys(range(0x0300, 0x0370)))  # combining marks
# Invisible format characters (zero-width, bidi controls, soft hyphen) can split words.
_INVISIBLE = (0x00AD, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F))
_FOLD.update(dict.fromkeys((*_INVISIBLE, *range(0x2060, 0x206A))))
_ASCII_FOLD = str.maketrans("", "", "'`")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_DOUBLE = re.compile(r"([^\W\d_])\1")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "soooo" -> "soo", "stafff" -> "staff"

STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words("""
        a about after again all also am an and any are as at be been being but by can cant
        could did didnt do does doesnt doing dont for from get gets got had has have he her
        here him his how i if im in into is isnt it its ive just me more most my no not now
        of off on once only or other our out over really said same say says she should so
        some still such than that thats the their them then there these they theyre this
        those to too u ur up us very was wasnt we were what when where which while who why
        will with would wont you your youre yeah yes ok okay lol pls please thanks thank
        ppl r n im id ill hes shes weve theyve dunno gonna wanna go going come came
        """),
    "pl": _words("""
        a aby albo ale bardzo bez bo by byc byl byla bylo co czy dla do gdy go i ich ile
        im jak jakby jako jej jest jestem jeszcze juz ktore ktory mi mnie moj moje mam ma
        mamy na nam nas nawet nic nie niech nim no o od oni po pod przez przy sa sie ta tak
        tam te tego ten to tu tylko ty tych u w we wiec wszystko z za ze zeby
        """),
    "ro": _words("""
        a acest aceasta acolo adica ai al ale am ar are as asa au avem ca cand care ce cu
        cum da daca de deja din dupa e ea el ei este eu fi fie foarte in inca iar il isi la
        le li lui m ma mai mi ne nici noi nu o ori pe pentru prea sa se si sunt tot toti
        un una unde v va voi bine rau
        """),
}

# Common words that sit one edit away from a term ("short" and "shout", "shared" and
# "scared"); never correct them as misspellings.
_NOT_MISSPELLINGS = _words("""
    about above after again against always another anyone anything around asked because
    before being better between bloody brother carry cause clear could didnt doesnt doing
    during either eight enough every everyone everything fucking getting going great heart
    hello hopeless hotels house inside later light listed little lovely maybe means might
    money never night nothing other outside paint people place please pretty quite really
    right round saying shared sharing shoot short since sister small someone something
    sorry south start started state still store stuff sweets their there these thing
    things think those though three through tight today under until wasnt where which
    while whole would wouldnt years young women worse worst world month months weeks
    police blokes loads
    """)

_FOREIGN_STOP = STOP_WORDS["pl"] | STOP_WORDS["ro"]
_STOP = STOP_WORDS["en"] | _FOREIGN_STOP
# Endings no Polish or Romanian word has: "reception" is not Polish "recepty".
_EN_ENDINGS = ("tion", "tions", "ness", "ing", "ings")
_PREFIX_KEY = 3  # prefix terms are indexed by their first three letters
_STAR_ENDING = 5  # letters a "word*" term lets follow it
_GAP = 2  # words allowed between the words of a multi-word term
_CACHE_LIMIT = 200_000


def fold(text: str) -> str:
    """Return text lowercased, without diacritics, apostrophes or invisible characters."""
    if text.isascii():
        text = text.lower().translate(_ASCII_FOLD)
    else:
        text = unicodedata.normalize("NFKD", text).translate(_FOLD).lower()
    return _REPEATS.sub(r"\1\1", text)


def tokenize(text: str) -> list[str]:
    """Split text into folded words and numbers; emoji and punctuation drop out."""
    return _TOKEN.findall(fold(text))


_CVC = re.compile(r"^[^aeiou][aeiou][^aeiouwxy]$")
_EN_KEEP = _words(
    "evening morning ceiling building nothing something anything everything during news "
    "bus gas yes this his was has does is always less lots series"
)


def stem_en(word: str) -> str:
    """Return a light English stem so "waited", "waiting" and "waits" meet at "wait"."""
    if len(word) <= 3 or word in _EN_KEEP:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word in _EN_KEEP:
        return word
    stripped = False
    if word.endswith("ing") and len(word) >= 6:
        word, stripped = word[:-3], True
    elif word.endswith("ed") and len(word) >= 5:
        word, stripped = word[:-2], True
    elif word.endswith(("ly", "er")) and len(word) >= 6:
        word = word[:-2]
    if stripped:
        if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiouslfz":
            # "stopped" -> "stop" and "barred" -> "bar", but "staffed" keeps "staff".
            return word[:-1]
        if len(word) == 3 and _CVC.match(word):
            # "hated" -> "hate" and "cared" -> "care", while "eating" stays "eat".
            word += "e"
    # "judge" and "judged" meet at "judg"; four-letter words keep their "e" so that
    # "nite" never becomes "nits".
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


@cache
def _english_words() -> frozenset[str]:
    """Return stems of common English words, which are never read as misspellings."""
    # The Dale-Chall list ships with textstat, a dependency already pinned for the
    # readability linter; without it the short list above still guards the worst cases.
    try:
        listing = resources.files("textstat").joinpath("resources/en/easy_words.txt")
        words = set(listing.read_text(encoding="utf-8").split())
    except (ModuleNotFoundError, OSError):
        words = set()
    return frozenset(stem_en(word) for word in words | _NOT_MISSPELLINGS)


def _inflections(word: str) -> set[str]:
    """Return English forms a misspelling may be close to ("sanctiond" ~ "sanctioned")."""
    base = word[:-1] if word.endswith("e") else word
    return {word, word + "s", base + "ed", base + "ing"}


@dataclass(frozen=True)
class _Term:
    theme: int
    language: str
    keys: tuple[int, ...]
    exclude: bool


class Tagger:
    """Tag texts with codebook themes; build once per codebook and reuse."""

    def __init__(self, codebook: Codebook) -> None:
        self.theme_ids = [theme.id for theme in codebook.themes]
        self.languages = frozenset(
            lang for theme in codebook.themes for lang in (*theme.terms, *theme.exclude)
        )
        self._key_ids: dict[tuple[str, str, int, bool], int] = {}
        self._exact: dict[str, set[int]] = {}
        self._stems: dict[str, set[int]] = {}
        self._prefixes: dict[str, list[tuple[str, int, int, bool]]] = {}
        self._fuzzy: dict[str, set[str]] = {}
        self._starts: dict[int, list[_Term]] = {}
        self._cache: dict[str, tuple[int, ...]] = {}
        for index, theme in enumerate(codebook.themes):
            for table, exclude in ((theme.terms, False), (theme.exclude, True)):
                for language, terms in table.items():
                    for term in terms:
                        self._add_term(index, language, term, exclude)
        self._fuzzy_choices = {first: sorted(words) for first, words in self._fuzzy.items()}

    def _add_term(self, theme: int, language: str, term: str, exclude: bool) -> None:
        words = [w for w in re.split(r"\s+", term.strip()) if w]
        keys: list[int] = []
        for word in words:
            star = word.endswith("*")
            parts = _TOKEN.findall(fold(word.rstrip("*")))
            for position, part in enumerate(parts):
                # Only the last piece of a hyphenated "m-au*" carries the star.
                keys.append(self._key(part, language, star and position == len(parts) - 1))
        if keys:
            entry = _Term(theme, language, tuple(keys), exclude)
            self._starts.setdefault(keys[0], []).append(entry)

    def _key(self, word: str, language: str, star: bool) -> int:
        """Return the id of one word-matcher, registering it on first sight."""
        if star and len(word) >= _PREFIX_KEY:
            mode, value, extra = "prefix", word, _STAR_ENDING
        elif language in ("pl", "ro") and len(word) >= 6:
            # Polish and Romanian inflect by ending: keep the stem, allow a short ending.
            stem = word[: max(5, len(word) - 2)]
            mode, value, extra = "prefix", stem, len(word) - len(stem) + 3
        elif language == "en":
            mode, value, extra = "en", word, 0
        else:
            mode, value, extra = "exact", word, 0
        foreign = language != "en"
        spec = (mode, value, extra, foreign)
        found = self._key_ids.get(spec)
        if found is not None:
            return found
        key = len(self._key_ids)
        self._key_ids[spec] = key
        self._exact.setdefault(word, set()).add(key)
        if mode == "en":
            self._stems.setdefault(stem_en(word), set()).add(key)
        if mode == "prefix":
            self._prefixes.setdefault(value[:_PREFIX_KEY], []).append((value, extra, key, foreign))
        if len(word) >= 5 and word.isalpha():
            forms = _inflections(word) if mode == "en" else {word}
            for form in forms:
                self._fuzzy.setdefault(form[0], set()).add(form)
        return key

    def _resolve(self, token: str) -> tuple[int, ...]:
        """Return the ids of every word-matcher this token satisfies."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        keys = self._direct(token)
        if not keys and _DOUBLE.search(token):
            # Stretched words collapse to two letters ("ruuude" -> "ruude"); try one.
            keys = self._direct(_DOUBLE.sub(r"\1", token))
        if (
            not keys
            and len(token) >= 5
            and token.isalpha()
            and token not in _STOP
            and stem_en(token) not in _english_words()
        ):
            corrected = self._closest(token)
            if corrected is not None:
                keys = self._direct(corrected)
        result = tuple(sorted(keys))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = result
        return result

    def _direct(self, token: str) -> set[int]:
        """Return the word-matchers a correctly spelt token satisfies."""
        keys = set(self._exact.get(token, ()))
        if token not in _FOREIGN_STOP:
            keys |= self._stems.get(stem_en(token), set())
        # Function words ("in", "bine", "nie") are never stems or prefixes of terms.
        if token in _STOP:
            return keys
        # An English word is read as English: "came" is not Romanian "camere".
        english = stem_en(token) in _english_words() or token.endswith(_EN_ENDINGS)
        for prefix, extra, key, foreign in self._prefixes.get(token[:_PREFIX_KEY], ()):
            if foreign and english and token != prefix:
                continue
            if token.startswith(prefix) and len(token) - len(prefix) <= extra:
                keys.add(key)
        return keys

    def _closest(self, token: str) -> str | None:
        """Return the term word this token is a slip of, if any."""
        choices = self._fuzzy_choices.get(token[0])
        if not choices:
            return None
        # One slip in a short word, two in a long one; more than that reads as a new word.
        limit = 1 if len(token) < 8 else 2
        best = process.extractOne(
            token, choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit
        )
        return None if best is None else str(best[0])

    def _allowed(self, language: str | None) -> frozenset[str] | None:
        if not language:
            return None
        primary = language.lower().replace("_", "-").split("-")[0]
        if primary not in self.languages:
            return None
        # English terms always count: "UC", "staff" and "hostel" turn up in every language.
        return frozenset({primary, "en"})

    def tag(self, text: str, language: str | None = None) -> list[str]:
        """Return the ids of the themes a text mentions, in codebook order."""
        tokens = _TOKEN.findall(fold(text))
        if not tokens:
            return []
        resolved = [self._resolve(token) for token in tokens]
        allowed = self._allowed(language)
        hits: dict[int, list[tuple[int, int]]] = {}
        excluded: dict[int, list[tuple[int, int]]] = {}
        for start, keys in enumerate(resolved):
            for key in keys:
                for term in self._starts.get(key, ()):
                    if allowed is not None and term.language not in allowed:
                        continue
                    end = _match_rest(term.keys, resolved, start)
                    if end >= 0:
                        target = excluded if term.exclude else hits
                        target.setdefault(term.theme, []).append((start, end))
        themes = []
        for theme in sorted(hits):
            spans = hits[theme]
            idioms = excluded.get(theme)
            if idioms:
                spans = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in idioms)]
            if spans:
                themes.append(self.theme_ids[theme])
        return themes

    def tag_many(self, texts: list[str], language: str | None = None) -> list[list[str]]:
        """Return the themes of each text, in order."""
        return [self.tag(text, language) for text in texts]


def _match_rest(keys: tuple[int, ...], resolved: list[tuple[int, ...]], start: int) -> int:
    """Return where a multi-word term ending at or after start ends, or -1."""
    position = start
    for key in keys[1:]:
        limit = min(position + 2 + _GAP, len(resolved))
        for candidate in range(position + 1, limit):
            if key in resolved[candidate]:
                position = candidate
                break
        else:
            return -1
    return position
