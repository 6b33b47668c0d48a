"""The few things the API says itself, outside any flow. Short, plain, kind.

Polish and Romanian are drafts, like the flows' own: they need a native reviewer.
"""

HOST_TEXTS: dict[str, dict[str, str]] = {
    "code_ended": {
        "en": "That code has ended. Let's start anyway.",
        "pl": "Ten kod już nie działa. Zacznijmy mimo to.",
        "ro": "Codul acesta nu mai merge. Hai să începem oricum.",
    },
    "voice_on": {
        "en": "OK. I will read the questions out to you.",
        "pl": "Dobrze. Będę czytać ci pytania na głos.",
        "ro": "Bine. Îți voi citi întrebările cu voce tare.",
    },
    "voice_off": {
        "en": "OK. I will stop reading the questions out.",
        "pl": "Dobrze. Nie będę już czytać pytań na głos.",
        "ro": "Bine. Nu îți mai citesc întrebările.",
    },
    "nothing_new": {
        "en": "Nothing new yet. We will tell you when something changes.",
        "pl": "Na razie nic nowego. Damy ci znać, gdy coś się zmieni.",
        "ro": "Nimic nou deocamdată. Îți spunem când se schimbă ceva.",
    },
    "voice_not_now": {
        "en": "Thank you. I cannot take a voice note just now. Please tap a button or type.",
        "pl": "Dziękujemy. Teraz nie mogę przyjąć nagrania. Dotknij przycisku albo napisz.",
        "ro": "Mulțumim. Acum nu pot primi un mesaj vocal. Apasă un buton sau scrie.",
    },
    "nudge": {
        "en": "Hi, it is Heard. Have you got 2 minutes to tell us how things are?",
        "pl": "Cześć, tu Heard. Masz 2 minuty, żeby napisać, jak się masz?",
        "ro": "Salut, aici e Heard. Ai 2 minute să ne spui cum îți merge?",
    },
    "nudge_yes": {"en": "Yes", "pl": "Tak", "ro": "Da"},
    "nudge_no": {"en": "Not now", "pl": "Nie teraz", "ro": "Nu acum"},
    "nudge_declined": {
        "en": "OK. Say help any time. Take care.",
        "pl": "Dobrze. Napisz pomoc, kiedy chcesz. Trzymaj się.",
        "ro": "Bine. Scrie ajutor oricând. Ai grijă de tine.",
    },
}


def host_text(key: str, language: str) -> str:
    """Return the API's own text `key` in `language`, falling back to English."""
    texts = HOST_TEXTS[key]
    return texts.get(language) or texts["en"]
