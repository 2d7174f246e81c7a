# SPDX-License-Identifier: Apache-2.0
"""Helpers for the crash-safety test (test_agent_crash.py): SIGKILL and
restart an AgentHost's agent, read what the shims recorded in a task's
state directory, and let a container exit on the test's signal.

The agent log accumulates over restarts, so "registered" is looked for only
after the offset where the latest start began.
"""
import pathlib
import re
import sqlite3
import time

from agent_fixtures import task_id


def kill_agent(host):
    """SIGKILL the agent (Popen.kill) and reap it."""
    assert host.proc is not None and host.proc.poll() is None, \
        f"the agent is not running before a kill\n{host.log_tail()}"
    host.proc.kill()
    host.proc.wait()


def start_agent(host, wait=True, timeout=20):
    """Start the agent with its unchanged config and datadir. With `wait`,
    return once this very start has logged its registration."""
    offset = host.log.stat().st_size if host.log.exists() else 0
    host.start(wait=False)
    if not wait:
        return offset
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not host.running():
            raise AssertionError(f"ecs-agent exited with {host.proc.returncode}\n{host.log_tail()}")
        if re.search(r"Registered as arn:\S+", log_since(host, offset)):
            return offset
        time.sleep(0.02)
    raise AssertionError(f"the restarted agent did not register within {timeout}s\n{host.log_tail()}")


def log_since(host, offset):
    with open(host.log, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def wait_log_since(host, offset, text, timeout):
    """Whether `text` appeared in the agent log after `offset` within
    `timeout` seconds (polled every few ms, to aim a kill at a step)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log_since(host, offset):
            return True
        time.sleep(0.003)
    return False


def read_record(path):
    """A shim record (KEY=VALUE lines) as a dict, or None while absent."""
    try:
        text = pathlib.Path(path).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def read_pid(path):
    try:
        return int(pathlib.Path(path).read_text().strip())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


class ContainerFiles:
    """DATADIR/tasks/<task id>/<container>: the shim's records and the
    container's json-file log."""

    def __init__(self, host, arn, name):
        self.dir = host.datadir / "tasks" / task_id(arn) / name
        self.name = name

    def shim_pid(self):
        return read_pid(self.dir / "shim.pid")

    def started(self):
        return read_record(self.dir / "started")

    def exit(self):
        return read_record(self.dir / "exit")

    def log_has(self, text):
        for path in self.dir.glob("*-json.log"):
            try:
                if text in path.read_text(errors="replace"):
                    return True
            except FileNotFoundError:
                pass
        return False

    def release(self):
        """Create /tmp/go in the container's root filesystem (the overlay
        mount the agent made, visible on the host): the waiting command
        exits with its code. Only once `started` exists: before that a
        restart may roll the half-prepared container back and remove it."""
        tmp = self.dir / "rootfs" / "tmp"
        tmp.mkdir(exist_ok=True)
        (tmp / "go").write_text("go\n")


def agent_recorded_exit(host, arn, name):
    """Whether the agent's state database holds the container's exit (it
    then may already have removed the shim's records while cleaning up)."""
    db = host.datadir / "state.db"
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT has_exit FROM containers WHERE task_arn = ? AND name = ?",
                           (arn, name)).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return bool(row and row[0])


def process_is_shim(pid, state_dir):
    """Whether `pid` is a live (non-zombie) ecs-agent-shim for `state_dir`."""
    try:
        args = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not args or not args[0]:
        return False
    return args[0].endswith(b"ecs-agent-shim") and any(str(state_dir).encode() in a for a in args)


def wait_until(pred, timeout, interval=0.05):
    """pred()'s first truthy value, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
