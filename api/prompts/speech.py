"""Spoken versions of Heard's messages: which texts can be spoken, and how they are made.

A prompt is known by an id derived from its language and text. Only texts Heard itself
says (flow messages, system and host texts) are in the index, so the audio endpoint can
never be used to make the service say something else.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

from api.settings import Settings
from flows.loader import Library

# espeak-ng voices for the languages Heard speaks; anything else is read in English.
VOICES = {"en": "en-gb", "pl": "pl", "ro": "ro"}
WORDS_PER_MINUTE = 140
MAX_BYTES = 1024 * 1024
# Opus at 24 kbit/s mono is clear speech, about 3 KB a second: a 160-character message is
# some 30 KB. Long texts drop to 12 kbit/s so even 4,096 characters stay under 1 MB.
BITRATE_KBPS = 24
LONG_TEXT_BITRATE_KBPS = 12
LONG_TEXT = 1500
TOOL_TIMEOUT_S = 30
# Half the CPU of the default (10) for speech that sounds the same on a phone.
OPUS_COMPLEXITY = 5

_PROMPT_ID = re.compile(r"[0-9a-f]{32}")


def prompt_id(text: str, language: str) -> str:
    """Return the id of a text in a language: the first 32 hex digits of their SHA-256."""
    return hashlib.sha256(f"{language}\n{text}".encode()).hexdigest()[:32]


def is_prompt_id(value: str) -> bool:
    """Return whether `value` has the form of a prompt id (and so is safe as a file name)."""
    return _PROMPT_ID.fullmatch(value) is not None


class PromptIndex:
    """Map prompt ids to (text, language): fixed texts for good, others in a bounded LRU."""

    def __init__(self, runtime_limit: int = 4096) -> None:
        self._fixed: dict[str, tuple[str, str]] = {}
        self._runtime: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._limit = runtime_limit
        # The channel runs in a thread pool: remember() and lookup() may race.
        self._lock = threading.Lock()

    def add_fixed(self, text: str, language: str) -> str:
        """Keep a text for the life of the process (flow and system texts); return its id."""
        key = prompt_id(text, language)
        with self._lock:
            self._fixed[key] = (text, language)
            self._runtime.pop(key, None)
        return key

    def remember(self, text: str, language: str) -> str:
        """Keep a text said at runtime (a filled-in template); return its id."""
        key = prompt_id(text, language)
        with self._lock:
            if key in self._fixed:
                return key
            self._runtime[key] = (text, language)
            self._runtime.move_to_end(key)
            while len(self._runtime) > self._limit:
                self._runtime.popitem(last=False)
        return key

    def lookup(self, key: str) -> tuple[str, str] | None:
        """Return the (text, language) of an id, or None when it is not known."""
        with self._lock:
            found = self._fixed.get(key)
            if found is None:
                found = self._runtime.get(key)
                if found is not None:
                    self._runtime.move_to_end(key)
            return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._fixed) + len(self._runtime)


def register_texts(index: PromptIndex, texts: Iterable[tuple[str, str]]) -> int:
    """Add fixed (text, language) pairs to the index; return how many."""
    count = 0
    for text, language in texts:
        if text.strip():
            index.add_fixed(text, language)
            count += 1
    return count


def library_texts(library: Library) -> Iterator[tuple[str, str]]:
    """Yield every message text of every flow, in each of its languages (templates aside)."""
    for flow in library:
        for node in flow.nodes.values():
            if node.templated:
                continue  # filled in per conversation; remembered when said
            for language, text in node.say.items():
                yield text, language


def system_texts() -> Iterator[tuple[str, str]]:
    """Yield the engine's and the API's own texts in each language."""
    from api.channel.texts import HOST_TEXTS
    from flows.texts import SYSTEM_TEXTS

    for table in (SYSTEM_TEXTS, HOST_TEXTS):
        for by_language in table.values():
            for language, text in by_language.items():
                yield text, language


# Emoji and other pictographs: espeak-ng would spell some out ("grinning face") and skip
# others; the words alone read better. Variation selectors and the keycap mark go with them.
_UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cf"})
_UNSPOKEN_MARKS = frozenset({*map(chr, range(0xFE00, 0xFE10)), "\u20e3"})


def spoken_form(text: str) -> str:
    """Return the text as it should be read: no emoji or invisible marks, spaces tidied."""
    kept = "".join(
        ch
        for ch in unicodedata.normalize("NFC", text)
        if ch not in _UNSPOKEN_MARKS and unicodedata.category(ch) not in _UNSPOKEN_CATEGORIES
    )
    return " ".join(kept.split())


def missing_tools(settings: Settings) -> list[str]:
    """Return the speech programs that cannot be found (empty when both are there)."""
    return [
        name for name in (settings.espeak_path, settings.opusenc_path) if shutil.which(name) is None
    ]


class SpeechError(RuntimeError):
    """A speech program failed; the message names the program, never the text."""


def synthesise(settings: Settings, *, text: str, language: str, target: Path) -> int:
    """Speak `text` into an OGG/Opus file at `target` (written atomically); return its size."""
    espeak = shutil.which(settings.espeak_path)
    opusenc = shutil.which(settings.opusenc_path)
    if espeak is None or opusenc is None:
        raise SpeechError("espeak-ng or opusenc is missing")
    voice = VOICES.get(language, VOICES["en"])
    # The text goes in on stdin, never as an argument, so no text can act as an option.
    wav = _run(
        [espeak, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-b", "1", "--stdin", "--stdout"],
        stdin=spoken_form(text).encode(),
        tool="espeak-ng",
    )
    bitrate = LONG_TEXT_BITRATE_KBPS if len(text) > LONG_TEXT else BITRATE_KBPS
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".ogg")
    os.close(fd)
    try:
        _run(
            [
                opusenc,
                "--quiet",
                "--bitrate",
                str(bitrate),
                "--downmix-mono",
                "--speech",
                "--comp",
                str(OPUS_COMPLEXITY),
                "-",
                tmp,
            ],
            stdin=wav,
            tool="opusenc",
        )
        size = Path(tmp).stat().st_size
        if size > MAX_BYTES:
            raise SpeechError(f"opusenc made {size} bytes, over the 1 MB limit")
        # Readers see the old file or the whole new one, never half of it.
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return size


def _run(command: list[str], *, stdin: bytes, tool: str) -> bytes:
    try:
        done = subprocess.run(
            command, input=stdin, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpeechError(f"{tool} did not run: {type(exc).__name__}") from None
    if done.returncode != 0:
        raise SpeechError(f"{tool} failed with exit code {done.returncode}")
    return done.stdout
