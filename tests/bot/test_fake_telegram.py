"""The fake Bot API server, driven by real PTB (Bot and Application) over real HTTP."""

import asyncio
import datetime as dtm
import json
import socket
import threading
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fake_telegram import SECRET_HEADER, BackgroundServer, FakeTelegram, updates
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Bot as PtbBot
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


def make_bot(tg: FakeTelegram, token: str | None = None) -> PtbBot:
    return PtbBot(token or tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)


def make_application(tg: FakeTelegram) -> Application:
    return (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )


def seconds(value: int | dtm.timedelta) -> float:
    """Read a PTB duration that is an int today and a timedelta with PTB_TIMEDELTA=true."""
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


async def test_get_me_answers_the_fake_bot(fake_telegram: FakeTelegram) -> None:
    async with make_bot(fake_telegram) as bot:
        me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (7000000001, "heard_test_bot", True)
    assert [call.method for call in fake_telegram.sent] == ["getMe", "getMe"]


async def test_send_message_is_recorded_with_chat_text_and_markup(
    fake_telegram: FakeTelegram,
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("😀 Good", callback_data="rate:5")]])
    async with make_bot(fake_telegram) as bot:
        first = await bot.send_message(42, "How was it?", reply_markup=keyboard)
        second = await bot.send_message(42, "123")

    asked, answered = fake_telegram.messages_to(42)
    assert (asked.method, asked.chat_id, asked.text) == ("sendMessage", 42, "How was it?")
    assert asked.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "😀 Good", "callback_data": "rate:5"}]]
    }
    assert answered.text == "123"  # free text stays text even when it looks like JSON
    assert asked.at <= answered.at
    assert first.reply_markup == keyboard
    assert first.from_user.username == "heard_test_bot"
    assert first.chat.type == "private"
    assert second.message_id > first.message_id


async def test_send_message_refuses_what_telegram_refuses(fake_telegram: FakeTelegram) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    async with make_bot(fake_telegram) as bot:
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(42, "hi", reply_markup=too_long)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(42, "x" * 4097)

    assert fake_telegram.messages_to(42) == []
    assert [call.status for call in fake_telegram.sent[1:]] == [400, 400]


async def test_uploaded_voice_round_trips_through_get_file(fake_telegram: FakeTelegram) -> None:
    audio = b"OggS\x00\x02" + bytes(range(256)) * 40 + b"\r\n--\r\n"
    async with make_bot(fake_telegram) as bot:
        sent = await bot.send_voice(42, audio, duration=3)
        file = await bot.get_file(sent.voice.file_id)
        downloaded = await file.download_as_bytearray()
        again = await bot.send_voice(43, sent.voice.file_id)

    assert bytes(downloaded) == audio
    assert sent.voice.file_size == len(audio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert seconds(sent.voice.duration) == 3
    assert again.voice.file_unique_id == sent.voice.file_unique_id
    (upload,) = fake_telegram.messages_to(42)
    assert upload.params["voice"] == audio
    assert upload.files["voice"].data == audio
    assert fake_telegram.messages_to(43)[0].params["voice"] == sent.voice.file_id


async def test_added_file_can_be_fetched_and_unknown_ids_are_refused(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.add_file("voice-from-user", b"OggS-note", file_path="voice/file_7.oga")
    async with make_bot(fake_telegram) as bot:
        file = await bot.get_file("voice-from-user")
        data = await file.download_as_bytearray()
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nobody-uploaded-this")
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
            await bot.send_voice(42, "nobody-uploaded-this")

    assert bytes(data) == b"OggS-note"
    assert file.file_path.endswith("/voice/file_7.oga")


async def reply_to_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the deep-link argument."""
    await update.message.reply_text(f"start {' '.join(context.args or [])}")


async def shout_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text in capitals."""
    await update.message.reply_text(update.message.text.upper())


async def test_polling_application_answers_injected_updates(fake_telegram: FakeTelegram) -> None:
    app = make_application(fake_telegram)
    app.add_handler(CommandHandler("start", reply_to_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, shout_back))
    command = fake_telegram.inject(updates.command(42, "/start", args="CODE"))

    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await fake_telegram.wait_for_sent_async(1, chat_id=42)
        fake_telegram.inject(updates.text(42, "hello"))
        replies = await fake_telegram.wait_for_sent_async(2, chat_id=42, method="sendMessage")
        await app.updater.stop()
        await app.stop()

    assert [reply.text for reply in replies] == ["start CODE", "HELLO"]
    assert replies[0].result["message_id"] > command["message"]["message_id"]
    assert fake_telegram.pending_updates == []  # PTB confirmed both on the way out
    polls = [call for call in fake_telegram.calls if call.method == "getUpdates"]
    assert polls[0].params["timeout"] == 1


async def test_get_updates_confirms_by_offset_and_wakes_a_long_poll() -> None:
    async with FakeTelegram(max_long_poll=10) as tg, make_bot(tg) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=15))
        await asyncio.sleep(0.05)  # let the poll reach the server first, usually
        first = tg.inject(updates.text(42, "one"))
        (got,) = await poll
        tg.inject({"update_id": 500_000_000, **updates.text(42, "two")})
        third = tg.inject(updates.text(42, "three"))
        rest = await bot.get_updates(offset=got.update_id + 1, timeout=0)
        done = await bot.get_updates(offset=third["update_id"] + 1, timeout=0)

    assert got.update_id == first["update_id"]
    assert [update.message.text for update in rest] == ["two", "three"]
    assert third["update_id"] == 500_000_001
    assert done == ()
    assert tg.pending_updates == []


