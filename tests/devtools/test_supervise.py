"""Contract of `make dev`'s supervisor (scripts/supervise.py), with cheap stand-in components:
killing any one component (SIGKILL) restarts that one alone, with its leftover children gone,
while the others keep their processes; a component that keeps failing is restarted with a
growing backoff and never stops the others; SIGINT (Ctrl-C) stops every component and their
children, and the supervisor exits 0; a supervisor killed with SIGKILL takes its components
down with it (none keeps running unsupervised).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = ROOT / "scripts" / "supervise.py"
NAMES = ("sim", "dagster", "api", "spa")

# A stand-in component: records its pid, starts a child of its own (as `dagster dev` does), the
# child's pid too, then sleeps.
STAND_IN = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "with open(sys.argv[1], 'a') as f: f.write(f'{os.getpid()} {child.pid}\\n')\n"
    "time.sleep(600)\n"
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def wait_for(what: str, cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pids(path: Path) -> list[tuple[int, int]]:
    if not path.exists():
        return []
    return [(int(a), int(b)) for a, b in (line.split() for line in path.read_text().splitlines())]


class Stack:
    def __init__(
        self, tmp: Path, extra: list[list[str]] | None = None, stderr_pipe: bool = False
    ) -> None:
        self.tmp = tmp
        script = tmp / "stand_in.py"
        script.write_text(STAND_IN)
        args = [sys.executable, str(SUPERVISE), "--backoff-initial", "0.2", "--backoff-max",
                "1.0", "--stable-after", "30", "--stop-timeout", "3"]  # fmt: skip
        for name in NAMES:
            cmd = f"{sys.executable} {script} {tmp / (name + '.pids')}"
            args += ["--component", name, str(tmp / f"{name}.log"), cmd]
        for name, cmd in extra or []:
            args += ["--component", name, str(tmp / f"{name}.log"), cmd]
        self.stderr = (tmp / "supervise.err").open("wb")
        self.proc = subprocess.Popen(
            args,
            stderr=subprocess.PIPE if stderr_pipe else self.stderr,
            start_new_session=True,
        )

    def pid_file(self, name: str) -> Path:
        return self.tmp / f"{name}.pids"

    def current(self, name: str) -> tuple[int, int]:
        return pids(self.pid_file(name))[-1]

    def wait_started(self, name: str, count: int = 1) -> None:
        wait_for(f"{name} start #{count}", lambda: len(pids(self.pid_file(name))) >= count)

    def output(self) -> str:
        return (self.tmp / "supervise.err").read_text()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    made: list[Stack] = []

    def make(extra: list[list[str]] | None = None, stderr_pipe: bool = False) -> Stack:
        s = Stack(tmp_path, extra, stderr_pipe)
        made.append(s)
        return s

    yield make
    for s in made:
        if s.proc.poll() is None:
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait()
        for name in NAMES:
            for pid, child in pids(s.pid_file(name)):
                for p in (pid, child):
                    if alive(p):
                        os.kill(p, signal.SIGKILL)
        s.stderr.close()
        if s.proc.stderr is not None:
            s.proc.stderr.close()


def test_killing_each_component_restarts_only_that_one(stack: Callable[..., Stack]) -> None:
    s = stack()
    for name in NAMES:
        s.wait_started(name)
    for name in NAMES:
        others = {n: s.current(n) for n in NAMES if n != name}
        starts = len(pids(s.pid_file(name)))
        pid, child = s.current(name)
        os.kill(pid, signal.SIGKILL)
        s.wait_started(name, starts + 1)
        new_pid, new_child = s.current(name)
        assert new_pid != pid
        assert alive(new_pid)
        assert alive(new_child)
        # the killed component's own child was cleaned up before the restart
        wait_for(f"{name}'s orphaned child to go", lambda child=child: not alive(child))
        for other, (opid, ochild) in others.items():
            assert s.current(other) == (opid, ochild), f"{other} was restarted too"
            assert alive(opid), f"{other} died when {name} was killed"
            assert alive(ochild), f"{other}'s child died when {name} was killed"
    out = s.output()
    for name in NAMES:
        assert f"{name}: exited (signal SIGKILL)" in out
        assert "restart 1 in 0.2 s" in (s.tmp / f"{name}.log").read_text()
    assert s.proc.poll() is None


def test_ctrl_c_stops_everything(stack: Callable[..., Stack]) -> None:
    s = stack()
    for name in NAMES:
        s.wait_started(name)
    everything = [p for name in NAMES for p in s.current(name)]
    assert all(alive(p) for p in everything)
    os.kill(s.proc.pid, signal.SIGINT)
    assert s.proc.wait(timeout=20) == 0
    for p in everything:
        assert not alive(p), f"pid {p} survived Ctrl-C"
    assert "SIGINT: stopping every component" in s.output()


def test_a_failing_component_backs_off_and_never_stops_the_others(
    stack: Callable[..., Stack],
) -> None:
    s = stack(extra=[["broken", f"{sys.executable} -c 'import sys; sys.exit(3)'"]])
    for name in NAMES:
        s.wait_started(name)
    before = {n: s.current(n) for n in NAMES}
    wait_for("five restarts of the broken component", lambda: "restart 5 " in s.output(), 20)
    out = s.output()
    delays = [
        float(line.rsplit(" in ", 1)[1].split(" s")[0])
        for line in out.splitlines()
        if "broken: exited (exit code 3)" in line
    ]
    assert delays[:4] == [0.2, 0.4, 0.8, 1.0], delays
    assert all(d == 1.0 for d in delays[3:])
    assert {n: s.current(n) for n in NAMES} == before
    assert all(alive(p) for n in NAMES for p in s.current(n))
    os.kill(s.proc.pid, signal.SIGINT)
    assert s.proc.wait(timeout=20) == 0


def test_a_killed_supervisor_leaves_no_component_running(stack: Callable[..., Stack]) -> None:
    s = stack()
    for name in NAMES:
        s.wait_started(name)
    components = [s.current(name)[0] for name in NAMES]
    os.kill(s.proc.pid, signal.SIGKILL)
    s.proc.wait()
    for pid in components:
        wait_for(f"component {pid} to stop with its supervisor", lambda pid=pid: not alive(pid))


def test_ctrl_c_stops_everything_when_the_terminal_pipe_is_gone(
    stack: Callable[..., Stack],
) -> None:
    """`make dev | tee log`: Ctrl-C ends tee first; the supervisor's own output then has nowhere
    to go, and it must still stop every component."""
    s = stack(stderr_pipe=True)
    for name in NAMES:
        s.wait_started(name)
    components = [s.current(name)[0] for name in NAMES]
    assert s.proc.stderr is not None
    s.proc.stderr.close()
    os.kill(s.proc.pid, signal.SIGINT)
    assert s.proc.wait(timeout=20) == 0
    for pid in components:
        assert not alive(pid), f"pid {pid} survived Ctrl-C"
