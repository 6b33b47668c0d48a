"""What each Bot API method the fake knows does, and answers.

A method is a function ``(state, params) -> result``, registered under its Telegram name with
``@method``. Errors are ``ApiError`` with Telegram's descriptions, so PTB raises its real
exceptions (BadRequest, Forbidden, RetryAfter, Conflict).
"""

import itertools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .state import BotApiState, StoredFile
from .updates import now

Params = dict[str, Any]
Handler = Callable[[BotApiState, Params], Any] | Callable[[BotApiState, Params], Awaitable[Any]]

METHODS: dict[str, tuple[str, Handler]] = {}
"""Lower-cased method name -> (Telegram's spelling, handler)."""

# Methods that put something in a chat, which fail once the user has blocked the bot.
CHAT_SENDS = frozenset({"sendMessage", "sendVoice", "sendChatAction"})

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_file_numbers = itertools.count(1)


class ApiError(Exception):
    """A Bot API error answer."""

    def __init__(self, status: int, description: str, parameters: Params | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> Params:
        """Return the JSON body Telegram would answer."""
        body: Params = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Build a 400 answer."""
    return ApiError(400, f"Bad Request: {detail}")


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler as the Bot API method ``name``."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def find(name: str) -> tuple[str, Handler] | None:
    """Look a method up the way Telegram does, ignoring case."""
    return METHODS.get(name.lower())


def chat_id_of(params: Params) -> int:
    """Return the numeric chat id a call targets."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("chat not found")
    return value


def _chat(chat_id: int) -> Params:
    if chat_id > 0:
        return {"id": chat_id, "type": "private"}
    kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
    return {"id": chat_id, "type": kind, "title": "Test group"}


def _message(state: BotApiState, chat_id: int, **content: Any) -> Params:
    return {
        "message_id": state.next_message_id(chat_id),
        "from": dict(state.bot_user),
        "chat": _chat(chat_id),
        "date": now(),
        **{key: value for key, value in content.items() if value is not None},
    }


def _inline_markup(params: Params) -> Params | None:
    """Check the reply_markup; return it when Telegram would echo it (inline keyboards)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    return markup


def _text(params: Params, key: str = "text") -> str:
    text = params.get(key)
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > 4096:
        raise bad_request("message is too long")
    return text


@method("getMe")
def get_me(state: BotApiState, params: Params) -> Params:
    """Answer the bot's own user."""
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("getUpdates")
async def get_updates(state: BotApiState, params: Params) -> list[Params]:
    """Confirm updates before offset; long-poll up to the capped timeout for new ones."""
    conflict = ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    if state.webhook is not None:
        raise conflict
    offset = params.get("offset")
    if params.get("allowed_updates") is not None:
        state.allowed_updates = list(params["allowed_updates"])
    wait = min(max(float(params.get("timeout") or 0), 0.0), state.max_long_poll)
    if wait:
        await state.changes.wait_async(
            lambda: state.closing or state.webhook is not None or state.has_updates(offset),
            wait,
        )
    if state.webhook is not None:
        raise conflict
    return state.take_updates(offset, params.get("limit"))


@method("setWebhook")
def set_webhook(state: BotApiState, params: Params) -> bool:
    """Start delivering updates by POST to the url (or stop, for an empty url)."""
    url = params.get("url") or ""
    secret = params.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    with state.lock:
        if params.get("drop_pending_updates"):
            state.pending.clear()
        if params.get("allowed_updates") is not None:
            state.allowed_updates = list(params["allowed_updates"])
        state.webhook = (
            None
            if not url
            else {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "drop_pending_updates": bool(params.get("drop_pending_updates")),
                "max_connections": params.get("max_connections", 40),
            }
        )
        state.last_webhook_error = None
        state.changes.notify()
    return True


@method("deleteWebhook")
def delete_webhook(state: BotApiState, params: Params) -> bool:
    """Go back to getUpdates, dropping pending updates if asked."""
    with state.lock:
        state.webhook = None
        if params.get("drop_pending_updates"):
            state.pending.clear()
        state.changes.notify()
    return True


@method("getWebhookInfo")
def get_webhook_info(state: BotApiState, params: Params) -> Params:
    """Describe the webhook and the queue."""
    with state.lock:
        info: Params = {
            "url": state.webhook["url"] if state.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.pending),
        }
        if state.webhook:
            info["max_connections"] = state.webhook["max_connections"]
            if state.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = state.webhook["allowed_updates"]
            if state.last_webhook_error:
                info["last_error_date"], info["last_error_message"] = state.last_webhook_error
        return info