async def test_allowed_updates_set_aside_other_update_types(fake_telegram: FakeTelegram) -> None:
    fake_telegram.inject(updates.callback_query(42, "rate:5"))
    fake_telegram.inject(updates.text(42, "kept"))
    async with make_bot(fake_telegram) as bot:
        got = await bot.get_updates(allowed_updates=["message"], timeout=0)

    assert [update.message.text for update in got] == ["kept"]
    assert [kind for update in fake_telegram.filtered_updates for kind in update] == [
        "callback_query",
        "update_id",
    ]


async def test_webhook_posts_injected_updates_in_order_with_the_secret(
    fake_telegram: FakeTelegram,
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receive(request: Request) -> Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    with BackgroundServer(receiver, name="test-webhook-receiver") as server:
        url = f"{server.url}/hook"
        async with make_bot(fake_telegram) as bot:
            await bot.set_webhook(url, secret_token="s3cret_T0ken", allowed_updates=["message"])
            info = await bot.get_webhook_info()
            first = fake_telegram.inject(updates.text(42, "one"))
            second = fake_telegram.inject(updates.voice(42, "voice-1"))
            await fake_telegram.wait_for_async(
                lambda: sum(delivery.ok for delivery in fake_telegram.webhook_deliveries) == 2
            )
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates(timeout=0)

    assert received == [("s3cret_T0ken", first), ("s3cret_T0ken", second)]
    assert fake_telegram.webhook == {
        "url": url,
        "secret_token": "s3cret_T0ken",
        "allowed_updates": ["message"],
        "drop_pending_updates": False,
        "max_connections": 40,
    }
    assert (info.url, info.allowed_updates) == (url, ("message",))
    assert fake_telegram.pending_updates == []


async def test_webhook_retries_then_reports_the_error() -> None:
    with socket.socket() as closed:  # bound but not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
        tg = FakeTelegram(webhook_attempts=2, webhook_backoff=0.01)
        async with tg, make_bot(tg) as bot:
            await bot.set_webhook(url)
            update = tg.inject(updates.text(42, "lost"))
            await tg.wait_for_async(lambda: len(tg.webhook_deliveries) == 2)
            await tg.wait_for_async(lambda: not tg.pending_updates)
            info = await bot.get_webhook_info()

    assert [(d.update_id, d.attempt, d.ok) for d in tg.webhook_deliveries] == [
        (update["update_id"], 1, False),
        (update["update_id"], 2, False),
    ]
    assert info.last_error_message


async def test_delete_webhook_returns_to_polling(fake_telegram: FakeTelegram) -> None:
    async with make_bot(fake_telegram) as bot:
        await bot.set_webhook("http://127.0.0.1:9/hook")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        await bot.delete_webhook(drop_pending_updates=True)
        fake_telegram.inject(updates.text(42, "after"))
        got = await bot.get_updates(timeout=0)

    assert fake_telegram.webhook is None
    assert [update.message.text for update in got] == ["after"]


async def test_fail_next_429_raises_retry_after_once(fake_telegram: FakeTelegram) -> None:
    fake_telegram.fail_next("sendmessage", retry_after=3)
    async with make_bot(fake_telegram) as bot:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB warns that retry_after becomes a timedelta
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(42, "hi")
            assert seconds(caught.value.retry_after) == 3
        await bot.send_message(42, "hi")

    assert [call.status for call in fake_telegram.sent if call.method == "sendMessage"] == [
        429,
        200,
    ]
    assert len(fake_telegram.messages_to(42)) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequest), (403, Forbidden), (409, Conflict), (502, NetworkError)],
)
async def test_fail_next_other_statuses_raise_ptb_errors(
    fake_telegram: FakeTelegram, status: int, error: type[Exception]
) -> None:
    fake_telegram.fail_next("sendVoice", status)
    async with make_bot(fake_telegram) as bot:
        with pytest.raises(error):
            await bot.send_voice(42, b"OggS")


