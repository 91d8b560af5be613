"""JSON in, JSON out: the shape of every call that crosses the bridge.

A bridge call takes one JSON string and returns one JSON string. A failure
comes back as {"error": {"type", "message", "traceback"}} (the traceback's
last lines), which ts/bridge/python-session.ts turns into a PythonError; the
full traceback also goes to stderr, that is the session log.
"""

import functools
import json
import math
import sys
import traceback
from typing import Any, Callable

from topkgan.train import process_control

TRACEBACK_LINES = 8


def json_method(method: Callable[[Any, dict], dict]) -> Callable[[Any, str], str]:
    """Wrap `method(self, request: dict) -> dict` as `(self, request_json) -> str`."""

    @functools.wraps(method)
    def call(self: Any, request_json: str = "{}") -> str:
        return answer(lambda request: method(self, request), request_json)

    return call


def json_function(function: Callable[[dict], dict]) -> Callable[[str], str]:
    """Wrap `function(request: dict) -> dict` as `(request_json) -> str`."""

    @functools.wraps(function)
    def call(request_json: str = "{}") -> str:
        return answer(function, request_json)

    return call


def answer(handler: Callable[[dict], dict], request_json: str) -> str:
    """Run a handler on the parsed request; a failure becomes an error reply."""
    process_control.beat()
    try:
        return to_json(handler(parse_request(request_json)))
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        return to_json(describe_error(error))


def parse_request(request_json: str) -> dict:
    request = json.loads(request_json or "{}")
    if not isinstance(request, dict):
        raise ValueError(f"request: expected a JSON object, got {request_json!r}")
    return request


def to_json(value: Any) -> str:
    """Serialise strictly: a NaN or infinity that slipped through raises."""
    return json.dumps(value, allow_nan=False)


def finite_or_none(value: float | None) -> float | None:
    """The number itself if finite, else None (JSON null)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def describe_error(error: Exception) -> dict:
    """Type, message and the traceback's end; no traceback for an input error.

    An exception class with `is_input_error = True` is about the user's data
    or settings, and its message names what to fix: code lines would only
    bury it.
    """
    lines = traceback.format_exception(error)
    tail = [line.rstrip() for line in "".join(lines).splitlines()][-TRACEBACK_LINES:]
    if getattr(error, "is_input_error", False):
        tail = []
    return {
        "error": {
            "type": type(error).__name__,
            "message": str(error),
            "traceback": tail,
        }
    }
