"""Fixtures for the Kerberos suite: one Samba AD DC for the whole session
(tests/lib/addc.py, ~15-30 s to come up), and smbfuse mounts of its share
by host name (//dc1.test.lan, connected through ip=) in their own process
groups, unmounted and reaped at teardown with their stderr checked."""

import os
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))

import addc  # noqa: E402
from harness import binary  # noqa: E402

BAD_STDERR = ("AddressSanitizer", "runtime error", "LeakSanitizer", "CRITICAL", "GLib-WARNING",
              "GLib-GIO-WARNING", "-WARNING **")


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


@pytest.fixture(scope="session")
def dc():
    why = addc.available()
    if why:
        pytest.skip(why)
    d = addc.AdDc().start()
    print(f"AD DC up in {d.startup_seconds:.1f} s", file=sys.stderr)
    yield d
    d.stop()
    assert not d.processes(), "samba processes left behind"


class KMount:
    """smbfuse on the DC's share. env: the daemon's environment on top of
    KRB5_CONFIG (KRB5CCNAME goes here)."""

    def __init__(self, dc, opts="", env=None, share="share", flags=()):
        self.dc = dc
        self.dir = tempfile.mkdtemp(prefix="kmnt.", dir=addc.ROOT)
        self.opts = f"ip={dc.ip}" + (f",{opts}" if opts else "")
        self.share = share
        self.flags = list(flags)
        self.env = dc.krb5_env(**(env or {}))
        self.env.pop("PASSWD", None)
        self.errfile = tempfile.TemporaryFile(mode="w+")
        self.proc = None

    def argv(self):
        return [binary("smbfuse"), self.dc.unc(self.share), self.dir, "-f", "-o", self.opts,
                *self.flags]

    def start(self, timeout=60):
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=self.errfile, env=self.env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_mounted(self.dir):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        err = self.stderr()
        self.stop(check=False)
        raise RuntimeError(f"mount did not appear: {err}")

    def fail(self, timeout=60):
        """Run a mount that must fail: (exit status, stderr)."""
        r = subprocess.run(self.argv(), capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        assert not is_mounted(self.dir)
        os.rmdir(self.dir)
        return r.returncode, r.stderr

    def stderr(self):
        self.errfile.seek(0)
        return self.errfile.read()

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def stop(self, check=True):
        if self.proc is None:
            return
        problems = []
        if is_mounted(self.dir):
            r = subprocess.run(["fusermount3", "-u", self.dir], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"fusermount3 -u failed: {r.stderr}")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            problems.append("smbfuse did not exit after unmount")
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()
        if is_mounted(self.dir):
            subprocess.run(["fusermount3", "-uz", self.dir])
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
        err = self.stderr()
        code = self.proc.returncode
        self.proc = None
        if check:
            problems += [f"{bad!r} in stderr" for bad in BAD_STDERR if bad in err]
            if code not in (0, None):
                problems.append(f"exit status {code}")
            if problems:
                pytest.fail("; ".join(problems) + "\n" + err)


@pytest.fixture
def kmount(dc):
    made = []

    def make(**kw):
        m = KMount(dc, **kw)
        made.append(m)
        return m
    yield make
    for m in made:
        m.stop()


@pytest.fixture
def ccache(dc):
    """A fresh FILE: cache path (not created) for this test."""
    fd, path = tempfile.mkstemp(prefix="krb5cc.", dir=dc.dir)
    os.close(fd)
    os.unlink(path)
    yield path
    try:
        os.unlink(path)
    except OSError:
        pass
