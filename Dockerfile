# syntax=docker/dockerfile:1
# Heard: one image for `heard api`, `heard bot` and `heard serve`.
#
#   docker build -t heard .
#   docker compose up -d        (see docker-compose.yml and .env.example)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: install the package and its wheels into a venv we copy whole -------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# Dependencies first, from the metadata alone, so a code change does not reinstall them.
WORKDIR /src
COPY pyproject.toml README.md ./
RUN mkdir -p flows api bot heard \
    && touch flows/__init__.py api/__init__.py bot/__init__.py heard/__init__.py \
    && pip install . \
    && pip uninstall -y heard

COPY flows ./flows
COPY api ./api
COPY bot ./bot
COPY heard ./heard
RUN pip install --no-deps . \
    # The test suites of numpy, scipy and scikit-learn are ~25 MB nobody runs here,
    # and pip itself is not needed at run time.
    && find /opt/venv -depth -type d -name tests -path '*/site-packages/*' \
         \( -path '*/numpy/*' -o -path '*/scipy/*' -o -path '*/sklearn/*' \) -exec rm -rf {} + \
    && pip uninstall -y pip setuptools \
    # Compile once here: the runtime user cannot write __pycache__ into a root-owned venv.
    && python -m compileall -q -j0 /opt/venv/lib > /dev/null

# --- runtime: the venv, the voice tools and a user with no privileges ------------------
FROM ${PYTHON_IMAGE} AS runtime

# espeak-ng speaks the questions, opusenc turns them into Telegram voice notes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng opus-tools \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 heard \
    && useradd --system --uid 10001 --gid heard --home-dir /data --shell /usr/sbin/nologin heard \
    && mkdir -p /data \
    && chown heard:heard /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEARD_DATA_DIR=/data \
    HEARD_HOST=0.0.0.0 \
    HEARD_PORT=8000

USER heard
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

# /healthz answers 200 only when the database answers too. slim has no curl: use Python.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEARD_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["heard"]
CMD ["serve"]
