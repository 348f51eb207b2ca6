"""labkit.serving's process helpers: free_port, on_cpus, stop_process(es) (real child processes)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from labkit.serving import free_port, on_cpus, stop_process, stop_processes


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_stop_process_terminates_a_child() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stop_process(proc, timeout=10)
    assert proc.returncode == -15  # SIGTERM was enough


def test_stop_process_kills_a_child_that_ignores_sigterm() -> None:
    code = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    stop_process(proc, timeout=0.5)
    assert proc.returncode == -9
    proc.stdout.close()


def test_stop_process_on_an_exited_child_just_reaps_it() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stop_process(proc)
    assert proc.returncode == 0


def test_stop_processes_stops_and_reaps_every_child() -> None:
    code = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)")
    stubborn = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == "ready"
    plain = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    stop_processes([stubborn, plain, done], timeout=0.5)
    assert (stubborn.returncode, plain.returncode, done.returncode) == (-9, -15, 0)
    stubborn.stdout.close()


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux-only")
def test_on_cpus_pins_the_child() -> None:
    assert on_cpus(None) is None and on_cpus(set()) is None
    cpu = min(os.sched_getaffinity(0))
    out = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                         capture_output=True, text=True, check=True, preexec_fn=on_cpus({cpu}))
    assert out.stdout.strip() == f"[{cpu}]"