async def test_blocked_chat_raises_forbidden(fake_telegram: FakeTelegram) -> None:
    fake_telegram.block_chat(42)
    async with make_bot(fake_telegram) as bot:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(42, "hi")
        with pytest.raises(Forbidden):
            await bot.send_voice(42, b"OggS")
        await bot.send_message(43, "others still get messages")
        fake_telegram.unblock_chat(42)
        await bot.send_message(42, "back")

    assert [call.text for call in fake_telegram.messages_to(42)] == ["back"]


async def test_unknown_method_and_wrong_token_are_refused(fake_telegram: FakeTelegram) -> None:
    async with make_bot(fake_telegram) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 42})
    with pytest.raises(InvalidToken):
        async with make_bot(fake_telegram, token="1:WRONG"):  # initialize() calls getMe
            pass

    unknown, wrong = fake_telegram.sent[-2:]
    assert (unknown.method, unknown.status, unknown.chat_id) == ("sendTelepathy", 404, 42)
    assert (wrong.method, wrong.status) == ("getMe", 401)


async def test_json_form_and_query_parameters_decode_alike(fake_telegram: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    async with httpx.AsyncClient(base_url=f"{fake_telegram.base_url}{fake_telegram.token}") as c:
        answers = [
            await c.post("/sendmessage", json={"chat_id": 5, "text": "42", "reply_markup": markup}),
            await c.post(
                "/sendMessage",
                data={"chat_id": "5", "text": "42", "reply_markup": json.dumps(markup)},
            ),
            await c.get(
                "/SENDMESSAGE",
                params={"chat_id": "5", "text": "42", "reply_markup": json.dumps(markup)},
            ),
        ]

    assert [answer.json()["ok"] for answer in answers] == [True, True, True]
    calls = fake_telegram.messages_to(5)
    assert [call.params for call in calls] == [
        {"chat_id": 5, "text": "42", "reply_markup": markup}
    ] * 3
    assert [call.result["message_id"] for call in calls] == [1, 2, 3]


async def test_commands_and_small_methods(fake_telegram: FakeTelegram) -> None:
    commands = [BotCommand("start", "Begin"), BotCommand("stop", "Stop and delete")]
    async with make_bot(fake_telegram) as bot:
        assert await bot.set_my_commands(commands)
        assert await bot.set_my_commands([BotCommand("start", "Anfangen")], language_code="de")
        assert await bot.get_my_commands() == tuple(commands)
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == ()
        assert await bot.answer_callback_query("4000000000000000001", text="Saved")
        assert await bot.send_chat_action(42, "record_voice")
        assert await bot.leave_chat(-1001234567890)
        assert await bot.close()
        assert await bot.log_out()

    assert [call.method for call in fake_telegram.sent[-5:]] == [
        "answerCallbackQuery",
        "sendChatAction",
        "leaveChat",
        "close",
        "logOut",
    ]


def test_wait_for_sent_times_out_listing_what_was_sent(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.base_url}{fake_telegram.token}/sendMessage"
    httpx.post(url, json={"chat_id": 42, "text": "hello there"})

    with pytest.raises(AssertionError, match=r"(?s)chat_id=7.*sendMessage -> 200.*hello there"):
        fake_telegram.wait_for_sent(chat_id=7, timeout=0.05)
    assert fake_telegram.wait_for_sent(chat_id=42)[0].text == "hello there"


async def test_blocking_wait_inside_an_event_loop_is_refused(fake_telegram: FakeTelegram) -> None:
    with pytest.raises(RuntimeError, match="wait_for_sent_async"):
        fake_telegram.wait_for_sent(chat_id=42)


async def test_fake_stops_cleanly_and_frees_its_port() -> None:
    tg = FakeTelegram()
    await asyncio.to_thread(tg.start)
    port, thread = tg.port, tg.thread
    async with make_bot(tg) as bot:
        polling = asyncio.create_task(bot.get_updates(timeout=1))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(tg.stop)
        await asyncio.gather(polling, return_exceptions=True)

    assert thread is not None and not thread.is_alive()
    assert thread not in threading.enumerate()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # fails while anything still listens there


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "text": lambda: updates.text(42, "hello"),
    "command": lambda: updates.command(42, "/start", args="CODE"),
    "voice": lambda: updates.voice(42, "voice-1", duration=5, file_size=9000),
    "sticker": lambda: updates.sticker(42),
    "photo": lambda: updates.photo(42, caption="the broken lift"),
    "document": lambda: updates.document(42),
    "location": lambda: updates.location(42),
    "contact": lambda: updates.contact(42),
    "poll": lambda: updates.poll(42),
    "edited_text": lambda: updates.edited_text(42, "fixed typo", message_id=7),
    "callback_query": lambda: updates.callback_query(42, "rate:5"),
    "group_text": lambda: updates.group_text(-1001234567890, 42, "hi all", chat_type="supergroup"),
    "my_chat_member_blocked": lambda: updates.my_chat_member_blocked(42),
    "my_chat_member_unblocked": lambda: updates.my_chat_member_unblocked(42),
}


