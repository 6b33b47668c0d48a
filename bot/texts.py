"""What the bot says on its own, when the API has nothing to say: short, plain and kind.

The API speaks for every flow; these cover what never reaches it (stickers, a shared phone
number, a group chat) or what happens when it cannot be reached.
"""

TEXTS: dict[str, dict[str, str]] = {
    "api_away": {
        "en": "Sorry, I can't reach Heard just now. I kept your message and will answer soon. "
        "If you hear nothing, try again in a minute.",
        "pl": "Przepraszam, nie mogę teraz połączyć się z Heard. Zachowałem wiadomość i wkrótce "
        "odpowiem. Jeśli nic nie przyjdzie, spróbuj za minutę.",
        "ro": "Scuze, nu pot ajunge la Heard acum. Am păstrat mesajul și răspund curând. "
        "Dacă nu primești nimic, încearcă peste un minut.",
    },
    "went_wrong": {
        "en": "Sorry, something went wrong on my side. Please try again, or send /help.",
        "pl": "Przepraszam, coś poszło nie tak. Spróbuj jeszcze raz albo wyślij /help.",
        "ro": "Scuze, ceva nu a mers. Încearcă din nou sau trimite /help.",
    },
    "only_words": {
        "en": "Sorry, I can only read words, numbers, emoji or voice notes.",
        "pl": "Przepraszam, rozumiem tylko słowa, liczby, emoji i wiadomości głosowe.",
        "ro": "Scuze, pot citi doar cuvinte, numere, emoji sau mesaje vocale.",
    },
    "no_contact": {
        "en": "Thanks, but I don't need your number, and I did not keep it. Heard stays anonymous.",
        "pl": "Dziękuję, ale nie potrzebuję twojego numeru i go nie zapisałem. "
        "Heard jest anonimowy.",
        "ro": "Mulțumesc, dar nu am nevoie de numărul tău și nu l-am păstrat. Heard e anonim.",
    },
    "no_location": {
        "en": "Thanks, but I don't need to know where you are, and I did not keep it.",
        "pl": "Dziękuję, ale nie muszę wiedzieć, gdzie jesteś, i tego nie zapisałem.",
        "ro": "Mulțumesc, dar nu trebuie să știu unde ești și nu am păstrat asta.",
    },
    "edited": {
        "en": "I keep what you first sent. To change an answer, send /back.",
        "pl": "Zostawiam to, co wysłałeś najpierw. Aby zmienić odpowiedź, wyślij /back.",
        "ro": "Păstrez ce ai trimis prima dată. Ca să schimbi un răspuns, trimite /back.",
    },
    "voice_too_big": {
        "en": "Sorry, that voice note is too long for me. Please send a shorter one, or type.",
        "pl": "Przepraszam, ta wiadomość głosowa jest za długa. Wyślij krótszą albo napisz.",
        "ro": "Scuze, mesajul vocal e prea lung. Trimite unul mai scurt sau scrie.",
    },
    "private_only": {
        "en": "Hi! I only work in private chats. Please message me on my own. Bye for now.",
        "pl": "Cześć! Działam tylko w prywatnych czatach. Napisz do mnie bezpośrednio.",
        "ro": "Salut! Lucrez doar în chat privat. Scrie-mi direct, te rog.",
    },
}

# Shown in Telegram's command menu.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "What I can do, and help numbers"),
    ("stop", "Stop for now"),
    ("back", "Go back one question"),
    ("skip", "Skip this question"),
    ("repeat", "Say the question again"),
    ("language", "Change language"),
    ("voice", "Read questions to me, or stop"),
    ("changes", "What changed because of you"),
    ("forget", "Delete everything about me"),
)


def say(key: str, language: str | None) -> str:
    """Return the bot's own text `key` in `language`, falling back to English."""
    texts = TEXTS[key]
    return texts.get(language or "en") or texts["en"]
