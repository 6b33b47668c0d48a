"""The stored codebook: tagging answers with it, seeding it, and coordinators' edits."""

from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy import delete, func, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db import session_scope
from api.errors import Conflict, Invalid, NotFound
from api.insights import counters
from api.models import Answer, AnswerTheme, LoopUpdate, Theme, ThemeProposal, utcnow
from api.prepared import Prepared, PreparedInsert
from api.themes.codebook import Codebook, ThemeEntry, describe_errors, load_codebook
from api.themes.tagging import Tagger

STATUSES = ("heard", "planned", "done", "not_possible")
NOTE_CHARS = 200

# Built taggers by codebook fingerprint: rebuilding one per message would be wasteful,
# and a coordinator's edit changes the fingerprint, so the cache never serves stale terms.
_taggers: dict[tuple[str, int, str], tuple[Tagger, dict[str, int]]] = {}
# Both run once per free-text answer: prepared, they cost microseconds (api.prepared).
_FINGERPRINT = Prepared(select(func.count(col(Theme.id)), func.max(Theme.updated_at)))
_INSERT_TAG = PreparedInsert(insert(AnswerTheme.__table__))  # type: ignore[attr-defined]


def get_tagger(session: Session) -> tuple[Tagger, dict[str, int]]:
    """Return a tagger for the stored themes and a map from theme slug to id."""
    row = _FINGERPRINT.first(session)
    count, latest = row if row is not None else (0, None)
    fingerprint = (str(session.get_bind().engine.url), int(count or 0), str(latest))
    cached = _taggers.get(fingerprint)
    if cached is not None:
        return cached
    themes = session.exec(select(Theme).order_by(col(Theme.id))).all()
    codebook = Codebook.model_validate(
        {
            "themes": [
                {"id": t.slug, "name": t.name[:80], "terms": t.terms, "exclude": t.exclude or {}}
                for t in themes
                if any(t.terms.values())
            ]
        }
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
                _INSERT_TAG.run(session, answer_id=answer.id, theme_id=theme_id)


# --- seeding ---------------------------------------------------------------------------


def seed_codebook(engine: Engine, codebook: Codebook | None = None) -> int:
    """Fill an empty theme table from the shipped codebook; return how many themes were added."""
    codebook = codebook or load_codebook()
    with session_scope(engine) as session:
        if session.exec(select(func.count(col(Theme.id)))).one():
            return 0  # coordinators own the codebook once it exists; never re-add deleted themes
    added = 0
    for entry in codebook.themes:
        # One theme per transaction, and a clash on the unique slug means another process
        # seeded it first: several API processes may start on one PostgreSQL at once.
        try:
            with session_scope(engine) as session:
                session.add(
                    Theme(
                        slug=entry.id,
                        name=entry.name,
                        terms=entry.terms,
                        exclude=entry.exclude,
                        source="codebook",
                    )
                )
            added += 1
        except IntegrityError:
            continue
    return added


# --- coordinators' edits ---------------------------------------------------------------


def _entry(
    slug: str, name: str, terms: dict[str, list[str]], exclude: dict[str, list[str]]
) -> ThemeEntry:
    """Check a theme as the codebook file would, with messages a coordinator can act on."""
    try:
        return ThemeEntry(id=slug, name=name, terms=terms, exclude=exclude)
    except ValidationError as exc:
        raise Invalid(describe_errors(exc)) from exc


def _slug_from(name: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in name.lower()).split()
    slug = "_".join(w for w in words if w.isascii())[:48].strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"theme_{slug}".strip("_")[:48]
    return slug if len(slug) >= 2 else "theme"


def _free_slug(session: Session, slug: str) -> str:
    taken = set(session.exec(select(Theme.slug).where(col(Theme.slug).startswith(slug))).all())
    if slug not in taken:
        return slug
    number = 2
    while f"{slug[:44]}_{number}" in taken:
        number += 1
    return f"{slug[:44]}_{number}"


def get_theme(session: Session, *, theme_id: int) -> Theme:
    """Return a theme or raise NotFound."""
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise NotFound(f"There is no theme {theme_id}.")
    return theme


def list_themes(session: Session) -> list[Theme]:
    """Return every theme of the codebook, in the order they were added."""
    return list(session.exec(select(Theme).order_by(col(Theme.id))).all())


def create_theme(
    session: Session,
    *,
    name: str,
    terms: dict[str, list[str]],
    slug: str | None = None,
    exclude: dict[str, list[str]] | None = None,
    source: str = "codebook",
) -> Theme:
    """Add a theme to the codebook; answers are retagged afterwards."""
    if slug is not None and session.exec(select(Theme.id).where(Theme.slug == slug)).first():
        raise Conflict(f"A theme with the slug {slug!r} exists already; choose another.")
    slug = slug or _free_slug(session, _slug_from(name))
    entry = _entry(slug, name, terms, exclude or {})
    theme = Theme(
        slug=entry.id, name=entry.name, terms=entry.terms, exclude=entry.exclude, source=source
    )
    session.add(theme)
    session.flush()
    counters.bump(session, counters.CODEBOOK_VERSION)
    return theme


def update_theme(
    session: Session,
    *,
    theme_id: int,
    name: str | None = None,
    terms: dict[str, list[str]] | None = None,
    exclude: dict[str, list[str]] | None = None,
) -> Theme:
    """Rename a theme or change its terms; a change of terms retags answers afterwards."""
    theme = get_theme(session, theme_id=theme_id)
    entry = _entry(
        theme.slug,
        name if name is not None else theme.name[:80],
        terms if terms is not None else theme.terms,
        exclude if exclude is not None else (theme.exclude or {}),
    )
    theme.name, theme.terms, theme.exclude = entry.name, entry.terms, entry.exclude
    theme.updated_at = utcnow()
    session.add(theme)
    if terms is not None or exclude is not None:
        counters.bump(session, counters.CODEBOOK_VERSION)
    session.flush()
    return theme


def delete_theme(session: Session, *, theme_id: int) -> None:
    """Remove a theme and its tags; refuse when "you said, we did" updates refer to it."""
    theme = get_theme(session, theme_id=theme_id)
    if session.exec(select(LoopUpdate.id).where(LoopUpdate.theme_id == theme_id)).first():
        raise Conflict(
            "People were told about this theme in a 'you said, we did' update, so it stays. "
            "Set its status to not_possible or done instead."
        )
    # Explicit deletes rather than trusting each database's foreign-key cascade.
    session.execute(delete(AnswerTheme).where(col(AnswerTheme.theme_id) == theme_id))
    for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.theme_id == theme_id)):
        proposal.theme_id = None
        session.add(proposal)
    session.delete(theme)
    session.flush()
    counters.bump(session, counters.CODEBOOK_VERSION)


def set_status(session: Session, *, theme_id: int, status: str, note: str = "") -> Theme:
    """Record what is being done about a theme: heard, planned, done or not_possible."""
    if status not in STATUSES:
        raise Invalid(f"Status must be one of {', '.join(STATUSES)}.")
    note = " ".join(note.split())
    if len(note) > NOTE_CHARS:
        raise Invalid(f"The note is {len(note)} characters; keep it to {NOTE_CHARS} or fewer.")
    theme = get_theme(session, theme_id=theme_id)
    theme.status, theme.note, theme.updated_at = status, note, utcnow()
    session.add(theme)
    session.flush()
    return theme
