"""Pseudonyms and sealed addresses: stable, opaque, and keyed by secrets the bot alone holds."""

import logging
import re
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.identity import (
    ADDRESS_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    Identity,
    IdentityKeyError,
    UnsealError,
    load_identity,
)
from bot.settings import BotSettings

USER_ID = 5_550_001_234


def identity(pseudonym_key: str = "a-key-of-some-length-0001") -> Identity:
    return Identity(pseudonym_key=pseudonym_key.encode(), address_key=Fernet.generate_key())


def test_pseudonym_is_stable_url_safe_and_fits_the_channel_contract() -> None:
    me = identity()
    pseudonym = me.pseudonym(USER_ID)
    assert pseudonym == me.pseudonym(USER_ID)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,128}", pseudonym)
    assert len(pseudonym) == 43
    assert str(USER_ID) not in pseudonym


def test_pseudonym_differs_by_person_and_by_key() -> None:
    assert identity().pseudonym(USER_ID) != identity().pseudonym(USER_ID + 1)
    assert identity("key-one-key-one-key-one").pseudonym(USER_ID) != identity(
        "key-two-key-two-key-two"
    ).pseudonym(USER_ID)


def test_sealed_address_opens_only_with_its_key() -> None:
    me = identity()
    sealed = me.seal(USER_ID)
    assert str(USER_ID).encode() not in sealed
    assert me.seal(USER_ID) != sealed  # fresh IV each time: two seals can't be matched up
    assert me.unseal(sealed) == USER_ID
    with pytest.raises(UnsealError):
        identity().unseal(sealed)
    with pytest.raises(UnsealError):
        me.unseal(b"not a sealed address")


def test_negative_chat_ids_survive_sealing() -> None:
    me = identity()
    assert me.unseal(me.seal(-1001234567890)) == -1001234567890


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_missing_keys_are_named(env: str, tmp_path: Path) -> None:
    settings = BotSettings(env=env, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(IdentityKeyError, match="HEARD_PSEUDONYM_KEY"):
        load_identity(settings)
    settings = BotSettings(
        env=env,
        data_dir=tmp_path,
        pseudonym_key=SecretStr("x" * 32),
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(IdentityKeyError, match="HEARD_ADDRESS_KEY"):
        load_identity(settings)
    assert not (tmp_path / PSEUDONYM_KEY_FILE).exists()


def test_a_malformed_address_key_is_refused_clearly(tmp_path: Path) -> None:
    settings = BotSettings(
        env="production",
        data_dir=tmp_path,
        pseudonym_key=SecretStr("x" * 32),
        address_key=SecretStr("not-a-fernet-key"),
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(IdentityKeyError, match="not a Fernet key"):
        load_identity(settings)


def test_development_makes_keys_once_keeps_them_private_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = BotSettings(env="development", data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    first = load_identity(settings)
    for name in (PSEUDONYM_KEY_FILE, ADDRESS_KEY_FILE):
        path = tmp_path / "data" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        key = path.read_text().strip()
        assert key not in caplog.text  # the warning names the file, never the key
    assert "HEARD_PSEUDONYM_KEY" in caplog.text and "HEARD_ADDRESS_KEY" in caplog.text
    assert "development only" in caplog.text

    caplog.clear()
    second = load_identity(settings)
    assert second.pseudonym(USER_ID) == first.pseudonym(USER_ID)
    assert second.unseal(first.seal(USER_ID)) == USER_ID
    assert caplog.text == ""  # made once, then reused quietly
