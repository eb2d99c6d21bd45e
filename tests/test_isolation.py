"""Work on untrusted files runs in child processes: a crash, a memory blow-up or a hang costs the child."""
import os
import time

from crm_xl.isolation import Failed, run_isolated


def _ok(x):
    return x * 2


def _abort():
    os.abort()  # what the Rust readers do on a sheet spanning A1:XFD1048576


def _hog():
    return bytearray(3 * 1024**3)  # 3 GB, over the limit below


def _hang():
    time.sleep(30)


def _raise():
    raise ValueError("broken file")


def test_results_in_order_and_failures_reported():
    done = []
    results = run_isolated([(_ok, (1,)), (_abort, ()), (_hog, ()), (_raise, ()), (_ok, (21,))],
                           workers=2, memory_mb=512, seconds=20, on_done=done.append)
    assert results[0] == 2 and results[4] == 42
    assert isinstance(results[1], Failed) and "stopped abnormally" in results[1].reason
    assert isinstance(results[2], Failed) and "more than 512 MB" in results[2].reason
    assert isinstance(results[3], Failed) and "ValueError: broken file" in results[3].reason
    assert len(done) == 5


def test_a_hang_is_stopped_at_the_time_limit():
    start = time.perf_counter()
    results = run_isolated([(_hang, ()), (_ok, (5,))], workers=2, seconds=1)
    assert isinstance(results[0], Failed) and "longer than 1 s" in results[0].reason and results[1] == 10
    assert time.perf_counter() - start < 10


def test_validate_reports_a_file_whose_check_failed(tmp_path, monkeypatch):
    from crm_xl.model import default_model
    from crm_xl.sheets import validation

    path = tmp_path / "crash.csv"
    path.write_text("customer_code\nC1\n")
    monkeypatch.setattr(validation, "validate_file", lambda p, m, known=None, sheet=None: _abort())
    report = validation.validate_files([path], default_model(), isolate=True)[0]
    assert report.findings[0].code == "file-unreadable"
    assert "could not be checked: the reader stopped abnormally" in report.findings[0].message


def test_a_reader_whose_caller_is_killed_ends_instead_of_waiting_for_ever(tmp_path):
    """The caller killed outright (SIGKILL, out of memory) while its reader is about to send a big
    table: the reader's write fails and it ends (it held the pipe's read end too, and blocked; QA)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "caller.py"
    script.write_text(
        "import os, sys, time\n"
        "from crm_xl.isolation import run_isolated\n"
        "def job(path):\n"
        "    open(path, 'w').write(str(os.getpid()))\n"
        "    time.sleep(1.0)\n"
        "    return b'x' * 20_000_000\n"
        "run_isolated([(job, (sys.argv[1],))])\n")
    pid_file = tmp_path / "reader.pid"
    caller = subprocess.Popen([sys.executable, str(script), str(pid_file)], cwd=os.getcwd())
    deadline = time.time() + 30
    while time.time() < deadline and not (pid_file.exists() and pid_file.read_text()):
        time.sleep(0.01)
    reader = int(pid_file.read_text())
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    time.sleep(3)  # the reader wakes, sends, finds the pipe broken, ends

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    still = alive(reader)
    if still:
        os.kill(reader, signal.SIGKILL)
    assert not still
