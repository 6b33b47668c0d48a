"""Rollups kept between requests agree with counting everything afresh, whatever arrives."""

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from insights_builder import MONDAY, Builder, person
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import select

from api.db import create_schema, make_engine, session_scope
from api.insights import counters, rollup, service
from api.insights.filters import Filters
from api.insights.snapshot import SnapshotStore
from api.models import Run, Theme
from api.participants.service import forget

FILTERS = [
    Filters(),
    Filters(site_id=1),
    Filters(site_id=2, language="pl"),
    Filters(flow="checkin", question="how"),
    Filters(question="hard"),
    Filters(since=MONDAY.date(), until=(MONDAY + timedelta(days=8)).date()),
    Filters(site_id=1, since=(MONDAY + timedelta(days=7)).date()),
]

batch = st.lists(
    st.tuples(
        st.integers(1, 12),  # person
        st.sampled_from([1, 2]),  # site
        st.sampled_from(["en", "pl"]),
        st.integers(0, 2),  # week
        st.integers(1, 5),  # face
        st.booleans(),  # also a tagged text answer
        st.booleans(),  # the run ends completed
    ),
    min_size=1,
    max_size=8,
)


def _figures(store: SnapshotStore, themes: dict[int, Theme]) -> list[Any]:
    def work(snapshot):  # type: ignore[no-untyped-def]
        return [
            (
                service.summary(snapshot, filters=f, k=3, themes=themes),
                service.themes_list(snapshot, filters=f, k=3, themes=themes),
                service.trends(snapshot, filters=f, k=3),
            )
            for f in FILTERS
        ]

    return store.use(work)


def _add(build: Builder, rows: list[Any], theme: int) -> list[int]:
    runs = []
    for who, site, lang, week, face, text, _ in rows:
        at = MONDAY + timedelta(days=7 * week)
        run = build.run(person(who), site_id=site, language=lang, status="active", at=at)
        runs.append(run)
        build.answer(person(who), number=face, site_id=site, language=lang, at=at, run_id=run)
        if text:
            build.answer(
                person(who),
                question="hard",
                text="waited",
                site_id=site,
                language=lang,
                at=at,
                run_id=run,
                themes=(theme,),
            )
    return runs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(batch, min_size=2, max_size=4), forget_one=st.booleans())
def test_figures_after_new_answers_equal_a_fresh_count(
    batches: list[list[Any]], forget_one: bool
) -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    counters.install(engine)
    build = Builder(engine)
    build.site("one"), build.site("two")
    with session_scope(engine) as session:
        session.add(Theme(slug="waiting_times", name="Waiting", terms={"en": ["wait"]}))
    theme = build.theme_id("waiting_times")
    with session_scope(engine) as session:
        themes = {t.id: t for t in session.exec(select(Theme)) if t.id is not None}
    kept = SnapshotStore(engine)
    original, rollup.BULK_ROWS = rollup.BULK_ROWS, 5  # first counts in bulk, arrivals bit by bit
    try:
        _arrive(engine, build, kept, themes, theme, batches, forget_one)
    finally:
        rollup.BULK_ROWS = original
    engine.dispose()


def _arrive(
    engine: Engine,
    build: Builder,
    kept: SnapshotStore,
    themes: dict[int, Theme],
    theme: int,
    batches: list[list[Any]],
    forget_one: bool,
) -> None:
    for number, rows in enumerate(batches):
        runs = _add(build, rows, theme)
        _figures(kept, themes)  # a request between arrivals
        with session_scope(engine) as session:
            done = [r for r, row in zip(runs, rows, strict=True) if row[6]]
            session.execute(
                update(Run)
                .where(Run.id.in_(done))
                .values(  # type: ignore[union-attr]
                    status="completed", ended_at=MONDAY
                )
            )
        if forget_one and number == 1:
            with session_scope(engine) as session:
                forget(session, pseudonym=person(rows[0][0]))
        assert _figures(kept, themes) == _figures(SnapshotStore(engine), themes)


def test_a_store_picks_up_answers_and_deletions_through_its_own_engine(
    engine: Engine, build: Builder
) -> None:
    counters.install(engine)
    store = SnapshotStore(engine)
    assert len(store.current().answers["id"]) == 0
    build.site()
    build.answer(person(1), number=3)
    assert len(store.current().answers["id"]) == 1
    with session_scope(engine) as session:
        forget(session, pseudonym=person(1))
    assert len(store.current().answers["id"]) == 0


@settings(max_examples=60, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 15), st.integers(0, 2047)), max_size=60), max_size=5
    ),
    bulk=st.sampled_from([0, 10, 1_000_000]),
)
def test_a_rollup_counts_rows_and_distinct_people_like_sets_do(
    batches: list[list[tuple[int, int]]], bulk: int
) -> None:
    import numpy as np

    original = rollup.BULK_ROWS
    rollup.BULK_ROWS = bulk  # both ways of marking: per bit, and through unpacked blocks
    try:
        counted = rollup.Rollup(16, 2048)
        seen: dict[int, set[int]] = {}
        rows: dict[int, int] = {}
        for pairs in batches:
            keys = np.array([key for key, _ in pairs], dtype=np.int64)
            people = np.array([who for _, who in pairs], dtype=np.int64)
            counted.add(keys, people)
            for key, who in pairs:
                seen.setdefault(key, set()).add(who)
                rows[key] = rows.get(key, 0) + 1
            assert counted.n.tolist() == [rows.get(key, 0) for key in range(16)]
            assert counted.g.tolist() == [len(seen.get(key, ())) for key in range(16)]
        probe_keys = np.arange(16).repeat(4)
        probe_people = np.tile(np.array([0, 5, 100, 2047]), 16)
        expected = [
            who in seen.get(key, set()) for key, who in zip(probe_keys, probe_people, strict=True)
        ]
        assert counted.seen(probe_keys, probe_people).tolist() == expected
    finally:
        rollup.BULK_ROWS = original
