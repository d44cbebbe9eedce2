"""Process supervisor of `make dev` (scripts/dev.sh): a component that dies is restarted with
backoff and logged, the others keep running; Ctrl-C (SIGINT) or SIGTERM stops them all.

ADR-001's "poller crash != API downtime" on one machine, without Docker: the simulator, Dagster
(`dagster dev`: webserver, daemon and the code server whose runs poll Kalshi), the API and the
dashboard each run in a process group of their own, so killing one never takes another down.

    python scripts/supervise.py \\
        --component api .data/logs/api.log ".venv/bin/uvicorn kalshi_api.main:app --port 8000" \\
        --component dagster .data/logs/dagster.log ".venv/bin/dagster dev -p 3000"

Each component: NAME, LOG file (stdout and stderr, appended), COMMAND (one string, split like a
shell would, not run by one). On an unexpected exit the supervisor kills what is left of the
component's process group (e.g. the webserver and daemon of a killed `dagster dev`, which would
hold their ports), waits the backoff (--backoff-initial, doubled per quick failure up to
--backoff-max; back to the start after a run of --stable-after seconds) and starts it again.
Its own lines go to stderr and into the component's log.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType

POLL_S = 0.2
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec (Linux): SIGINT, as from Ctrl-C, when the supervisor dies, so a
    supervisor killed with SIGKILL leaves no component running unsupervised."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def log(msg: str) -> None:
    # a terminal pipe that went away (`make dev | tee` after Ctrl-C) must not stop the shutdown
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"[supervise {datetime.now().astimezone():%H:%M:%S}] {msg}\n")
        sys.stderr.flush()


def describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


@dataclass
class Component:
    name: str
    log_path: Path
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = 0.0
    restart_at: float | None = None
    history: list[str] = field(default_factory=list)

    def note(self, msg: str) -> None:
        log(f"{self.name}: {msg}")
        with contextlib.suppress(OSError), self.log_path.open("a") as f:
            f.write(f"[supervise {datetime.now().astimezone():%Y-%m-%d %H:%M:%S}] {msg}\n")

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            # a session of its own: a signal to the component's group never reaches the others,
            # and a terminal's Ctrl-C reaches only the supervisor, which then stops everything
            self.proc = subprocess.Popen(  # noqa: S603 (the developer's own commands)
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # the supervisor is single-threaded
            )
        self.started_at = time.monotonic()
        self.restart_at = None
        self.note(f"started (pid {self.proc.pid}): {shlex.join(self.argv)}")

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def group_alive(self) -> bool:
        if self.proc is None:
            return False
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Supervisor:
    def __init__(
        self,
        components: list[Component],
        backoff_initial: float,
        backoff_max: float,
        stable_after: float,
        stop_timeout: float,
    ) -> None:
        self.components = components
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.stop_timeout = stop_timeout
        self.stopping = False

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stopping:
            log(f"{signal.Signals(signum).name}: stopping every component")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGHUP, self.request_stop)
        for c in self.components:
            c.start()
        while not self.stopping:
            now = time.monotonic()
            for c in self.components:
                if self.stopping:
                    break
                if c.restart_at is not None:
                    if now >= c.restart_at:
                        c.restarts += 1
                        c.start()
                    continue
                assert c.proc is not None
                code = c.proc.poll()
                if code is None:
                    continue
                self.on_exit(c, code, now)
            time.sleep(POLL_S)
        self.stop_all()
        return 0

    def on_exit(self, c: Component, code: int, now: float) -> None:
        ran_s = now - c.started_at
        if ran_s >= self.stable_after:
            c.backoff_s = self.backoff_initial
        else:
            c.backoff_s = min(self.backoff_max, max(self.backoff_initial, c.backoff_s * 2))
        c.history.append(describe(code))
        c.note(
            f"exited ({describe(code)}) after {ran_s:.1f} s; restart {c.restarts + 1} "
            f"in {c.backoff_s:.1f} s (the other components keep running)"
        )
        # the rest of its group (children of a killed parent) would hold ports and files
        if c.group_alive():
            c.note("stopping what is left of its process group")
            self.reap_group(c)
        c.restart_at = time.monotonic() + c.backoff_s

    def reap_group(self, c: Component) -> None:
        if not c.group_alive():
            return
        c.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while c.group_alive() and time.monotonic() < deadline:
            time.sleep(POLL_S)
        if c.group_alive():
            c.signal_group(signal.SIGKILL)

    def stop_all(self) -> None:
        running = [c for c in self.components if c.proc is not None and c.restart_at is None]
        # SIGINT first: `dagster dev` and uvicorn shut down cleanly on it
        for c in running:
            c.note("stopping (SIGINT to its process group)")
            c.signal_group(signal.SIGINT)
        deadline = time.monotonic() + self.stop_timeout
        for sig in (signal.SIGTERM, signal.SIGKILL):
            while time.monotonic() < deadline and any(c.group_alive() for c in running):
                for c in running:
                    if c.proc is not None:
                        c.proc.poll()
                time.sleep(POLL_S)
            alive = [c for c in running if c.group_alive()]
            if not alive:
                break
            log(f"{', '.join(c.name for c in alive)} still running: {signal.Signals(sig).name}")
            for c in alive:
                c.signal_group(sig)
            deadline = time.monotonic() + 5
        for c in running:
            if c.proc is not None:
                c.proc.poll()
        log("stopped")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--component",
        nargs=3,
        action="append",
        required=True,
        metavar=("NAME", "LOG", "COMMAND"),
        help="a process to keep running (repeat per component)",
    )
    p.add_argument("--backoff-initial", type=float, default=1.0, help="seconds (default 1)")
    p.add_argument("--backoff-max", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument(
        "--stable-after",
        type=float,
        default=60.0,
        help="a run this long resets the backoff (seconds, default 60)",
    )
    p.add_argument(
        "--stop-timeout",
        type=float,
        default=15.0,
        help="seconds a component gets to stop before SIGTERM, then SIGKILL (default 15)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    components = [
        Component(name=name, log_path=Path(path), argv=shlex.split(command))
        for name, path, command in a.component
    ]
    names = [c.name for c in components]
    if len(set(names)) != len(names):
        raise SystemExit(f"component names must differ: {names}")
    return Supervisor(
        components, a.backoff_initial, a.backoff_max, a.stable_after, a.stop_timeout
    ).run()


if __name__ == "__main__":
    sys.exit(main())
