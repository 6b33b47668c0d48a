"""Theme tagging against the stored codebook."""

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, select

from api.models import Answer, AnswerTheme, Theme
from api.themes.codebook import Codebook
from api.themes.tagging import Tagger

# Built taggers by codebook fingerprint: rebuilding one per message would be wasteful,
# and a coordinator's edit changes the fingerprint, so the cache never serves stale terms.
_taggers: dict[tuple[int, str], tuple[Tagger, dict[str, int]]] = {}


def get_tagger(session: Session) -> tuple[Tagger, dict[str, int]]:
    """Return a tagger for the stored themes and a map from theme slug to id."""
    count, latest = session.exec(select(func.count(Theme.id), func.max(Theme.updated_at))).one()
    fingerprint = (int(count or 0), str(latest))
    cached = _taggers.get(fingerprint)
    if cached is not None:
        return cached
    themes = session.exec(select(Theme).order_by(Theme.id)).all()
    codebook = Codebook.model_validate(
        {"themes": [{"id": t.slug, "name": t.name, "terms": t.terms} for t in themes]}
    )
    built = (Tagger(codebook), {t.slug: t.id for t in themes if t.id is not None})
    _taggers.clear()
    _taggers[fingerprint] = built
    return built


def tag_answers(session: Session, answers: Sequence[Answer]) -> None:
    """Tag free-text answers with every theme that fits."""
    texts = [a for a in answers if a.free_text and a.value and a.id is not None]
    if not texts:
        return
    tagger, ids = get_tagger(session)
    for answer in texts:
        for slug in tagger.tag(answer.value or "", answer.language):
            theme_id = ids.get(slug)
            if theme_id is not None and answer.id is not None:
                session.add(AnswerTheme(answer_id=answer.id, theme_id=theme_id))
