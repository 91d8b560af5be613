"""Stop requests, heartbeat and liveness: how the Python side ends cleanly.

SIGINT, SIGTERM and SIGUSR1 set a flag that the training loop reads at every
step boundary, so a chunk ends between steps and the CLI can write a
checkpoint. (A terminal's Ctrl-C reaches this process too, as it shares the
CLI's process group; without this handler it would raise KeyboardInterrupt
in the middle of a step.)

If the CLI dies outright, this process is re-parented; a watchdog thread
notices and exits, so no orphan trains on.

While training, `beat()` touches a heartbeat file at most once a second; the
CLI kills a Python side whose heartbeat stops for longer than its limit.
"""

import os
import signal
import threading
import time

_stop_requested: str | None = None
_installed = False
_heartbeat_path: str | None = None
_last_beat = 0.0
PARENT_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 1.0


def install() -> None:
    """Install the signal handlers and the parent watchdog, once per process."""
    global _installed
    if _installed:
        return
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
        signal.signal(signum, _request_stop)
    parent = os.getppid()
    threading.Thread(
        target=_exit_when_orphaned, args=(parent,), daemon=True, name="parent-watch"
    ).start()
    _installed = True


def _request_stop(signum: int, frame) -> None:
    global _stop_requested
    _stop_requested = signal.Signals(signum).name


def stop_requested() -> str | None:
    """The name of the signal that asked to stop, or None."""
    return _stop_requested


def clear() -> None:
    global _stop_requested
    _stop_requested = None


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(3)


def set_heartbeat(path: str | None) -> None:
    global _heartbeat_path, _last_beat
    _heartbeat_path = path
    _last_beat = 0.0
    beat()


def beat() -> None:
    """Touch the heartbeat file, at most once per HEARTBEAT_SECONDS."""
    global _last_beat
    now = time.monotonic()
    if _heartbeat_path is None or now - _last_beat < HEARTBEAT_SECONDS:
        return
    _last_beat = now
    with open(_heartbeat_path, "a", encoding="utf-8"):
        os.utime(_heartbeat_path)
