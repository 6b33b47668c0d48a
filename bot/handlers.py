"""Telegram handlers: each turns one kind of update into a channel call or a kind reply.

Nothing here logs an update, a name, an id or a message text. Updates the bot never asked for
(a sticker, a photo, a shared phone number) get a short reply and are otherwise dropped.
"""

import logging
import re
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.client import ChannelError
from bot.relay import MAX_VOICE_BYTES, Relay, send_text
from bot.texts import say

log = logging.getLogger(__name__)

# `/command` -> the channel contract's command name.
COMMANDS = {
    "help": "help",
    "stop": "stop",
    "back": "back",
    "skip": "skip",
    "repeat": "repeat",
    "language": "language",
    "voice": "voice",
    "forget": "forget",
    "changes": "changes",
}
# Deep-link payloads are 1-64 of these characters (Telegram's own rule for ?start=).
_CHECKIN_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# NUL can't be stored in PostgreSQL text, and the rest of C0 has no place in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_TEXT = 4096


def relay_of(context: ContextTypes.DEFAULT_TYPE) -> Relay:
    """Return the relay that `build_application` put in `bot_data`."""
    relay: Relay = context.bot_data["relay"]
    return relay


def _sender(update: Update) -> tuple[int, int, str | None] | None:
    """Return (user id, chat id, language hint) of a private message, or None."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot:
        return None
    return user.id, message.chat_id, user.language_code


async def drop_duplicates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update Telegram delivered before (same update id or same message)."""
    relay = relay_of(context)
    if not relay.seen.first_time(("update", update.update_id)):
        raise ApplicationHandlerStop
    message = update.message
    if message is not None and not relay.seen.first_time(
        ("message", message.chat_id, message.message_id)
    ):
        raise ApplicationHandlerStop


async def leave_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the bot works only in private chats, then leave the group or channel."""
    chat = update.effective_chat
    if chat is None:
        raise ApplicationHandlerStop
    if chat.type != ChatType.CHANNEL:
        try:
            await context.bot.send_message(chat.id, say("private_only", "en"), protect_content=True)
        except TelegramError as exc:
            log.info("Could not say goodbye to a group (%s)", type(exc).__name__)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        log.info("Could not leave a group (%s)", type(exc).__name__)
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start: `/start CODE` carries a check-in code; a bare /start picks up where things are."""
    sender = _sender(update)
    if sender is None or update.message is None:
        return
    user_id, chat_id, locale = sender
    code = context.args[0] if context.args else None
    # Without a (usable) code, /start repeats the waiting question: for a newcomer that is the
    # welcome, for someone mid-flow their question, otherwise the menu. Never an answer.
    usable = code is not None and _CHECKIN_CODE.match(code) is not None
    fields: dict[str, Any] = {"checkin_code": code} if usable else {"command": "repeat"}
    await relay_of(context).deliver(
        context.bot,
        user_id=user_id,
        chat_id=chat_id,
        message_id=str(update.message.message_id),
        locale=locale,
        **fields,
    )


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pass /help, /stop, /back, /skip, /repeat, /language, /voice, /forget, /changes on."""
    sender = _sender(update)
    message = update.message
    if sender is None or message is None or not message.text:
        return
    user_id, chat_id, locale = sender
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    await relay_of(context).deliver(
        context.bot,
        user_id=user_id,
        chat_id=chat_id,
        message_id=str(message.message_id),
        locale=locale,
        command=COMMANDS.get(name, "help"),
    )


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pass typed text on, or the option key when it is a button the bot just showed."""
    sender = _sender(update)
    message = update.message
    if sender is None or message is None or message.text is None:
        return
    user_id, chat_id, locale = sender
    relay = relay_of(context)
    cleaned = _CONTROL.sub("", message.text)[:MAX_TEXT]
    if not cleaned.strip():
        await kind_reply(update, context, "only_words")
        return
    choice = relay.choices.choice_for(relay.identity.pseudonym(user_id), cleaned)
    fields = {"choice": choice} if choice is not None else {"text": cleaned}
    await relay.deliver(
        context.bot,
        user_id=user_id,
        chat_id=chat_id,
        message_id=str(message.message_id),
        locale=locale,
        **fields,
    )


async def voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download a voice note (up to 20 MB) and hand it to the API as an answer."""
    sender = _sender(update)
    message = update.message
    if sender is None or message is None or message.voice is None:
        return
    user_id, chat_id, locale = sender
    relay = relay_of(context)
    if (message.voice.file_size or 0) > MAX_VOICE_BYTES:
        language = relay.language(relay.identity.pseudonym(user_id), locale)
        await send_text(context.bot, chat_id, say("voice_too_big", language))
        return
    await relay.deliver_voice(
        context.bot,
        user_id=user_id,
        chat_id=chat_id,
        message_id=str(message.message_id),
        file_id=message.voice.file_id,
    )


async def kind_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    """Answer a message the bot cannot use with a short, kind text."""
    sender = _sender(update)
    if sender is None:
        return
    user_id, chat_id, locale = sender
    relay = relay_of(context)
    language = relay.language(relay.identity.pseudonym(user_id), locale)
    await send_text(context.bot, chat_id, say(key, language))


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Thank the person for a shared contact without keeping or passing on the number."""
    await kind_reply(update, context, "no_contact")


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the bot doesn't need a location, and keep none."""
    await kind_reply(update, context, "no_location")


async def other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say the bot reads words, numbers, emoji and voice notes (stickers, photos, files...)."""
    await kind_reply(update, context, "only_words")


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say an edit doesn't change an answer already given, and how to change it."""
    await kind_reply(update, context, "edited")


async def callback_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press on an inline keyboard; the bot sends none, so the data is ignored."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("Could not answer a callback query (%s)", type(exc).__name__)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Track a person blocking or unblocking the bot; leave any group that adds it."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    gone = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
    if change.chat.type != ChatType.PRIVATE:
        if not gone:
            await leave_group(update, context)
        return
    if change.from_user is None or not (gone or status == ChatMemberStatus.MEMBER):
        return
    relay = relay_of(context)
    try:
        await relay.client.set_reachable(relay.identity.pseudonym(change.from_user.id), not gone)
    except ChannelError as exc:
        log.warning("Could not update reachability (%s)", type(exc).__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the kind of error only (never the update), and carry on."""
    log.error("Handling an update failed (%s)", type(context.error).__name__)


def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler, in the order Telegram updates should meet them."""
    application.add_handler(TypeHandler(Update, drop_duplicates), group=-2)
    not_private = ~filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(not_private, leave_group), group=-1)
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, edited))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler(list(COMMANDS), command))
    application.add_handler(MessageHandler(filters.COMMAND, command))
    application.add_handler(MessageHandler(filters.TEXT, text))
    application.add_handler(MessageHandler(filters.VOICE, voice))
    application.add_handler(MessageHandler(filters.CONTACT, contact))
    application.add_handler(MessageHandler(filters.LOCATION | filters.VENUE, location))
    application.add_handler(MessageHandler(filters.ALL, other))
    application.add_handler(CallbackQueryHandler(callback_query))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
