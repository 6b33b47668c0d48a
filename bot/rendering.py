"""Turn the API's replies into Telegram messages: numbered options and big one-time buttons.

Every option is shown twice: numbered in the text ("1 😞 Bad ... Reply 1, 2 or 3"), so typing a
number works on any phone, and as a button on a reply keyboard. A tapped button arrives as plain
text ("😞 Bad"); `Choices` maps it back to the option key when the bot still remembers the last
options it showed, and otherwise the text goes to the API as it is, where the tolerant matcher
understands an emoji or a word just as well. So a restart loses nothing.
"""

from collections import OrderedDict
from collections.abc import Sequence

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.client import Reply, ReplyOption
from flows import hint_for

MAX_TEXT = 4096  # Telegram's limit for one message


def button_text(option: ReplyOption) -> str:
    """Return what a button shows (and sends back when tapped): "emoji label"."""
    return f"{option.emoji} {option.label}".strip() or option.key


def render_text(reply: Reply) -> str:
    """Return the text of a reply with its options numbered underneath."""
    if not reply.options:
        return reply.text[:MAX_TEXT]
    lines = [f"{n} {button_text(option)}" for n, option in enumerate(reply.options, start=1)]
    hint = hint_for(len(reply.options), reply.language)
    if hint:
        lines.append(hint)
    tail = "\n\n" + "\n".join(lines)
    return reply.text[: max(0, MAX_TEXT - len(tail))] + tail


def keyboard_for(options: Sequence[ReplyOption]) -> ReplyKeyboardMarkup:
    """Return a reply keyboard with one big button per row; it hides once used."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(button_text(option))] for option in options],
        resize_keyboard=True,
        one_time_keyboard=True,
        is_persistent=False,
    )


def markup_for(reply: Reply, *, last: bool) -> ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Return the keyboard for a reply; the last one without options clears old buttons."""
    if reply.options:
        return keyboard_for(reply.options)
    return ReplyKeyboardRemove() if last else None


class Choices:
    """Remember the buttons last shown to each participant, in memory and only a few thousand."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._shown: OrderedDict[str, dict[str, str]] = OrderedDict()

    def show(self, participant: str, options: Sequence[ReplyOption]) -> None:
        """Note the buttons just shown (an empty list forgets them)."""
        self._shown.pop(participant, None)
        if options:
            self._shown[participant] = {button_text(o): o.key for o in options}
            while len(self._shown) > self._size:
                self._shown.popitem(last=False)

    def choice_for(self, participant: str, text: str) -> str | None:
        """Return the option key when `text` is exactly a button last shown, else None."""
        shown = self._shown.get(participant)
        return shown.get(text.strip()) if shown else None
