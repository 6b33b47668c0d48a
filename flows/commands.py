"""Recognise the commands that work anywhere: help, back, skip, repeat, stop, language, forget."""

from __future__ import annotations

from flows.understanding import normalise

COMMANDS = frozenset({"help", "back", "skip", "repeat", "stop", "language", "forget"})

# Whole messages only: "stop" is a command, "they never stop talking" is an answer.
# Words are written already folded (no accents) because typed text is folded the same way.
_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "help": {
        "en": ("help", "help me", "menu", "what can i do", "commands"),
        "pl": ("pomoc", "pomocy", "menu"),
        "ro": ("ajutor", "meniu"),
    },
    "back": {
        "en": ("back", "go back", "previous", "undo"),
        "pl": ("wstecz", "cofnij", "wroc"),
        "ro": ("inapoi", "inapoi te rog"),
    },
    "skip": {
        "en": ("skip", "skip it", "skip this", "pass", "next"),
        "pl": ("pomin", "dalej", "nastepne"),
        "ro": ("sari", "sari peste", "treci", "urmatoarea"),
    },
    "repeat": {
        "en": ("repeat", "again", "say again", "say that again", "what"),
        "pl": ("powtorz", "jeszcze raz"),
        "ro": ("repeta", "inca o data"),
    },
    "stop": {
        "en": (
            "stop",
            "stop it",
            "quit",
            "exit",
            "cancel",
            "stop please",
            "please stop",
            "unsubscribe",
        ),
        "pl": ("stop", "koniec", "zakoncz", "przestan"),
        "ro": ("stop", "gata", "opreste", "iesire"),
    },
    "language": {
        "en": ("language", "lang", "change language"),
        "pl": ("jezyk", "zmien jezyk"),
        "ro": ("limba", "schimba limba"),
    },
    "forget": {
        "en": (
            "delete my data",
            "delete",
            "delete me",
            "delete everything",
            "forget me",
            "forget",
            "remove my data",
            "erase my data",
        ),
        "pl": ("usun moje dane", "usun dane", "usun", "zapomnij mnie"),
        "ro": ("sterge datele mele", "sterge datele", "sterge", "uita ma"),
    },
}

_LOOKUP: dict[str, str] = {
    normalise(word): command
    for command, languages in _WORDS.items()
    for words in languages.values()
    for word in words
}


def command_for(norm: str, raw: str = "") -> str | None:
    """Return the command a whole normalised message is, or None if it is an answer."""
    command = _LOOKUP.get(norm)
    if command is None and not norm and raw.strip() and set(raw.strip()) == {"?"}:
        return "help"
    return command


def command_words(command: str, language: str) -> tuple[str, ...]:
    """Return the words that give `command` in `language`."""
    return _WORDS[command].get(language, ())
