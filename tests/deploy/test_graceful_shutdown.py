"""SIGTERM lets a request in flight finish: the server stops accepting, answers, then exits."""

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from heard_processes import ROOT, clean_environment, free_port, wait_until

# The real API app, served the way `heard api` serves it, plus one route that holds a
# request open until the test lets it go.
SERVER = """
import asyncio, sys
from pathlib import Path
from api.app import create_app
from api.db import create_schema, make_engine
from api.settings import Settings
from heard.logs import configure_logging
from heard.server import run_server

folder, port = Path(sys.argv[1]), int(sys.argv[2])
settings = Settings(env="test", database_url=f"sqlite:///{folder / 'heard.db'}", data_dir=folder)
engine = make_engine(settings.database_url)
create_schema(engine)
app = create_app(settings, engine=engine)

async def slow() -> dict[str, bool]:
    (folder / "entered").touch()
    while not (folder / "release").exists():
        await asyncio.sleep(0.01)
    return {"finished": True}

app.add_api_route("/slow", slow)
configure_logging("INFO")
run_server(app, host="127.0.0.1", port=port)
"""


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_sigterm_during_a_slow_request_still_completes_it(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path), str(port)],
        cwd=ROOT,
        env=clean_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    answer: dict[str, httpx.Response | BaseException] = {}

    def call_slow() -> None:
        try:
            answer["response"] = httpx.get(f"http://127.0.0.1:{port}/slow", timeout=30)
        except BaseException as error:  # reported by the assertion below
            answer["response"] = error

    try:

        def healthy() -> bool:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=30, what="the server to answer /healthz")
        caller = threading.Thread(target=call_slow)
        caller.start()
        wait_until((tmp_path / "entered").exists, timeout=10, what="the slow request to start")

        server.send_signal(signal.SIGTERM)
        # Shutting down: no new connections, while the slow request is still held open.
        wait_until(lambda: refuses_connections(port), timeout=10, what="the listener to close")
        assert server.poll() is None, "the server quit with a request in flight"

        (tmp_path / "release").touch()
        caller.join(timeout=30)
        response = answer["response"]
        assert isinstance(response, httpx.Response), repr(response)
        assert response.status_code == 200
        assert response.json() == {"finished": True}
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        log.close()
    lines = (tmp_path / "server.log").read_text().splitlines()
    assert any('"event": "Shutting down"' in line for line in lines), lines
