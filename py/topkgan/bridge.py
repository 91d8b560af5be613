"""What the TypeScript CLI calls through pythonia.

`open_session` returns a `TrainingSession` whose methods take and return
JSON strings; `write_training_plots` works on the run folder. The contract
is docs/architecture.md.
"""

import json
import os
import platform
import sys
import time
import traceback

import torch

from topkgan.json_api import describe_error, to_json
from topkgan.plots.training import write_training_plots
from topkgan.train import process_control
from topkgan.train.session import TrainingSession

__all__ = ["open_session", "write_training_plots"]


def open_session(request_json: str) -> TrainingSession:
    """Open one arm of one seed; its Python output goes to `log_path`.

    request = {"config", "arm", "seed", "device", "log_path"} (see
    docs/architecture.md).
    """
    request = json.loads(request_json)
    redirect_output(request["log_path"])
    write_log_header(request)
    process_control.install()
    process_control.set_heartbeat(request.get("heartbeat_path"))
    try:
        return TrainingSession(
            request["config"], request["arm"], request["seed"], request.get("device")
        )
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        return FailedSession(error)


class FailedSession:
    """Stands in for a session that could not open: every method answers
    with the error, as a JSON error reply.

    An exception raised across pythonia reaches Node as a single line of
    its stack text; an error reply keeps a many-line message (every bad
    file of an image folder) whole.
    """

    def __init__(self, error: Exception):
        self.reply = to_json(describe_error(error))

    def __getattr__(self, name: str):
        return lambda request_json="{}": self.reply


def redirect_output(log_path: str) -> None:
    """Send file descriptors 1 and 2 of this process to `log_path` (append).

    The bridge process inherits Node's stdout and stderr, so a stray print or
    warning would land in the CLI's output. Descriptor 2 is left alone when
    pythonia itself talks over stderr (Windows, or no IPC channel).
    """
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    if not is_stderr_bridge_channel():
        os.dup2(log, 2)
    os.close(log)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)


def is_stderr_bridge_channel() -> bool:
    """True where pythonia sends its messages over stderr (its interface.py)."""
    if "Bridge" not in sys.modules:
        return False
    return sys.platform == "win32" or "NODE_CHANNEL_FD" not in os.environ


def write_log_header(request: dict) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    experiment = request["config"].get("experiment", "?")
    print(
        f"[{stamp}] open_session {experiment}/{request['arm']['name']}"
        f" seed={request['seed']} device={request.get('device')} pid={os.getpid()}"
        f" python={platform.python_version()} torch={torch.__version__}",
        flush=True,
    )
