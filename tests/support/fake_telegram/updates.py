"""Build Telegram updates as plain dicts in Bot API JSON shape.

Builders leave out ``update_id``: ``FakeTelegram.inject`` assigns it, so updates are numbered in
the order they are queued. To feed a builder's output straight to PTB, add one yourself:
``Update.de_json({"update_id": 1, **updates.text(42, "hi")}, bot)``.

Every user carries a first name, last name, username and language code, so privacy tests have
identifying data to look for.
"""

import itertools
import time
from typing import Any

BOT_USER: dict[str, Any] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Heard",
    "username": "heard_test_bot",
}
"""The fake bot's identity, as answered by getMe and used as ``from`` of the bot's messages."""

_message_ids = itertools.count(2001)
_callback_ids = itertools.count(4_000_000_000_000_000_001)
_file_numbers = itertools.count(1)


def now() -> int:
    """Return the current Unix time, as Telegram dates are."""
    return int(time.time())


def user(
    user_id: int,
    *,
    first_name: str = "Alex",
    last_name: str | None = "Taylor",
    username: str | None = "alex_t",
    language_code: str | None = "en",
) -> dict[str, Any]:
    """Build a human Telegram user."""
    built: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name is not None:
        built["last_name"] = last_name
    if username is not None:
        built["username"] = username
    if language_code is not None:
        built["language_code"] = language_code
    return built


def private_chat(sender: dict[str, Any]) -> dict[str, Any]:
    """Build the private chat between the bot and a user."""
    chat = {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
    for key in ("last_name", "username"):
        if key in sender:
            chat[key] = sender[key]
    return chat


def message(
    user_id: int,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    key: str = "message",
    **profile: Any,
) -> dict[str, Any]:
    """Build an update holding a bare message from a user in a private chat; add content keys."""
    sender = user(user_id, **profile)
    chat = private_chat(sender)
    if chat_id is not None and chat_id != user_id:
        chat = {"id": chat_id, "type": "private"}
    body = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "from": sender,
        "chat": chat,
        "date": now(),
    }
    return {key: body}


def _with(update: dict[str, Any], **content: Any) -> dict[str, Any]:
    (body,) = update.values()
    body.update(content)
    return update


def _file_ids(prefix: str) -> tuple[str, str]:
    number = next(_file_numbers)
    return f"{prefix}AAxkBAAI{number:06d}TestFile", f"AgAD{number:06d}"


