"""The words every flow shares, in each language Heard speaks: help, goodbye, hints, faces."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "pl", "ro")

# The flag and the language's own name, so a person can find theirs without reading English.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("🇬🇧", "English"),
    "pl": ("🇵🇱", "Polski"),
    "ro": ("🇷🇴", "Română"),
}

# Polish and Romanian are drafts written by the engine's author; they need a native reviewer.
SYSTEM_TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": "Tap a button, or type a number or a word. "
        "Say back, skip, repeat, stop or language at any time.",
        "pl": "Dotknij przycisku albo wpisz numer lub słowo. "
        "Możesz w każdej chwili napisać: wstecz, pomiń, powtórz, stop lub język.",
        "ro": "Apasă un buton sau scrie un număr ori un cuvânt. "
        "Oricând poți scrie: înapoi, sari, repetă, stop sau limba.",
    },
    "not_understood": {
        "en": "Sorry, I did not get that. Please try again.",
        "pl": "Przepraszam, nie rozumiem. Spróbuj jeszcze raz.",
        "ro": "Scuze, nu am înțeles. Mai încearcă o dată.",
    },
    "goodbye": {
        "en": "OK, we will stop here. What you told us is kept. Thank you. Come back any time.",
        "pl": "Dobrze, kończymy. To, co nam napisałeś, zostaje. Dziękujemy. Wróć, kiedy chcesz.",
        "ro": "Bine, ne oprim aici. Ce ne-ai spus rămâne. Mulțumim. Revino oricând.",
    },
    "first_question": {
        "en": "This is the first question.",
        "pl": "To jest pierwsze pytanie.",
        "ro": "Aceasta este prima întrebare.",
    },
    "language_question": {
        "en": "Which language do you want?",
        "pl": "Jaki język wybierasz?",
        "ro": "Ce limbă vrei?",
    },
    "signposting": {
        "en": "If you are in danger call 999. Samaritans: 116 123, free, any time. NHS: 111.",
        "pl": "Jeśli grozi ci niebezpieczeństwo, dzwoń 999. Samaritans: 116 123, "
        "za darmo, zawsze. NHS: 111.",
        "ro": "Dacă ești în pericol, sună la 999. Samaritans: 116 123, gratuit, oricând. NHS: 111.",
    },
    "carry_on": {
        "en": "Thank you for telling us. Do you want to carry on?",
        "pl": "Dziękujemy, że nam to napisałeś. Czy chcesz mówić dalej?",
        "ro": "Mulțumim că ne-ai spus. Vrei să continui?",
    },
    "carry_on_stop": {
        "en": "OK. Take care of yourself. You can come back any time.",
        "pl": "Dobrze. Dbaj o siebie. Możesz wrócić, kiedy chcesz.",
        "ro": "Bine. Ai grijă de tine. Poți reveni oricând.",
    },
    "expired": {
        "en": "This chat timed out. Say help to start again.",
        "pl": "Ta rozmowa wygasła. Napisz pomoc, aby zacząć od nowa.",
        "ro": "Această discuție a expirat. Scrie ajutor ca să începi din nou.",
    },
    "ended": {
        "en": "This chat has ended. Say help to see what you can do.",
        "pl": "Ta rozmowa się skończyła. Napisz pomoc, aby zobaczyć, co możesz zrobić.",
        "ro": "Această discuție s-a încheiat. Scrie ajutor ca să vezi ce poți face.",
    },
    "restart": {
        "en": "Sorry, something changed on our side. Let us start again.",
        "pl": "Przepraszamy, coś się u nas zmieniło. Zacznijmy od nowa.",
        "ro": "Scuze, ceva s-a schimbat la noi. Hai să o luăm de la capăt.",
    },
    "yes": {"en": "Yes", "pl": "Tak", "ro": "Da"},
    "no": {"en": "No", "pl": "Nie", "ro": "Nu"},
}

# Face scales: key, emoji and word, worst first. The saved value is the face's number.
FACES: dict[int, tuple[tuple[str, str], ...]] = {
    5: (("awful", "😞"), ("bad", "😕"), ("ok", "😐"), ("good", "🙂"), ("great", "😄")),
    3: (("bad", "😞"), ("ok", "😐"), ("good", "🙂")),
}

FACE_WORDS: dict[str, dict[str, str]] = {
    "awful": {"en": "Awful", "pl": "Okropnie", "ro": "Groaznic"},
    "bad": {"en": "Bad", "pl": "Źle", "ro": "Rău"},
    "ok": {"en": "OK", "pl": "Tak sobie", "ro": "Așa și așa"},
    "good": {"en": "Good", "pl": "Dobrze", "ro": "Bine"},
    "great": {"en": "Great", "pl": "Super", "ro": "Super"},
}

_HINTS: dict[str, tuple[str, str]] = {
    # (the prefix, the word before the last number)
    "en": ("Reply", "or"),
    "pl": ("Odpowiedz", "lub"),
    "ro": ("Răspunde", "sau"),
}


def system_text(key: str, language: str) -> str:
    """Return the shared text `key` in `language`, falling back to English."""
    texts = SYSTEM_TEXTS[key]
    return texts.get(language) or texts["en"]


def hint_for(options_count: int, language: str) -> str:
    """Return the hint that lists the numbers a person can reply with, e.g. "Reply 1, 2 or 3"."""
    if options_count <= 0:
        return ""
    prefix, joiner = _HINTS.get(language, _HINTS["en"])
    numbers = [str(n) for n in range(1, options_count + 1)]
    if len(numbers) == 1:
        return f"{prefix} 1"
    return f"{prefix} {', '.join(numbers[:-1])} {joiner} {numbers[-1]}"


def language_name(code: str) -> tuple[str, str]:
    """Return the flag and native name of a language code (the code itself when unknown)."""
    return LANGUAGE_NAMES.get(code, ("🌐", code))
