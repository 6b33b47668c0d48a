"""The spoken version of a message, for adapters whose participant asked for questions read out."""

import logging
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import FileResponse

from api.channel.library import library_for
from api.deps import ChannelAuth, SettingsDep
from api.prompts.service import PromptSpeaker, shared_index
from api.prompts.speech import library_texts, missing_tools, register_texts, system_texts

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/channel", tags=["channel"])


@router.get(
    "/audio/{prompt_id}.ogg",
    response_class=FileResponse,
    summary="Get the spoken version of a message",
    description="OGG/Opus (1 MB at most) of a reply's text, made with espeak-ng and opusenc and "
    "cached on disk. Use the `audio_url` of a reply. 404 for an id Heard never said; 503 when "
    "the speech tools are not installed (Debian: `apt-get install espeak-ng opus-tools`).",
    responses={
        200: {"content": {"audio/ogg": {}}},
        404: {"description": "Not the id of anything Heard says."},
        503: {"description": "espeak-ng or opusenc is missing, or failed."},
    },
)
def get_prompt_audio(
    prompt_id: Annotated[str, Path(description="From a reply's audio_url.", max_length=64)],
    _auth: ChannelAuth,
    settings: SettingsDep,
    request: Request,
) -> FileResponse:
    speaker: PromptSpeaker = request.app.state.prompt_speaker
    path = speaker.audio_path(settings, index=request.app.state.prompts, key=prompt_id)
    # The id is a hash of the text: the same URL always means the same sound.
    return FileResponse(
        path, media_type="audio/ogg", headers={"Cache-Control": "private, max-age=86400"}
    )


def setup(app: FastAPI) -> None:
    """Give the app its prompt index and speaker; fill the index with every fixed text at start."""
    app.state.prompts = shared_index()
    app.state.prompt_speaker = PromptSpeaker()

    async def _index_texts(app: FastAPI) -> None:
        settings = app.state.settings
        try:
            library = library_for(app.state, settings)
        except Exception as exc:  # a broken custom flow is reported by the channel, not here
            logger.warning("prompt index: flows not loaded (%s)", type(exc).__name__)
            library = None
        count = register_texts(app.state.prompts, system_texts())
        if library is not None:
            count += register_texts(app.state.prompts, library_texts(library))
        missing = missing_tools(settings)
        if missing:
            logger.warning(
                "voice prompts are off until %s installed (Debian: espeak-ng opus-tools)",
                " and ".join(missing) + (" are" if len(missing) > 1 else " is"),
            )
        logger.info("prompt index ready", extra={"prompts": count})

    app.state.startup_hooks.append(_index_texts)