def text(user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    """Build a text message in the user's private chat with the bot."""
    return _with(message(user_id, **kwargs), text=text)


def command(
    user_id: int,
    command: str,
    args: str | None = None,
    *,
    bot_username: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Build a command message (with the ``bot_command`` entity PTB's CommandHandler needs)."""
    name = command if command.startswith("/") else f"/{command}"
    if bot_username:
        name = f"{name}@{bot_username}"
    body = name if args is None else f"{name} {args}"
    entity = {"type": "bot_command", "offset": 0, "length": len(name)}
    return _with(message(user_id, **kwargs), text=body, entities=[entity])


def voice(
    user_id: int,
    file_id: str | None = None,
    duration: int = 4,
    file_size: int = 7_000,
    *,
    mime_type: str = "audio/ogg",
    file_unique_id: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Build a voice note; pair with ``FakeTelegram.add_file(file_id, data)`` to download it."""
    made_id, made_unique = _file_ids("AwAC")
    return _with(
        message(user_id, **kwargs),
        voice={
            "file_id": file_id or made_id,
            "file_unique_id": file_unique_id or made_unique,
            "duration": duration,
            "mime_type": mime_type,
            "file_size": file_size,
        },
    )


def sticker(user_id: int, emoji: str = "👍", **kwargs: Any) -> dict[str, Any]:
    """Build a (regular, static) sticker message."""
    file_id, unique_id = _file_ids("CAAC")
    return _with(
        message(user_id, **kwargs),
        sticker={
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": 24_000,
        },
    )


def photo(user_id: int, caption: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Build a photo message with two sizes and an optional caption."""
    sizes = []
    for width, height, size in ((90, 68, 1_500), (800, 600, 61_000)):
        file_id, unique_id = _file_ids("AgAC")
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique_id,
                "width": width,
                "height": height,
                "file_size": size,
            }
        )
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    return _with(message(user_id, **kwargs), **content)


def document(
    user_id: int,
    file_name: str = "notes.pdf",
    mime_type: str = "application/pdf",
    file_size: int = 12_345,
    caption: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Build a document (file) message."""
    file_id, unique_id = _file_ids("BQAC")
    content: dict[str, Any] = {
        "document": {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": file_size,
        }
    }
    if caption is not None:
        content["caption"] = caption
    return _with(message(user_id, **kwargs), **content)


def location(
    user_id: int, latitude: float = 51.5072, longitude: float = -0.1276, **kwargs: Any
) -> dict[str, Any]:
    """Build a location message (central London by default)."""
    return _with(
        message(user_id, **kwargs), location={"latitude": latitude, "longitude": longitude}
    )


def contact(user_id: int, phone_number: str = "+447700900123", **kwargs: Any) -> dict[str, Any]:
    """Build a message sharing the user's own contact (phone number included)."""
    update = message(user_id, **kwargs)
    sender = update["message"]["from"]
    shared = {"phone_number": phone_number, "first_name": sender["first_name"], "user_id": user_id}
    if "last_name" in sender:
        shared["last_name"] = sender["last_name"]
    return _with(update, contact=shared)


def poll(
    user_id: int,
    question: str = "Which day suits you?",
    options: tuple[str, ...] = ("Monday", "Friday"),
    **kwargs: Any,
) -> dict[str, Any]:
    """Build a message carrying a regular poll the user created."""
    return _with(
        message(user_id, **kwargs),
        poll={
            "id": str(next(_callback_ids)),
            "question": question,
            "options": [
                # persistent_id is required since Bot API 9.6 (PTB 22.8 refuses options without)
                {"text": option, "voter_count": 0, "persistent_id": f"opt{n}"}
                for n, option in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            # required since Bot API 9.6 and 10.0
            "allows_revoting": False,
            "members_only": False,
        },
    )


def edited_text(
    user_id: int, text: str, message_id: int | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Build an ``edited_message`` update: the user changed an earlier text."""
    update = message(user_id, message_id=message_id, key="edited_message", **kwargs)
    body = update["edited_message"]
    body["date"] -= 30
    return _with(update, text=text, edit_date=now())


def callback_query(
    user_id: int,
    data: str,
    *,
    message_id: int | None = None,
    message_text: str = "How was your visit?",
    chat_id: int | None = None,
    **profile: Any,
) -> dict[str, Any]:
    """Build a button press on an inline keyboard under one of the bot's messages."""
    sender = user(user_id, **profile)
    chat = private_chat(sender)
    if chat_id not in (None, user_id):
        chat = {"id": chat_id, "type": "private"}
    return {
        "callback_query": {
            "id": str(next(_callback_ids)),
            "from": sender,
            "chat_instance": f"-{user_id}0042",
            "data": data,
            "message": {
                "message_id": message_id if message_id is not None else next(_message_ids),
                "from": dict(BOT_USER),
                "chat": chat,
                "date": now() - 5,
                "text": message_text,
            },
        }
    }


def group_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    chat_type: str = "group",
    title: str = "Riverside residents",
    **profile: Any,
) -> dict[str, Any]:
    """Build a text message in a group or supergroup the bot was added to."""
    return {
        "message": {
            "message_id": next(_message_ids),
            "from": user(user_id, **profile),
            "chat": {"id": chat_id, "type": chat_type, "title": title},
            "date": now(),
            "text": text,
        }
    }


def channel_post(chat_id: int, text: str, *, title: str = "Heard news") -> dict[str, Any]:
    """Build a post in a channel where the bot is an admin."""
    chat = {"id": chat_id, "type": "channel", "title": title}
    return {
        "channel_post": {
            "message_id": next(_message_ids),
            "sender_chat": chat,
            "chat": chat,
            "date": now(),
            "text": text,
        }
    }


def _my_chat_member(user_id: int, old: str, new: str, **profile: Any) -> dict[str, Any]:
    sender = user(user_id, **profile)

    def member(status: str) -> dict[str, Any]:
        built: dict[str, Any] = {"user": dict(BOT_USER), "status": status}
        if status == "kicked":
            built["until_date"] = 0
        return built

    return {
        "my_chat_member": {
            "chat": private_chat(sender),
            "from": sender,
            "date": now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
    }


def my_chat_member_blocked(user_id: int, **profile: Any) -> dict[str, Any]:
    """Build the update Telegram sends when a user blocks the bot."""
    return _my_chat_member(user_id, "member", "kicked", **profile)


def my_chat_member_unblocked(user_id: int, **profile: Any) -> dict[str, Any]:
    """Build the update Telegram sends when a user unblocks the bot."""
    return _my_chat_member(user_id, "kicked", "member", **profile)
