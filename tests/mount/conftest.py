"""Fixtures for the mount suite: a real smbd, and smbfuse mounting it
through FUSE (foreground daemon in its own process group; stderr scanned
for warnings and sanitizer reports at teardown; unmount must succeed)."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))

from harness import binary  # noqa: E402
from smbserver import SmbServer  # noqa: E402

BAD_STDERR = ("AddressSanitizer", "runtime error", "LeakSanitizer", "CRITICAL", "GLib-WARNING",
              "GLib-GIO-WARNING", "-WARNING **")


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def keep_log(err):
    """A failing daemon's whole log, kept beside the build's test logs
    (CI shows only the tail of pytest's output)."""
    d = os.path.join(os.environ.get("SMBFUSE_BUILD_DIR", "/tmp"), "meson-logs")
    os.makedirs(d, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="smbfuse-daemon-", suffix=".log", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(err)
    print(f"daemon log kept in {path}", file=sys.stderr)


class Mount:
    def __init__(self, server, share="share", opts="", extra_env=None, port=None, flags=(),
                 host="127.0.0.1", cred=None):
        self.server = server
        self.host = host  # the name in //host:port/share
        self.flags = list(flags)  # more command-line flags, e.g. ["-d"]
        self.port = port or server.port  # a proxy's port, to watch the traffic
        self.dir = tempfile.mkdtemp(prefix="mnt.", dir="/tmp/smbfuse-test")
        self.cred = cred or server.credentials_file()
        self.opts = f"credentials={self.cred}" + (f",{opts}" if opts else "")
        self.share = share
        self.env = dict(os.environ, **(extra_env or {}))
        self.env.pop("PASSWD", None)
        self.errfile = tempfile.TemporaryFile(mode="w+")
        self.proc = None

    def start(self, timeout=30):
        self.proc = subprocess.Popen(
            [binary("smbfuse"), f"//{self.host}:{self.port}/{self.share}", self.dir, "-f",
             "-o", self.opts, *self.flags],
            stdout=subprocess.DEVNULL, stderr=self.errfile, env=self.env,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_mounted(self.dir):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"mount did not appear: {self.stderr()}")

    def stderr(self):
        self.errfile.seek(0)
        return self.errfile.read()

    def counters(self, area):
        """The daemon's 'smbfuse: AREA: k=v ...' counters as they are now:
        asks for them (SIGUSR1) and waits for the new line in the log."""
        def count():
            return self.stderr().count(f"smbfuse: {area}:")
        before = count()
        os.kill(self.proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while count() == before:
            assert time.monotonic() < deadline, self.stderr()[-2000:]
            time.sleep(0.05)
        lines = [l for l in self.stderr().splitlines() if f"smbfuse: {area}:" in l]
        return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])}

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def backing(self, *p):
        return os.path.join(self.server.share_path(self.share), *p)

    def stop(self, check=True):
        """Unmount and reap the daemon; clean up fully before any check
        fails, so a failing test never leaves a mount or a daemon behind."""
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
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
            problems.append("smbfuse did not exit after unmount")
        try:
            os.killpg(self.proc.pid, 9)  # nothing of ours may linger
        except ProcessLookupError:
            pass
        if is_mounted(self.dir):
            subprocess.run(["fusermount3", "-uz", self.dir])
        err = self.stderr()
        code = self.proc.returncode
        self.proc = None
        if check:
            problems += [f"{bad!r} in stderr" for bad in BAD_STDERR if bad in err]
            if code not in (0, None):
                problems.append(f"exit status {code}")
            if problems:
                keep_log(err)
                pytest.fail("; ".join(problems) + "\n" + err)

    @property
    def exit_code(self):
        return self.proc.returncode if self.proc else None


BACKPORTS = os.environ.get("SMBFUSE_SAMBA_BACKPORTS", "/var/cache/smbfuse-test/samba-backports")


def backports_server(needs, **kw):
    """A started smbd of Debian's bookworm-backports Samba (4.22), which
    tests/lib/fetch-samba-backports.sh unpacks; the test is skipped when
    it is missing. needs: what the test wants of it, for the message."""
    if not os.path.exists(os.path.join(BACKPORTS, ".complete")):
        pytest.skip(f"no Samba with {needs} in {BACKPORTS}: "
                    "run tests/lib/fetch-samba-backports.sh")
    return SmbServer(samba_root=BACKPORTS, **kw).start()


@pytest.fixture(scope="session")
def bserver():
    """One plain backports smbd for the suite (reparse points, directory
    leases)."""
    s = backports_server("reparse points and directory leases", name="samba422")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server():
    s = SmbServer(name="mounttests").start()
    yield s
    s.stop()


# The mount suite runs on 2.1, 3.1.1, and 3.1.1 with encryption.
@pytest.fixture(scope="module", params=["vers=2.1", "vers=3.1.1", "vers=3.1.1,seal"])
def mnt(request, server):
    m = Mount(server, opts=request.param).start()
    yield m
    m.stop()


@pytest.fixture
def fresh_mount(server):
    made = []

    def make(**kw):
        m = Mount(server, **kw)
        made.append(m)
        return m
    yield make
    for m in made:
        m.stop(check=False)


@pytest.fixture
def mp(tmp_path):
    """An empty mount point, unmounted afterwards whatever the test did."""
    d = tmp_path / "m"
    d.mkdir()
    yield str(d)
    if is_mounted(str(d)):
        subprocess.run(["fusermount3", "-uz", str(d)])
