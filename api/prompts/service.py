"""Prompt audio: the URL of a message's spoken version, and the cached file behind it."""

import logging
import re
import threading
from functools import cache
from pathlib import Path

from api.errors import NotFound, Unavailable
from api.prompts.speech import (
    PromptIndex,
    SpeechError,
    is_prompt_id,
    missing_tools,
    synthesise,
)
from api.settings import Settings

logger = logging.getLogger(__name__)

TOOLS_MISSING = (
    "Voice prompts need espeak-ng and opus-tools (Debian: apt-get install espeak-ng opus-tools)."
)
# A letter or digit in any script: something espeak-ng can say (emoji are not word chars).
_SAYABLE = re.compile(r"[^\W_]")
# At most this many speech programs run at once per process; the rest wait their turn.
MAX_PARALLEL_SYNTHESIS = 2


@cache
def shared_index() -> PromptIndex:
    """Return the process's prompt index.

    One per process, not per app: the channel asks for a URL with only a text and a
    language in hand (see `audio_url`), and a text's id is the same for every app.
    """
    return PromptIndex()


def audio_url(*, text: str, language: str, index: PromptIndex | None = None) -> str | None:
    """Remember `text` and return the relative URL of its spoken version (None if wordless)."""
    if not _SAYABLE.search(text):
        return None  # emoji only: nothing to read out
    key = (index if index is not None else shared_index()).remember(text, language)
    return f"/v1/channel/audio/{key}.ogg"


def prompts_dir(settings: Settings) -> Path:
    """Return the folder of cached prompt audio."""
    return Path(settings.data_dir) / "prompts"


class PromptSpeaker:
    """Make prompt audio on demand, once per text however many ask for it at the same time."""

    def __init__(self, max_parallel: int = MAX_PARALLEL_SYNTHESIS) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._slots = threading.BoundedSemaphore(max_parallel)

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def audio_path(self, settings: Settings, *, index: PromptIndex, key: str) -> Path:
        """Return the cached OGG of prompt `key`, making it first if needed."""
        if not is_prompt_id(key):
            raise NotFound("No prompt has that id.")
        path = prompts_dir(settings) / f"{key}.ogg"
        if path.is_file():
            return path
        known = index.lookup(key)
        if known is None:
            raise NotFound("No prompt has that id.")
        missing = missing_tools(settings)
        if missing:
            # Name the tools, never the text: logs carry no message text.
            logger.warning("prompt audio unavailable: missing %s", ", ".join(missing))
            raise Unavailable(TOOLS_MISSING)
        text, language = known
        with self._lock_for(key):
            if path.is_file():  # made while this request waited
                return path
            with self._slots:
                try:
                    synthesise(settings, text=text, language=language, target=path)
                except SpeechError as exc:
                    logger.error("prompt audio failed: %s", exc)
                    raise Unavailable("The spoken version could not be made just now.") from None
        with self._guard:
            self._locks.pop(key, None)
        return path
