"""Spoken prompts: real espeak-ng and opusenc when installed, a clear 503 when they are not."""

import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from heard_testing import bearer
from sqlalchemy.engine import Engine

from api.app import create_app
from api.channel.texts import HOST_TEXTS
from api.errors import NotFound
from api.prompts.service import PromptSpeaker, audio_url, prompts_dir, shared_index
from api.prompts.speech import (
    LONG_TEXT,
    MAX_BYTES,
    PromptIndex,
    library_texts,
    prompt_id,
    register_texts,
    spoken_form,
)
from api.settings import Settings
from flows import load_library
from flows.texts import SYSTEM_TEXTS

HAVE_TOOLS = bool(shutil.which("espeak-ng") and shutil.which("opusenc"))
needs_tools = pytest.mark.skipif(
    not HAVE_TOOLS,
    reason="espeak-ng and opusenc are not installed (Debian: apt-get install espeak-ng opus-tools)",
)

QUESTION = "How are things for you today?"
TOOLS_MISSING = {
    "error": "unavailable",
    "detail": "Voice prompts need espeak-ng and opus-tools "
    "(Debian: apt-get install espeak-ng opus-tools).",
}


def _url(text: str, language: str = "en") -> str:
    return f"/v1/channel/audio/{prompt_id(text, language)}.ogg"


