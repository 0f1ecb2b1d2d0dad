import os
import signal
import subprocess
import sys
import textwrap
import time

# scikit-learn's array-API common checks (check_array_api_input) run only when SciPy's
# array API support is on, which SciPy reads once, when scipy._lib._array_api_override
# is first imported (``import scipy`` alone, as numba does, does not): switch it on
# here, or those checks are skipped every time.
_SCIPY_READS_IT = "scipy._lib._array_api_override"
if _SCIPY_READS_IT in sys.modules and os.environ.get("SCIPY_ARRAY_API") != "1":
    raise RuntimeError(f"{_SCIPY_READS_IT} was imported before tests/conftest.py could set "
                       "SCIPY_ARRAY_API=1; set it in the environment")
os.environ["SCIPY_ARRAY_API"] = "1"

# A test run launched in the background of a non-interactive shell (``cmd &`` in a
# script, as some CI runners do) starts with SIGINT ignored, which its subprocesses
# inherit: the interrupt tests would then hang (a child never sees the signal) or fail.
# Restore Python's own handler, as in an interactive session.
signal.signal(signal.SIGINT, signal.default_int_handler)

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Scripts that regenerate fixtures from optional packages (e.g. dagma) are not tests:
# ``--doctest-modules`` would import them and fail where those packages are absent.
collect_ignore_glob = ["*/fixtures/make_*.py"]

# The first call of a kernel compiles it (or loads it from the cache): no deadline.
settings.register_profile(
    "sparseopt",
    deadline=None,
    max_examples=int(os.environ.get("SPARSEOPT_HYPOTHESIS_EXAMPLES", "60")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("sparseopt")


_INTERRUPT_SCRIPT = """
import sys, time
{setup}
print("READY", flush=True)
start = time.perf_counter()
try:
{call}
except KeyboardInterrupt:
    print("INTERRUPTED", flush=True)
    sys.exit(0)
print("FINISHED %.2f" % (time.perf_counter() - start), flush=True)
"""


@pytest.fixture
def assert_interruptible(tmp_path):
    """Check that Ctrl-C during a long call raises KeyboardInterrupt promptly.

    ``check(setup, call, wait=1.0, within=1.0)`` runs ``setup`` (imports,
    data, a warm-up call that compiles the kernels) in a subprocess, then
    ``call`` (an indented-free statement block that must run for longer than
    ``wait`` seconds), sends SIGINT ``wait`` seconds into it and requires the
    KeyboardInterrupt to reach Python (``except KeyboardInterrupt``) within
    ``within`` seconds.
    """

    def check(setup, call, *, wait=1.0, within=1.0, ready_timeout=600.0):
        body = "\n".join("    " + line for line in textwrap.dedent(call).strip().splitlines())
        script = tmp_path / "interrupt_me.py"
        script.write_text(_INTERRUPT_SCRIPT.format(setup=textwrap.dedent(setup), call=body))
        process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.perf_counter() + ready_timeout
            line = process.stdout.readline()
            while line and line.strip() != "READY" and time.perf_counter() < deadline:
                line = process.stdout.readline()
            assert line.strip() == "READY", f"setup failed: {process.stderr.read()[-2000:]}"
            time.sleep(wait)
            assert process.poll() is None, (
                f"the call finished before the interrupt: {process.stdout.read()}; "
                "make it longer")
            process.send_signal(signal.SIGINT)
            sent = time.perf_counter()
            line = process.stdout.readline()
            reaction = time.perf_counter() - sent
            stderr = "" if line.strip() == "INTERRUPTED" else process.stderr.read()[-2000:]
            assert line.strip() == "INTERRUPTED", (
                f"no KeyboardInterrupt reached Python: stdout {line!r}, stderr {stderr}")
            assert reaction <= within, f"KeyboardInterrupt after {reaction:.2f} s > {within} s"
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()

    return check
