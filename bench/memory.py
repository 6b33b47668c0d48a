"""Resident memory of an idle `heard serve` on SQLite (goal: under 200 MB).

Starts `heard serve` in a temporary folder, waits for /healthz, lets it settle, then reads
VmRSS (and VmHWM, the peak) from /proc/<pid>/status. Also lists the heaviest packages the
process has imported, measured one by one in fresh interpreters, to show what to load lazily.

    .venv/bin/python bench/memory.py
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HEARD = ROOT / ".venv" / "bin" / "heard"
PYTHON = ROOT / ".venv" / "bin" / "python"
GOAL_MB = 200
# Heavy third-party packages worth knowing about if they are loaded at start.
SUSPECTS = ("sklearn", "scipy", "numpy", "telegram", "rapidfuzz", "segno", "textstat", "alembic")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def loaded_suspects() -> list[str]:
    """Return the suspect packages that `heard serve`'s imports and app factory load."""
    code = (
        "import sys\n"
        "import heard.cli\n"
        "from api.app import create_app\n"
        "from api.settings import Settings\n"
        "create_app(Settings(database_url='sqlite://'))\n"
        f"print(' '.join(m for m in {SUSPECTS!r} if m in sys.modules))"
    )
    done = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.split()


def import_cost_mb(module: str) -> float:
    """Resident memory a fresh interpreter gains by importing `module`."""
    code = (
        "import re\n"
        "def rss():\n"
        "    return int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
        f"before = rss(); import {module}; print(rss() - before)"
    )
    done = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, cwd=ROOT)
    return int(done.stdout.strip() or 0) / 1024


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="heard-memory-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARD_")}
        env.update(HEARD_DATABASE_URL=f"sqlite:///{folder}/heard.db", HEARD_DATA_DIR=folder)
        server = subprocess.Popen(
            [str(HEARD), "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("heard serve did not start")
                time.sleep(0.1)
            time.sleep(3)  # let start-up work (codebook seeding, prompt index) finish
            rss_mb = status_kb(server.pid, "VmRSS") / 1024
            peak_mb = status_kb(server.pid, "VmHWM") / 1024
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    costs = {name: round(import_cost_mb(name), 1) for name in loaded_suspects()}
    verdict = "within" if rss_mb < GOAL_MB else "OVER"
    print(f"idle heard serve (SQLite, bot off): VmRSS {rss_mb:.1f} MB, peak {peak_mb:.1f} MB")
    print(f"goal < {GOAL_MB} MB: {verdict}")
    print("heavy packages loaded at start, each one's import cost alone in MB (they overlap:")
    print("sklearn pulls in scipy and numpy):")
    for name, cost in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"  {name:<10} {cost:6.1f}")
    print(json.dumps({"rss_mb": round(rss_mb, 1), "peak_mb": round(peak_mb, 1), "loaded": costs}))


if __name__ == "__main__":
    main()