@pytest.fixture
def no_tools_client(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The app on a machine without espeak-ng and opusenc."""
    nowhere = tmp_path / "no-tools"
    hidden = settings.model_copy(
        update={"espeak_path": str(nowhere / "espeak-ng"), "opusenc_path": str(nowhere / "opusenc")}
    )
    with TestClient(create_app(hidden, engine=engine), raise_server_exceptions=False) as client:
        yield client


# --- ids and the index --------------------------------------------------------------------


def test_prompt_id_is_32_hex_and_depends_on_language() -> None:
    key = prompt_id(QUESTION, "en")
    assert len(key) == 32
    assert int(key, 16) >= 0
    assert key == prompt_id(QUESTION, "en")
    assert key != prompt_id(QUESTION, "pl")
    assert key != prompt_id(QUESTION + " ", "en")


def test_index_keeps_fixed_texts_and_bounds_runtime_ones() -> None:
    index = PromptIndex(runtime_limit=3)
    fixed = index.add_fixed("Hello", "en")
    keys = [index.remember(f"Idea {n}", "en") for n in range(5)]
    assert index.lookup(fixed) == ("Hello", "en")
    assert index.lookup(keys[0]) is None
    assert index.lookup(keys[1]) is None
    assert [index.lookup(k) for k in keys[2:]] == [
        ("Idea 2", "en"),
        ("Idea 3", "en"),
        ("Idea 4", "en"),
    ]
    index.lookup(keys[2])  # recently used: survives the next addition
    index.remember("Idea 5", "en")
    assert index.lookup(keys[2]) is not None
    assert index.lookup(keys[3]) is None
    assert index.remember("Hello", "en") == fixed
    assert len(index) == 4


def test_every_flow_message_in_every_language_is_indexed() -> None:
    index = PromptIndex()
    library = load_library()
    count = register_texts(index, library_texts(library))
    assert count > 50
    checkin = library.get("checkin")
    assert checkin is not None
    for language, text in checkin.nodes["how"].say.items():
        assert index.lookup(prompt_id(text, language)) == (text, language)
    assert {language for _, language in library_texts(library)} >= {"en", "pl", "ro"}


def test_the_app_indexes_flow_and_system_texts_at_start(settings: Settings, engine: Engine) -> None:
    shared_index.cache_clear()  # a fresh process
    app = create_app(settings, engine=engine)
    index = app.state.prompts
    assert index.lookup(prompt_id(QUESTION, "en")) is None
    with TestClient(app):
        assert index.lookup(prompt_id(QUESTION, "en")) == (QUESTION, "en")
        assert index.lookup(prompt_id("Jak się dziś masz?", "pl")) == ("Jak się dziś masz?", "pl")
        assert index.lookup(prompt_id("Ce limbă vrei?", "ro")) == ("Ce limbă vrei?", "ro")
        # The engine's own words and the API's are there too.
        for text in (SYSTEM_TEXTS["help"]["pl"], HOST_TEXTS["voice_on"]["en"]):
            assert index.lookup(prompt_id(text, "pl" if text.startswith("Dotknij") else "en"))


def test_spoken_form_drops_emoji_and_keeps_letters() -> None:
    assert spoken_form("😊 Jak się masz? 👍🏽 1️⃣ Tak ✅") == "Jak się masz? 1 Tak"
    assert spoken_form("Mulțumesc 🙏") == "Mulțumesc"
    assert audio_url(text="👍👍", language="en") is None


def test_audio_url_remembers_a_filled_in_template() -> None:
    index = PromptIndex()
    url = audio_url(text="Here is an idea: longer opening hours", language="en", index=index)
    key = prompt_id("Here is an idea: longer opening hours", "en")
    assert url == f"/v1/channel/audio/{key}.ogg"
    assert index.lookup(key) == ("Here is an idea: longer opening hours", "en")


# --- the endpoint -------------------------------------------------------------------------


def test_unknown_and_malformed_ids_are_not_found(
    client: TestClient, channel_headers: dict[str, str]
) -> None:
    for path in (
        _url("Something Heard never says"),
        "/v1/channel/audio/not-an-id.ogg",
        "/v1/channel/audio/" + "A" * 32 + ".ogg",
    ):
        response = client.get(path, headers=channel_headers)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"
    # A slash never reaches the handler: routing itself answers 404.
    hostile = client.get("/v1/channel/audio/..%2F..%2Fvoice.key.ogg", headers=channel_headers)
    assert hostile.status_code == 404


def test_prompts_need_the_channel_token(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get(_url(QUESTION)).status_code == 401
    assert client.get(_url(QUESTION), headers=bearer(keys["admin"])).status_code == 401


def test_missing_tools_give_a_clear_503_and_a_log_line_without_text(
    no_tools_client: TestClient,
    channel_headers: dict[str, str],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.prompts"):
        response = no_tools_client.get(_url(QUESTION), headers=channel_headers)
    assert response.status_code == 503
    assert response.json() == TOOLS_MISSING
    assert "prompt audio unavailable: missing" in caplog.text
    assert QUESTION not in caplog.text
    assert not list(prompts_dir(settings).glob("*"))


def test_unknown_id_is_404_even_without_tools(
    no_tools_client: TestClient, channel_headers: dict[str, str]
) -> None:
    response = no_tools_client.get(_url("never said"), headers=channel_headers)
    assert response.status_code == 404


def test_cached_audio_is_served_without_the_tools(
    no_tools_client: TestClient, channel_headers: dict[str, str], settings: Settings
) -> None:
    cached = prompts_dir(settings) / f"{prompt_id(QUESTION, 'en')}.ogg"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"OggS cached")
    response = no_tools_client.get(_url(QUESTION), headers=channel_headers)
    assert response.status_code == 200
    assert response.content == b"OggS cached"


def test_a_failing_tool_is_a_503_and_leaves_no_partial_file(
    settings: Settings, engine: Engine, channel_headers: dict[str, str], tmp_path: Path
) -> None:
    silent, failing = tmp_path / "silent-espeak", tmp_path / "failing-opusenc"
    silent.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
    failing.write_text('#!/bin/sh\ncat >/dev/null\necho half > "$9"\nexit 1\n')
    for script in (silent, failing):
        script.chmod(0o755)
    broken = settings.model_copy(update={"espeak_path": str(silent), "opusenc_path": str(failing)})
    with TestClient(create_app(broken, engine=engine), raise_server_exceptions=False) as client:
        response = client.get(_url(QUESTION), headers=channel_headers)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert list(prompts_dir(settings).iterdir()) == []


# --- real speech --------------------------------------------------------------------------


@needs_tools
def test_a_question_is_spoken_as_small_ogg_opus_and_cached(
    client: TestClient, channel_headers: dict[str, str], settings: Settings
) -> None:
    response = client.get(_url(QUESTION), headers=channel_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/ogg"
    assert response.content.startswith(b"OggS")
    assert b"OpusHead" in response.content[:200]
    assert 1000 < len(response.content) <= MAX_BYTES
    cached = prompts_dir(settings) / f"{prompt_id(QUESTION, 'en')}.ogg"
    first_mtime = cached.stat().st_mtime_ns
    again = client.get(_url(QUESTION), headers=channel_headers)
    assert again.content == response.content
    assert cached.stat().st_mtime_ns == first_mtime


@needs_tools
@pytest.mark.parametrize(
    ("text", "language"),
    [("Jak się dziś masz?", "pl"), ("Cum îți merge azi?", "ro")],
)
def test_polish_and_romanian_are_spoken(
    client: TestClient, channel_headers: dict[str, str], text: str, language: str
) -> None:
    response = client.get(_url(text, language), headers=channel_headers)
    assert response.status_code == 200
    assert response.content.startswith(b"OggS")


@needs_tools
def test_a_long_message_is_spoken_at_the_lower_bitrate_under_one_megabyte(
    settings: Settings,
) -> None:
    index = PromptIndex()
    text = ("We heard that the night shelter needs more beds and kinder staff. " * 30)[:1600]
    assert len(text) > LONG_TEXT
    key = index.remember(text, "en")
    path = PromptSpeaker().audio_path(settings, index=index, key=key)
    assert path.read_bytes().startswith(b"OggS")
    assert path.stat().st_size <= MAX_BYTES


@needs_tools
def test_a_reply_audio_url_from_the_channel_plays(
    client: TestClient, engine: Engine, channel_headers: dict[str, str]
) -> None:
    body = {"channel": "telegram", "participant": "prompt-participant-000001", "message_id": "1"}
    response = client.post(
        "/v1/channel/messages", json={**body, "text": "hi"}, headers=channel_headers
    )
    assert response.status_code == 200
    replies = response.json()["replies"]
    assert replies and all(reply["audio_url"] for reply in replies)
    audio = client.get(replies[-1]["audio_url"], headers=channel_headers)
    assert audio.status_code == 200
    assert audio.content.startswith(b"OggS")


@needs_tools
def test_concurrent_requests_make_one_whole_file(settings: Settings) -> None:
    index = PromptIndex()
    key = index.remember("Thank you. You are all set.", "en")
    speaker = PromptSpeaker()
    results: list[bytes] = []
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            results.append(speaker.audio_path(settings, index=index, key=key).read_bytes())
        except BaseException as exc:  # collected, so the test fails with it
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 8
    assert len(set(results)) == 1
    assert results[0].startswith(b"OggS")
    assert [p.name for p in prompts_dir(settings).iterdir()] == [f"{key}.ogg"]


def test_speaker_refuses_ids_it_cannot_name_a_file_by(settings: Settings) -> None:
    speaker = PromptSpeaker()
    for bad in ("../../etc/passwd", "", "g" * 32, "a" * 33):
        with pytest.raises(NotFound):
            speaker.audio_path(settings, index=PromptIndex(), key=bad)
