"""Benchmark insights over a million stored answers, on SQLite and PostgreSQL.

Generates answers the way a year of a busy deployment might leave them (sites, flows,
faces, languages, weeks, themes on free text, ~50k people), then times the summary,
themes and trends endpoints with and without filters, and the raw SQL GROUP BY that
gives the same figures, and prints the ratio. Also prints tagging throughput and the
time discovery takes over 100,000 texts.

Run from the repository root: .venv/bin/python bench/insights.py [--answers N] [--no-postgres]
The SQLite file is cached under /tmp between runs; PostgreSQL uses a database heard_bench.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import select  # noqa: E402

from api.app import create_app  # noqa: E402
from api.db import create_schema, make_engine, session_scope  # noqa: E402
from api.deps import hash_key  # noqa: E402
from api.insights import counters  # noqa: E402
from api.models import ApiKey, Theme  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.themes.codebook import load_codebook  # noqa: E402
from api.themes.discovery import discover  # noqa: E402
from api.themes.service import seed_codebook  # noqa: E402
from api.themes.tagging import Tagger  # noqa: E402

GENERATOR_VERSION = 4
SQLITE_PATH = Path("/tmp/heard_bench_insights_v{version}_{answers}.db")
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/heard_bench"
START = datetime(2025, 3, 3)
SITES = 12
LANGUAGES = (("en", 0.8), ("pl", 0.12), ("ro", 0.08))
# What each flow asks, in order: (question, "face" | "text" | choice categories).
FLOWS = {
    "checkin": [
        ("how", "face"),
        ("helped", "text"),
        ("hard", "text"),
        ("more", ["yes", "no"]),
        ("tell_more", "text"),
    ],
    "feedback": [
        ("rate", "face"),
        ("good", "text"),
        ("change", "text"),
        ("recommend", ["yes", "not_sure", "no"]),
    ],
    "codesign": [
        ("vote", ["yes", "not_sure", "no"]),
        ("has_idea", ["yes", "no"]),
        ("idea", "text"),
    ],
}
FLOW_WEIGHTS = (("checkin", 0.6), ("feedback", 0.3), ("codesign", 0.1))


def _theme_texts() -> Callable[[int, int], list[str]]:
    """Return bench/themes.py's generator of messy realistic answers."""
    spec = importlib.util.spec_from_file_location("bench_themes", ROOT / "bench" / "themes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generated_texts  # type: ignore[no-any-return]


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def generate(answers: int, people: int, seed: int = 7) -> Iterator[tuple]:
    """Yield ("run", row) and ("answer", row) in time order until `answers` answers exist."""
    rng = random.Random(seed)
    site_weights = [1 / (i + 1) ** 0.8 for i in range(SITES)]
    person_site = rng.choices(range(1, SITES + 1), site_weights, k=people)
    person_lang = [_pick(rng, LANGUAGES) for _ in range(people)]
    activity = [rng.lognormvariate(0, 1.0) for _ in range(people)]
    pool = _theme_texts()(40_000, 3)
    total_seconds = 52 * 7 * 86400
    made = 0
    # Runs in time order: draw times, then sort, so ids rise with time as in production.
    runs_wanted = answers // 3 + 1000
    times = sorted(rng.randrange(total_seconds) for _ in range(runs_wanted))
    people_of_runs = rng.choices(range(people), activity, k=runs_wanted)
    for run_id, (second, person) in enumerate(zip(times, people_of_runs, strict=True), 1):
        if made >= answers:
            return
        at = START + timedelta(seconds=second)
        flow = _pick(rng, FLOW_WEIGHTS)
        roll = rng.random()
        status = "completed" if roll < 0.72 else "stopped" if roll < 0.9 else "expired"
        steps = FLOWS[flow]
        if status != "completed":
            steps = steps[: rng.randrange(1, len(steps))]
        site, lang = person_site[person], person_lang[person]
        yield (
            "run",
            (run_id, f"p{person:06d}", flow, site, lang, status, at, at + timedelta(minutes=3)),
        )
        mood = 3.4 + (site % 4 - 1.5) * 0.3
        for question, kind in steps:
            if made >= answers:
                return
            made += 1
            moment = at + timedelta(seconds=20 * made % 180)
            if kind == "face":
                face = min(5, max(1, round(rng.gauss(mood, 1.1))))
                row = (f"p{person:06d}", site, flow, question, str(face), str(face), face, False)
            elif kind == "text":
                words = rng.choice(pool)
                row = (f"p{person:06d}", site, flow, question, "other", words, None, True)
            else:
                choice = rng.choice(kind)
                row = (f"p{person:06d}", site, flow, question, choice, choice, None, False)
            yield ("answer", (made, run_id, *row, lang, moment))


def _tag_ids(engine: Engine) -> tuple[Tagger, dict[str, int]]:
    with session_scope(engine) as session:
        themes = {t.slug: t.id for t in session.exec(select(Theme)).all()}
    return Tagger(load_codebook()), themes  # type: ignore[return-value]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_sqlite(answers: int, people: int) -> Path:
    """Create (or reuse) the cached SQLite benchmark database."""
    path = Path(str(SQLITE_PATH).format(version=GENERATOR_VERSION, answers=answers))
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    create_schema(engine)
    counters.install(engine)
    seed_codebook(engine)
    tagger, theme_ids = _tag_ids(engine)
    engine.dispose()
    connection = sqlite3.connect(partial)
    connection.execute("PRAGMA synchronous=OFF")
    connection.executemany(
        "INSERT INTO site (id, name, created_at) VALUES (?, ?, ?)",
        [(i, f"Site {i}", _stamp(START)) for i in range(1, SITES + 1)],
    )
    runs, rows, tags = [], [], []
    tag_cache: dict[tuple[str, str], list[str]] = {}

    def flush() -> None:
        connection.executemany(
            "INSERT INTO run (id, pseudonym, flow, site_id, language, status, started_at, ended_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        connection.executemany(
            "INSERT INTO answer (id, run_id, pseudonym, site_id, flow, question, category, value,"
            " number, free_text, result, language, created_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.executemany("INSERT INTO answer_theme (answer_id, theme_id) VALUES (?, ?)", tags)
        runs.clear(), rows.clear(), tags.clear()

    for kind, row in generate(answers, people):
        if kind == "run":
            run_id, pseudonym, flow, site, lang, status, at, end = row
            runs.append((run_id, pseudonym, flow, site, lang, status, _stamp(at), _stamp(end)))
            continue
        (
            answer_id,
            run_id,
            pseudonym,
            site,
            flow,
            question,
            category,
            value,
            number,
            free,
            lang,
            at,
        ) = row
        rows.append(
            (
                answer_id,
                run_id,
                pseudonym,
                site,
                flow,
                question,
                category,
                value,
                number,
                int(free),
                question,
                lang,
                _stamp(at),
            )
        )
        if free:
            key = (value, lang)
            if key not in tag_cache:
                tag_cache[key] = tagger.tag(value, lang)
            tags.extend((answer_id, theme_ids[slug]) for slug in tag_cache[key])
        if len(rows) >= 50_000:
            flush()
    flush()
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(path)
    return path


def build_postgres(answers: int, people: int) -> str | None:
    """Create the PostgreSQL benchmark database with COPY; None when PostgreSQL is absent."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute("DROP DATABASE IF EXISTS heard_bench WITH (FORCE)")
            admin.execute("CREATE DATABASE heard_bench")
    except psycopg.OperationalError:
        return None
    engine = make_engine(POSTGRES_URL)
    create_schema(engine)
    counters.install(engine)
    seed_codebook(engine)
    tagger, theme_ids = _tag_ids(engine)
    engine.dispose()
    tag_cache: dict[tuple[str, str], list[str]] = {}
    with psycopg.connect(POSTGRES_URL.replace("+psycopg", "")) as connection:
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY site (id, name, created_at) FROM STDIN") as copy,
        ):
            for i in range(1, SITES + 1):
                copy.write_row((i, f"Site {i}", START))
        run_rows, answer_rows, tag_rows = [], [], []
        for kind, row in generate(answers, people):
            if kind == "run":
                run_rows.append(row[:8])
                continue
            (
                answer_id,
                run_id,
                pseudonym,
                site,
                flow,
                question,
                category,
                value,
                number,
                free,
                lang,
                at,
            ) = row
            answer_rows.append(
                (
                    answer_id,
                    run_id,
                    pseudonym,
                    site,
                    flow,
                    question,
                    category,
                    value,
                    number,
                    free,
                    question,
                    lang,
                    at,
                )
            )
            if free:
                key = (value, lang)
                if key not in tag_cache:
                    tag_cache[key] = tagger.tag(value, lang)
                tag_rows.extend((answer_id, theme_ids[slug]) for slug in tag_cache[key])
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY run (id, pseudonym, flow, site_id, language, status, started_at,"
                " ended_at) FROM STDIN"
            ) as copy:
                for row in run_rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY answer (id, run_id, pseudonym, site_id, flow, question, category,"
                " value, number, free_text, result, language, created_at)"
                " FROM STDIN"
            ) as copy:
                for row in answer_rows:
                    copy.write_row(row)
            with cursor.copy("COPY answer_theme (answer_id, theme_id) FROM STDIN") as copy:
                for row in tag_rows:
                    copy.write_row(row)
            for table in ("site", "run", "answer"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                cursor.execute(f"SELECT setval({sequence}, (SELECT MAX(id) FROM {table}))")
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    return POSTGRES_URL


# --- measuring -------------------------------------------------------------------------

FILTERS = {
    "none": {},
    "site": {"site_id": 3},
    "site+language": {"site_id": 1, "language": "pl"},
    "quarter": {"since": "2025-06-02", "until": "2025-08-31"},
    "site+language+quarter": {
        "site_id": 1,
        "language": "en",
        "since": "2025-06-02",
        "until": "2025-08-31",
    },
    "flow+question": {"flow": "checkin", "question": "how"},
}


def _where(
    filters: dict[str, object], dialect: str, alias: str = ""
) -> tuple[str, dict[str, object]]:
    prefix = f"{alias}." if alias else ""
    clauses, params = ["1 = 1"], {}
    for name, column in (
        ("site_id", "site_id"),
        ("flow", "flow"),
        ("question", "question"),
        ("language", "language"),
    ):
        if name in filters:
            clauses.append(f"{prefix}{column} = :{name}")
            params[name] = filters[name]
    if "since" in filters:
        clauses.append(f"{prefix}created_at >= :since")
        params["since"] = datetime.fromisoformat(str(filters["since"]))
    if "until" in filters:
        clauses.append(f"{prefix}created_at < :until")
        params["until"] = datetime.fromisoformat(str(filters["until"])) + timedelta(days=1)
    return " AND ".join(clauses), params


def raw_sql(endpoint: str, filters: dict[str, object], dialect: str) -> list[tuple[str, dict]]:
    """Return the plain GROUP BY queries that give an endpoint's figures (no suppression)."""
    where, params = _where(filters, dialect)
    run_filters = {k: v for k, v in filters.items() if k != "question"}
    run_where, run_params = _where(run_filters, dialect)
    run_where = run_where.replace("created_at", "started_at")
    tag_where, tag_params = _where(filters, dialect, "a")
    week = (
        "date(created_at, 'weekday 0', '-6 days')"
        if dialect == "sqlite"
        else "date_trunc('week', created_at)"
    )
    themes = (
        f"SELECT t.theme_id, COUNT(*), COUNT(DISTINCT a.pseudonym) FROM answer_theme t "
        f"JOIN answer a ON a.id = t.answer_id WHERE {tag_where} GROUP BY t.theme_id",
        tag_params,
    )
    if endpoint == "themes":
        return [themes]
    if endpoint == "trends":
        return [
            (
                f"SELECT {week} AS week, COUNT(*), COUNT(DISTINCT pseudonym) FROM answer "
                f"WHERE {where} GROUP BY week",
                params,
            )
        ]
    return [
        (f"SELECT COUNT(*), COUNT(DISTINCT pseudonym) FROM answer WHERE {where}", params),
        (
            f"SELECT flow, question, number, COUNT(*), COUNT(DISTINCT pseudonym) FROM answer "
            f"WHERE {where} AND number IS NOT NULL GROUP BY flow, question, number",
            params,
        ),
        (
            f"SELECT status, COUNT(*), COUNT(DISTINCT pseudonym) FROM run WHERE {run_where} "
            f"GROUP BY status",
            run_params,
        ),
        themes,
    ]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


class Arrivals:
    """New answers arriving while coordinators read: a run and a few answers at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rng = random.Random(99)
        with engine.connect() as connection:
            self.run_id = int(connection.execute(text("SELECT MAX(id) FROM run")).scalar() or 0)
            self.answer_id = int(
                connection.execute(text("SELECT MAX(id) FROM answer")).scalar() or 0
            )
            self.at = connection.execute(text("SELECT MAX(created_at) FROM answer")).scalar()
        if isinstance(self.at, str):
            self.at = datetime.fromisoformat(self.at)

    def add(self, answers: int = 5) -> None:
        """Store one run and `answers` answers, as the channel would."""
        self.run_id += 1
        finished = self.run_id - 1  # the previous run ends as this one starts
        person = f"p{self.rng.randrange(60_000):06d}"
        site, lang = self.rng.randrange(1, SITES + 1), _pick(self.rng, LANGUAGES)
        with self.engine.begin() as connection:
            connection.execute(
                text("UPDATE run SET status = 'completed', ended_at = :at WHERE id = :id"),
                {"id": finished, "at": self.at},
            )
            connection.execute(
                text(
                    "INSERT INTO run (id, pseudonym, flow, site_id, language, status, started_at)"
                    " VALUES (:id, :p, 'checkin', :site, :lang, 'active', :at)"
                ),
                {"id": self.run_id, "p": person, "site": site, "lang": lang, "at": self.at},
            )
            for _ in range(answers):
                self.answer_id += 1
                face = self.rng.randrange(1, 6)
                connection.execute(
                    text(
                        "INSERT INTO answer (id, run_id, pseudonym, site_id, flow, question,"
                        " result, category, value, number, free_text, language, created_at)"
                        " VALUES (:id, :run, :p, :site, 'checkin', 'how', 'mood', :c, :v, :n,"
                        " false, :lang, :at)"
                    ),
                    {
                        "id": self.answer_id,
                        "run": self.run_id,
                        "p": person,
                        "site": site,
                        "c": str(face),
                        "v": str(face),
                        "n": face,
                        "lang": lang,
                        "at": self.at,
                    },
                )


def measure(url: str, label: str, repeat: int) -> list[tuple]:
    """Time every endpoint and filter set through the real app, and the raw SQL beside it."""
    engine = make_engine(url)
    settings = Settings(env="development", database_url=url, data_dir=Path("/tmp/heard_bench_data"))
    app = create_app(settings, engine=engine)
    key = "hk_bench_" + secrets.token_urlsafe(16)
    with session_scope(engine) as session:
        session.add(ApiKey(role="coordinator", key_hash=hash_key(key), prefix=key[:10]))
    headers = {"Authorization": f"Bearer {key}"}
    arrivals = Arrivals(engine)
    results = []
    with TestClient(app) as client:
        started = time.perf_counter()
        client.get("/v1/insights/trends", headers=headers).raise_for_status()
        load = time.perf_counter() - started
        print(f"\n{label}: first request (loads every answer into memory): {load:.1f} s")
        print("first: the first request for a filter set; live: each after a run ended and 5 new")
        print("answers were stored; same: repeated with nothing new; sql: plain GROUP BY queries.")
        print(
            f"{'endpoint':8} {'filters':22} {'first':>6} {'live p50':>8} {'live p95':>8}"
            f" {'same p95':>8} {'sql p50':>8} {'sql p95':>8} {'ratio':>6}"
        )
        for endpoint in ("summary", "themes", "trends"):
            for name, filters in FILTERS.items():
                path = f"/v1/insights/{endpoint}"

                def call(path: str = path, filters: dict[str, object] = filters) -> float:
                    began = time.perf_counter()
                    client.get(path, params=filters, headers=headers).raise_for_status()
                    return time.perf_counter() - began

                first = call() * 1000
                live = []
                for _ in range(repeat):
                    arrivals.add()
                    live.append(call())
                same = [call() for _ in range(repeat)]
                sql = []
                queries = raw_sql(endpoint, filters, engine.dialect.name)
                with engine.connect() as connection:
                    for _ in range(max(3, repeat // 3)):
                        began = time.perf_counter()
                        for query, params in queries:
                            connection.execute(text(query), params).all()
                        sql.append(time.perf_counter() - began)
                p50, p95 = _percentiles(live)
                _, same95 = _percentiles(same)
                s50, s95 = _percentiles(sql)
                ratio = p95 / s95
                results.append((label, endpoint, name, p50, p95, same95, s50, s95, ratio, first))
                print(
                    f"{endpoint:8} {name:22} {first:6.0f} {p50:8.1f} {p95:8.1f} {same95:8.1f}"
                    f" {s50:8.1f} {s95:8.1f} {ratio:6.2f}"
                )
    engine.dispose()
    return results


def tagging_and_discovery() -> None:
    """Print tagging throughput and discovery time over 100,000 texts."""
    texts = _theme_texts()(100_000, 11)
    tagger = Tagger(load_codebook())
    started = time.perf_counter()
    for value in texts:
        tagger.tag(value, "en")
    seconds = time.perf_counter() - started
    print(
        f"\ntagging: {len(texts) / seconds:,.0f} texts/s over {len(texts):,} texts (fresh tagger)"
    )
    rng = random.Random(5)
    items = [(value, f"p{rng.randrange(20_000)}") for value in texts]
    started = time.perf_counter()
    found = discover(items, min_group=5, max_themes=8)
    seconds = time.perf_counter() - started
    print(f"discovery: {seconds:.1f} s over {len(items):,} texts, {len(found)} proposals", end="")
    print(" (budget 30 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    path = build_sqlite(args.answers, args.people)
    print(f"SQLite database {path} ready in {time.perf_counter() - started:.0f} s")
    results = measure(f"sqlite:///{path}", "SQLite", args.repeat)
    if not args.no_postgres:
        started = time.perf_counter()
        url = build_postgres(args.answers, args.people)
        if url is None:
            print("\nPostgreSQL is not reachable at 127.0.0.1:5432: skipped")
        else:
            print(
                f"\nPostgreSQL database heard_bench loaded in {time.perf_counter() - started:.0f} s"
            )
            results += measure(url, "PostgreSQL", args.repeat)
    worst = max(results, key=lambda r: r[4])
    print(f"\nworst p95: {worst[4]:.1f} ms ({worst[0]} {worst[1]} {worst[2]}); goal < 100 ms")
    print(f"worst ratio to raw SQL: {max(r[8] for r in results):.2f} (goal <= 2)")
    tagging_and_discovery()


if __name__ == "__main__":
    main()
