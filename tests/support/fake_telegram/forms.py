"""Decode Bot API request parameters from a query string, JSON, form or multipart body.

PTB 22 always POSTs. Without files it sends ``application/x-www-form-urlencoded`` where string
values are sent as they are and every other value (ints, bools, lists, dicts) is JSON-encoded;
with files it sends the same fields as ``multipart/form-data`` parts next to the file parts.
So a form value is JSON-decoded unless the parameter is one that holds free text.
"""

import json
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any
from urllib.parse import parse_qsl

from .state import UploadedFile

# Parameters whose values are text even when they look like JSON ("42", "true", "[1]").
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "file_id",
        "language_code",
        "action",
        "emoji",
        "title",
        "description",
        "question",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "query",
        "inline_query_id",
        "start_parameter",
        "payload",
        "message_effect_id",
        "business_connection_id",
        "ip_address",
        "name",
        "short_name",
        "file_path",
        "short_description",
        "sticker_set_name",
        "explanation",
        "voice",
        "audio",
        "document",
        "photo",
        "video",
        "animation",
        "video_note",
        "sticker",
        "thumbnail",
        "inline_message_id",
        "address",
        "foursquare_id",
        "google_place_id",
    }
)


class BadBody(ValueError):
    """The request body could not be decoded."""


def decode_value(name: str, value: Any) -> Any:
    """Turn a transmitted parameter value into the Python value it stands for."""
    if not isinstance(value, str) or name in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Return the parameters and uploaded files carried by a request body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}, {}
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadBody("can't parse JSON body") from exc
        if not isinstance(data, dict):
            raise BadBody("JSON body must be an object")
        return {k: decode_value(k, v) for k, v in data.items()}, {}
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body)
    # Telegram treats any other body as a form, as does this fake.
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: decode_value(k, v) for k, v in pairs}, {}


def _header_param(value: str, param: str) -> str | None:
    """Read one parameter (such as ``boundary`` or ``filename``) of a header value."""
    header = Message()
    header["x"] = value
    found = header.get_param(param, header="x")
    return None if found is None else collapse_rfc2231_value(found)


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise BadBody("multipart body without boundary")
    params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        filename = _header_param(disposition, "filename")
        if name is None:
            continue
        if filename is None:
            params[name] = decode_value(name, data.decode("utf-8", "replace"))
        else:
            files[name] = UploadedFile(
                filename=filename,
                content_type=headers.get("content-type"),
                data=data,
            )
            params[name] = data
    return params, files