def assert_within(built: Any, read: Any, path: str = "update") -> None:
    """Assert that every field built is in what PTB read back, with the same value."""
    if isinstance(built, dict):
        assert isinstance(read, dict), path
        for key, value in built.items():
            assert key in read, f"PTB dropped {path}.{key}"
            assert_within(value, read[key], f"{path}.{key}")
    elif isinstance(built, list):
        assert isinstance(read, list) and len(read) == len(built), path
        for index, (one, other) in enumerate(zip(built, read, strict=True)):
            assert_within(one, other, f"{path}[{index}]")
    else:
        assert built == read, path


@pytest.mark.parametrize("name", BUILDERS)
def test_builders_make_updates_ptb_reads_whole(name: str) -> None:
    raw = {"update_id": 1, **BUILDERS[name]()}
    update = Update.de_json(raw, None)

    assert_within(raw, json.loads(update.to_json()))  # PTB kept every field: no typos
    user = update.effective_user
    assert (user.id, user.first_name, user.last_name, user.username) == (
        42,
        "Alex",
        "Taylor",
        "alex_t",
    )


def test_command_builder_carries_the_bot_command_entity() -> None:
    message = updates.command(42, "start", args="CODE")["message"]

    assert message["text"] == "/start CODE"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


def test_channel_post_and_block_builders_have_telegram_shapes() -> None:
    post = Update.de_json({"update_id": 1, **updates.channel_post(-1009876543210, "news")}, None)
    blocked = Update.de_json({"update_id": 2, **updates.my_chat_member_blocked(42)}, None)

    assert (post.channel_post.chat.type, post.channel_post.text) == ("channel", "news")
    assert blocked.my_chat_member.chat.type == "private"
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
