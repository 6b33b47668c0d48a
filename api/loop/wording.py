"""Checking texts coordinators send to participants, the way flow texts are checked."""

import unicodedata

from api.errors import Invalid
from flows.inspection import MIN_READING_EASE, reading_ease

MAX_CHARS = 300


def check_wording(text: str, *, language: str = "en", limit: int = MAX_CHARS) -> str:
    """Return the text tidied, or raise Invalid saying what to change so people can read it."""
    cleaned = "".join(
        ch for ch in text if ch in "\n" or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise Invalid("The text is empty. Write what changed, in a sentence or two.")
    if len(cleaned) > limit:
        raise Invalid(
            f"The text is {len(cleaned)} characters. Keep it to {limit} or fewer: "
            "people read these on a phone."
        )
    if "{" in cleaned or "}" in cleaned:
        raise Invalid("Leave out curly brackets { }: the chat would read them as a blank to fill.")
    if language.split("-")[0].lower() == "en":
        score = reading_ease(cleaned)
        if score < MIN_READING_EASE:
            raise Invalid(
                f"The text scores {score:.0f} on reading ease; texts people get need "
                f"{MIN_READING_EASE:.0f} or more. Use short, everyday words and short sentences."
            )
    return cleaned
