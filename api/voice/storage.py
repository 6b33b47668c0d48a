"""Voice answers on disk, encrypted with HEARD_VOICE_KEY (Fernet) and named by a UUID.

A voice note can carry someone's name, voice and story, so it never touches the disk in the
clear, and it is deleted as soon as a coordinator has transcribed it.
"""

import logging
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import event
from sqlmodel import Session

from api.errors import Invalid, NotFound, Unavailable
from api.settings import Settings

logger = logging.getLogger(__name__)

KEY_FILE = "voice.key"


class VoiceKeyError(RuntimeError):
    """The voice key is missing (in production) or is not a valid Fernet key."""


def voice_dir(settings: Settings) -> Path:
    """Return the folder of encrypted voice notes."""
    return Path(settings.data_dir) / "voice"


def _valid_id(voice_id: str) -> str | None:
    # Only the canonical UUID form names a file, so no id can reach outside the folder.
    try:
        parsed = uuid.UUID(voice_id)
    except (ValueError, TypeError, AttributeError):
        return None
    return str(parsed) if str(parsed) == voice_id else None


def _path(settings: Settings, voice_id: str) -> Path:
    valid = _valid_id(voice_id)
    if valid is None:
        raise NotFound("No voice note has that id.")
    return voice_dir(settings) / f"{valid}.bin"


def is_voice_id(voice_id: str) -> bool:
    """Return whether `voice_id` is a canonical UUID, the only form a voice note is named by."""
    return _valid_id(voice_id) is not None


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _development_key(settings: Settings) -> bytes:
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
            os.chmod(tmp, 0o600)
            # link() refuses to replace, so two processes starting at once agree on one key.
            os.link(tmp, path)
            logger.warning(
                "HEARD_VOICE_KEY is not set: voice notes are encrypted with a key generated "
                "in the data folder (%s). Set HEARD_VOICE_KEY before going live.",
                KEY_FILE,
            )
        except FileExistsError:
            pass
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path.read_bytes().strip()


def voice_cipher(settings: Settings) -> Fernet:
    """Return the cipher for voice notes, or raise VoiceKeyError when there is no usable key."""
    if settings.voice_key is not None and settings.voice_key.get_secret_value():
        key = settings.voice_key.get_secret_value().encode()
    elif settings.env == "production":
        raise VoiceKeyError(
            "HEARD_VOICE_KEY must be set in production. Make one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    else:
        key = _development_key(settings)
    try:
        return Fernet(key)
    except ValueError as exc:
        raise VoiceKeyError(
            "HEARD_VOICE_KEY is not a valid key: it must be 32 bytes in URL-safe base64."
        ) from exc


def _cipher_or_unavailable(settings: Settings) -> Fernet:
    try:
        return voice_cipher(settings)
    except VoiceKeyError as exc:
        raise Unavailable(str(exc)) from exc


def store_audio(settings: Settings, *, voice_id: str, data: bytes) -> int:
    """Encrypt and write a voice note; return its size in bytes."""
    if not is_voice_id(voice_id):
        raise Invalid("A voice note id is a UUID.")
    path = _path(settings, voice_id)
    _write_atomically(path, _cipher_or_unavailable(settings).encrypt(data))
    return len(data)


def load_audio(settings: Settings, *, voice_id: str) -> bytes:
    """Read and decrypt a voice note, or raise NotFound."""
    path = _path(settings, voice_id)
    try:
        token = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("That voice note's audio is gone (transcribed or past retention).") from None
    try:
        return _cipher_or_unavailable(settings).decrypt(token)
    except InvalidToken:
        raise Unavailable(
            "That voice note cannot be decrypted with the current HEARD_VOICE_KEY."
        ) from None


def delete_audio(settings: Settings, *, voice_id: str) -> bool:
    """Delete a voice note's file; return whether there was one."""
    valid = _valid_id(voice_id)
    if valid is None:
        return False
    path = voice_dir(settings) / f"{valid}.bin"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def delete_audio_for(settings: Settings, voice_ids: Iterable[str]) -> int:
    """Delete the files of these voice notes; return how many were there."""
    return sum(delete_audio(settings, voice_id=voice_id) for voice_id in voice_ids)


def delete_audio_after_commit(
    session: Session, settings: Settings, voice_ids: Iterable[str]
) -> None:
    """Delete these voice notes' files once `session` commits (never if it rolls back)."""
    ids = list(voice_ids)
    if not ids:
        return

    def _delete(_session: Session) -> None:
        delete_audio_for(settings, ids)

    # Deleting first and failing to commit would lose audio the database still lists.
    event.listen(session, "after_commit", _delete, once=True)
