import json
import subprocess
import sys

from conftest import SMALL_CONFIG

# the redirect changes this process's descriptors 1 and 2, so it runs apart;
# it opens two sessions on one log, as a run of two arms does
CHILD = """
import json, os, sys, warnings
from topkgan.bridge import open_session
session = open_session(sys.argv[1])
print("printed by python")
print("written to stderr", file=sys.stderr)
os.write(1, b"written to descriptor 1\\n")
warnings.warn("a warning")
sys.__stdout__.write(session.describe() + "\\n")
open_session(sys.argv[1])
"""


def test_when_sessions_open_then_all_python_output_goes_to_the_log(tmp_path):
    log_path = tmp_path / "run" / "python.log"
    request = {
        "config": SMALL_CONFIG,
        "arm": {"name": "topk", "topk_mode": "top"},
        "seed": 0,
        "device": "cpu",
        "log_path": str(log_path),
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(request)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = log_path.read_text(encoding="utf-8")

    assert child.returncode == 0, log
    assert child.stdout == "" and child.stderr == ""
    first_line = log.splitlines()[0]
    assert (
        first_line.startswith("[") and "open_session mog-grid25-test/topk" in first_line
    )
    for text in ("printed by python", "written to stderr", "descriptor 1", "a warning"):
        assert text in log
    assert '"steps_per_epoch": 10' in log
    assert log.count("open_session") == 2


def test_the_bridge_exports_the_training_plots_function():
    from topkgan import bridge
    from topkgan.plots import training

    assert bridge.write_training_plots is training.write_training_plots
