"""Run `heard` commands as real child processes for deployment tests, and always clean up.

Each process writes its output to a log file the test can show when something goes wrong.
Waits are bounded and fail with that log; `stop()` ends a process by its own pid only.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HEARD = ROOT / ".venv" / "bin" / "heard"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
T = TypeVar("T")


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heard_command() -> list[str]:
    """Return the `heard` executable of this checkout (its venv), or `python -m` of it."""
    if HEARD.exists():
        return [str(HEARD)]
    return [sys.executable, "-c", "from heard.cli import main; main()"]


def clean_environment(**settings: str) -> dict[str, str]:
    """Return this environment without any HEARD_ variable, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARD_")}
    env.update(settings)
    return env


def fresh_postgres_database(name: str) -> str:
    """Drop and create database `name` on 127.0.0.1:5432; skip the test if PostgreSQL is absent."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({type(error).__name__})")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def run_heard(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 60) -> str:
    """Run a short `heard` command to the end; return its stdout, fail with its stderr."""
    done = subprocess.run(
        [*heard_command(), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"heard {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def wait_until(predicate: Callable[[], T], *, timeout: float, what: str, log: str = "") -> T:
    """Poll `predicate` until it returns something truthy, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}\n{log}")
        time.sleep(0.05)


class HeardProcess:
    """A long-running `heard` command (api, bot, serve) in its own process group."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], cwd: Path) -> None:
        self.name = name
        self.args = args
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = cwd / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "HeardProcess":
        """Start the command, its output going to `<name>.log` (appended across restarts)."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [*heard_command(), *self.args],
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.process is not None, f"{self.name} was not started"
        return self.process.pid

    def log(self) -> str:
        """Return what the process has written so far."""
        if not self.log_path.exists():
            return ""
        return f"--- {self.name} log ---\n" + self.log_path.read_text(errors="replace")[-6000:]

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, url: str, timeout: float = 30) -> None:
        """Wait until GET `url` answers 200; fail early, with the log, if the process exits."""

        def healthy() -> bool:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise AssertionError(f"{self.name} exited with {code}\n{self.log()}")
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=timeout, what=f"{self.name} at {url}", log=self.log())

    def signal(self, signum: int) -> None:
        """Send a signal to this process only."""
        if self.alive():
            os.kill(self.pid, signum)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to end; return its exit code."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the process (a crash) and reap it."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL if it has not ended in `timeout` seconds."""
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