@method("sendMessage")
def send_message(state: BotApiState, params: Params) -> Params:
    """Answer the sent Message, echoing an inline keyboard as Telegram does."""
    chat_id = chat_id_of(params)
    text = _text(params)
    markup = _inline_markup(params)
    return _message(state, chat_id, text=text, reply_markup=markup)


def _voice_file(state: BotApiState, voice: Any) -> StoredFile:
    if isinstance(voice, bytes):
        number = next(_file_numbers)
        stored = StoredFile(
            file_id=f"AwACAgQAAxkDAAI{number:06d}FakeUpload",
            file_unique_id=f"AgADu{number:06d}",
            file_path=f"voice/file_{number}.oga",
            data=voice,
        )
        state.add_file(stored)
        return stored
    if not voice:
        raise bad_request("there is no voice in the request")
    known = state.files.get(str(voice))
    if known is not None:
        return known
    if str(voice).startswith(("http://", "https://")):
        number = next(_file_numbers)
        fetched = StoredFile(
            f"AwACFromUrl{number:06d}", f"AgADw{number:06d}", f"voice/file_url_{number}.oga", b""
        )
        state.add_file(fetched)
        return fetched
    raise bad_request("wrong file identifier/HTTP URL specified")


@method("sendVoice")
def send_voice(state: BotApiState, params: Params) -> Params:
    """Store an uploaded voice note (or reuse a known file_id) and answer the Message."""
    chat_id = chat_id_of(params)
    stored = _voice_file(state, params.get("voice"))
    voice = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": int(params.get("duration") or 0),
        "mime_type": "audio/ogg",
        "file_size": len(stored.data),
    }
    return _message(
        state,
        chat_id,
        voice=voice,
        caption=params.get("caption"),
        reply_markup=_inline_markup(params),
    )


@method("getFile")
def get_file(state: BotApiState, params: Params) -> Params:
    """Answer a File whose file_path can be downloaded from the file URL."""
    stored = state.files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()


@method("editMessageText")
def edit_message_text(state: BotApiState, params: Params) -> Params:
    """Answer the edited Message."""
    chat_id = chat_id_of(params)
    edited = _message(state, chat_id, text=_text(params), reply_markup=_inline_markup(params))
    return {**edited, "message_id": params.get("message_id"), "edit_date": now()}


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state: BotApiState, params: Params) -> Params:
    """Answer the edited Message (without its text, which the fake does not keep)."""
    chat_id = chat_id_of(params)
    edited = _message(state, chat_id, reply_markup=_inline_markup(params))
    return {**edited, "message_id": params.get("message_id"), "edit_date": now()}


@method("deleteMessage")
def delete_message(state: BotApiState, params: Params) -> bool:
    """Pretend to delete a message."""
    chat_id_of(params)
    return True


@method("answerCallbackQuery")
def answer_callback_query(state: BotApiState, params: Params) -> bool:
    """Acknowledge a button press."""
    if not params.get("callback_query_id"):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    return True


@method("sendChatAction")
def send_chat_action(state: BotApiState, params: Params) -> bool:
    """Accept a chat action such as typing or record_voice."""
    chat_id_of(params)
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("leaveChat")
def leave_chat(state: BotApiState, params: Params) -> bool:
    """Leave a group or channel."""
    chat_id_of(params)
    return True


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


@method("setMyCommands")
def set_my_commands(state: BotApiState, params: Params) -> bool:
    """Store the command list for a scope and language."""
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    with state.lock:
        state.commands[_commands_key(params)] = commands
    return True


@method("getMyCommands")
def get_my_commands(state: BotApiState, params: Params) -> list[Params]:
    """Answer the command list stored for a scope and language."""
    with state.lock:
        return list(state.commands.get(_commands_key(params), []))


@method("deleteMyCommands")
def delete_my_commands(state: BotApiState, params: Params) -> bool:
    """Forget the command list for a scope and language."""
    with state.lock:
        state.commands.pop(_commands_key(params), None)
    return True


@method("close")
def close(state: BotApiState, params: Params) -> bool:
    """Accept closing the bot instance."""
    return True


@method("logOut")
def log_out(state: BotApiState, params: Params) -> bool:
    """Accept logging out from the cloud Bot API."""
    return True
