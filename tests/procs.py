"""Run the ``wiretrace`` command as a real process, with file permissions enforced even for root.

Root reads and writes files whatever their mode, so a test of an unreadable file or a read-only store
would prove nothing there. Under root the child drops the capabilities that bypass permissions
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) from its bounding set before it starts, and is then
held to the modes like any user.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_PR_CAPBSET_DROP = 24
_BYPASS_CAPS = (1, 2, 3)  # dac_override, dac_read_search, fowner


def _drop_bypass() -> None:
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _BYPASS_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def permissions_hold(tmp: Path) -> bool:
    """Whether a child started by ``wiretrace`` below is refused a file of mode 000."""
    probe = tmp / "probe-mode-000"
    probe.write_text("x")
    probe.chmod(0)
    try:
        child = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"], preexec_fn=_drop_bypass,
                               capture_output=True, check=False)
    finally:
        probe.unlink()
    return child.returncode != 0


def wiretrace(args: Sequence[str], cwd: str | Path | None = None, timeout: float = 300,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``wiretrace ARGS`` in a child process, held to file permissions."""
    return subprocess.run(
        [sys.executable, "-m", "wiretrace.app.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        preexec_fn=_drop_bypass, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}, check=False,
    )


def start(args: Sequence[str], cwd: str | Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "wiretrace.app.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_drop_bypass)
