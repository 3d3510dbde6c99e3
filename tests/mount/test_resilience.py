"""An engine that outlives its connection: the mount goes on working when
the TCP connection is cut or reset, the smbd serving it is killed, the
server restarts, or the path to it stalls for a while.

Faults come from tests/lib/faultproxy.py (the mount goes through a
FaultProxy: port= its port) and from SmbServer.kill_serving_child() and
SmbServer.restart(). Every file lives on the `resilience` share, which is
set up so that Samba grants durable handles.

Mount options these tests depend on:
  echo_interval=N  a keep-alive every N seconds; two missed: the
                   connection is dead and a reconnect starts
  hard             a request waits for the server as long as it takes
                   (interruptible by a signal)
  soft             (the default) a request waiting for a reconnect fails
                   with EIO after timeout= seconds
  timeout=N
And with -d, at exit, one line on the daemon's stderr:
  smbfuse: resilience: reconnects=N replays=N handles_reclaimed=N handles_lost=N

All I/O against the mount runs in child processes with deadlines, so that
an engine that hangs fails a test instead of hanging the suite."""

import errno
import fcntl
import hashlib
import json
import os
import pwd
import queue
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import BAD_STDERR, Mount, is_mounted, keep_log
from faultproxy import FaultProxy
from proxy import frame_header, is_negotiate_response, set_negotiate_dialect
from smbserver import USER, SmbServer

SHARE = "resilience"
MiB = 1 << 20
BIG = 200 * MiB
FAULT_AT = 50 * MiB
# (more " name=N" counters may follow these four)
COUNTERS = re.compile(r"^smbfuse: resilience: reconnects=(\d+) replays=(\d+) "
                      r"handles_reclaimed=(\d+) handles_lost=(\d+)(?: \w+=\d+)*\s*$", re.M)
# What a daemon may not print, whatever happened to its connection:
# warnings are allowed here (a lost connection is worth one).
CRASH = [b for b in BAD_STDERR if "WARNING" not in b]


# ---- fixtures ----------------------------------------------------------


@pytest.fixture(scope="module")
def srv():
    """One smbd for the module; test_full_restart restarts it in place."""
    s = SmbServer(name="resilience").start()
    yield s
    s.stop()


@pytest.fixture
def px(srv):
    p = FaultProxy("127.0.0.1", srv.port).start()
    yield p
    p.stop()


_children = []


@pytest.fixture
def mounts(srv, request):
    """mounts(opts=..., port=..., flags=...) -> a started Mount of the
    resilience share. At teardown: children killed, mounts stopped (which
    frees a child stuck in a FUSE request), children reaped, and the
    daemons' logs kept if the test failed."""
    made = []
    failed_before = request.session.testsfailed

    def make(opts="", port=None, flags=()):
        m = Mount(srv, share=SHARE, opts=opts, port=port, flags=flags)
        made.append(m)
        return m.start()
    yield make
    for c in _children:
        if c.poll() is None:
            c.kill()
    for m in made:
        m.stop(check=False)
    if request.session.testsfailed > failed_before:
        for m in made:
            keep_log(f"{request.node.nodeid}: {m.opts.split(',', 1)[-1]} via port {m.port}\n"
                     + m.stderr())
    while _children:
        c = _children.pop()
        try:
            c.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture(scope="module")
def big():
    """A 200 MiB random file on local disk, and its sha256."""
    fd, path = tempfile.mkstemp(prefix="big.", dir="/tmp/smbfuse-test")
    h = hashlib.sha256()
    with os.fdopen(fd, "wb") as f:
        for _ in range(BIG // (8 * MiB)):
            chunk = os.urandom(8 * MiB)
            h.update(chunk)
            f.write(chunk)
    os.chmod(path, 0o644)
    yield path, h.hexdigest()
    os.unlink(path)


# ---- helpers -------------------------------------------------------------


class Child:
    """A Python snippet in its own process. It talks in lines: events
    (plain words) and a last JSON line with the outcome."""

    def __init__(self, code, *args):
        self.t0 = time.monotonic()
        self.what = " ".join(map(str, args))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PRELUDE + code, *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _children.append(self.proc)
        self.lines = queue.Queue()
        self.ended = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))
        self.lines.put((time.monotonic(), None))

    def send(self, line="go"):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, word, timeout):
        """Wait for the event line `word`; returns when it came."""
        try:
            t, line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"child: no {word!r} within {timeout} s")
        assert line == word, f"child said {line!r}, not {word!r}; stderr: {self.stderr()}"
        return t

    def result(self, timeout):
        """(the JSON outcome, when it came) or pytest.fail if none in time."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                t, line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                t = line = "hung"
            if line == "hung":
                pytest.fail(f"no outcome {time.monotonic() - self.t0:.0f} s after the child "
                            f"started (hung in {self.what})")
            if line is None:
                pytest.fail(f"child ended without an outcome: {self.stderr()}")
            if line.startswith("{"):
                return json.loads(line), t

    def exited_within(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stderr(self):
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read()


PRELUDE = r'''
import errno, fcntl, json, os, struct, sys, time
def out(**kw):
    print(json.dumps(kw), flush=True)
def event(w):
    print(w, flush=True)
def fail(e, where):
    out(ok=False, errno=e.errno, where=where, msg=str(e))
'''

# Write data to a new file, read it back: one round of I/O.
ROUNDTRIP = r'''
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = (seed.encode() * (size // len(seed) + 1))[:size]
try:
    with open(path, "wb") as f:
        f.write(data)
    with open(path, "rb") as f:
        back = f.read()
    out(ok=back == data, got=len(back))
except OSError as e:
    fail(e, "roundtrip")
'''


def roundtrip(m, name, seed, size=4096, timeout=60):
    """Write then read back a file through the mount in a child; the
    outcome dict."""
    res, _ = Child(ROUNDTRIP, m.path(name), size, seed).result(timeout)
    return res


def expected(seed, size=4096):
    return (seed.encode() * (size // len(seed) + 1))[:size]


def poll_roundtrip(m, prefix, within, attempt_timeout=None):
    """Try a round trip until one works; seconds it took (from now), or
    pytest.fail with the last outcome after `within` seconds."""
    t0 = time.monotonic()
    last = None
    i = 0
    while time.monotonic() - t0 < within:
        i += 1
        left = within - (time.monotonic() - t0)
        res = roundtrip(m, f"{prefix}-{i}", f"{prefix}-{i}-", timeout=attempt_timeout or left + 5)
        if res.get("ok"):
            took = time.monotonic() - t0
            with open(m.backing(f"{prefix}-{i}"), "rb") as f:
                assert f.read() == expected(f"{prefix}-{i}-")
            return took
        last = res
        time.sleep(0.25)
    pytest.fail(f"no working round trip within {within} s; last: {last}")


def put_backing(srv, name, data):
    """A file placed on the server side, owned by the share's user."""
    path = os.path.join(srv.share_path(SHARE), name)
    with open(path, "wb") as f:
        f.write(data)
    pw = pwd.getpwnam(USER)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o644)
    return path


def size_of(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MiB):
            h.update(chunk)
    return h.hexdigest()


def wait_until(pred, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def inject(fault, srv, px):
    """Kill the smbd child serving the mount's connection, or cut it."""
    if fault in ("kill", "term"):
        assert wait_until(lambda: len(px.upstream_ports()) == 1, 5), \
            f"expected one connection through the proxy: {px.live()}"
        ports = px.upstream_ports()
        srv.kill_serving_child(client_port=ports[0],
                               sig=signal.SIGKILL if fault == "kill" else signal.SIGTERM)
    elif fault == "cut":
        assert px.cut() >= 1
    elif fault == "reset":
        assert px.reset() >= 1
    else:
        raise ValueError(fault)


def finish(m):
    """Unmount; the daemon exits 0 with no crash or sanitizer report.
    Returns its stderr."""
    proc = m.proc
    assert proc is not None and proc.poll() is None, \
        f"the daemon died (status {proc and proc.returncode}): {m.stderr()}"
    m.stop(check=False)
    err = m.stderr()
    problems = [f"{b!r} in stderr" for b in CRASH if b in err]
    if proc.returncode != 0:
        problems.append(f"exit status {proc.returncode}")
    if is_mounted(m.dir):
        problems.append("still mounted")
    if problems:
        keep_log(err)
        pytest.fail("; ".join(problems) + "\n" + err[-4000:])
    return err


def alive(m):
    """The daemon runs and the mount answers a listing."""
    assert m.proc.poll() is None, f"daemon gone (status {m.proc.returncode}): {m.stderr()}"
    res, _ = Child(LISTING, m.path()).result(30)
    assert res.get("ok"), f"the mount does not answer: {res}"


# ---- a. big transfers across a fault ------------------------------------


@pytest.mark.parametrize("fault", ["kill", "cut"])
def test_cp_200MiB_to_the_mount_survives(srv, px, mounts, big, fault):
    """cp of 200 MiB to the mount; after ~50 MiB reached the server, the
    smbd serving it is killed (or the connection cut). cp exits 0 and the
    server's file is the source, byte for byte."""
    src, digest = big
    m = mounts(opts="cache=none", port=px.port)
    name = f"cp-{fault}.bin"
    backing = m.backing(name)
    cp = subprocess.Popen(["cp", src, m.path(name)], stderr=subprocess.PIPE, text=True)
    _children.append(cp)
    assert wait_until(lambda: size_of(backing) >= FAULT_AT or cp.poll() is not None, 120), \
        f"not 50 MiB on the server after 120 s ({size_of(backing)})"
    assert cp.poll() is None, "cp ended before the fault could be injected"
    at = size_of(backing)
    inject(fault, srv, px)
    try:
        rc = cp.wait(timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"cp still running 120 s after the {fault} at {at >> 20} MiB")
    assert rc == 0, f"cp failed after the {fault} at {at >> 20} MiB: {cp.stderr.read()}"
    assert size_of(backing) == BIG
    assert sha256_file(backing) == digest, "the server's copy differs from the source"
    assert px.accepted >= 2, "no reconnection went through the proxy"
    alive(m)
    finish(m)


READ_HASH = r'''
import hashlib
h = hashlib.sha256()
n = 0
try:
    with open(sys.argv[1], "rb", buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
    out(ok=True, sha=h.hexdigest(), n=n)
except OSError as e:
    out(ok=False, errno=e.errno, msg=str(e), n=n)
'''


@pytest.mark.parametrize("fault", ["kill", "cut"])
def test_reading_200MiB_from_the_mount_survives(srv, px, mounts, big, fault):
    """Reading a 200 MiB file from the mount; after ~50 MiB came through,
    the serving smbd is killed (or the connection cut). What was read
    hashes to the server's file."""
    src, digest = big
    name = f"read-{fault}.bin"
    with open(src, "rb") as f:
        put_backing(srv, name, f.read())
    m = mounts(opts="cache=none", port=px.port)
    base = px.bytes_s2c
    reader = Child(READ_HASH, m.path(name))
    assert wait_until(lambda: px.bytes_s2c - base >= FAULT_AT or reader.proc.poll() is not None,
                      120), "not 50 MiB read after 120 s"
    assert reader.proc.poll() is None, "the read ended before the fault could be injected"
    inject(fault, srv, px)
    res, _ = reader.result(120)
    assert res["ok"], f"read failed after the {fault}: {res}"
    assert res["n"] == BIG
    assert res["sha"] == digest, "what was read differs from the server's file"
    assert px.accepted >= 2, "no reconnection went through the proxy"
    alive(m)
    finish(m)


# ---- b. a full server restart -------------------------------------------


def test_full_restart(srv, px, mounts):
    """smbd restarted (parent and children killed, back on the same port
    after 3 s): within 10 s of the server being back, a new file can be
    written and read back."""
    m = mounts(port=px.port)
    assert roundtrip(m, "before-restart", "before-")["ok"]
    srv.restart(down_seconds=3)
    took = poll_roundtrip(m, "after-restart", within=10)
    print(f"working again {took:.1f} s after smbd was back")
    assert took < 10
    assert roundtrip(m, "before-restart-again", "again-")["ok"]
    alive(m)
    finish(m)


# ---- c. a byte-range lock across a fault --------------------------------

LOCK_HOLDER = r'''
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 100, 0))
event("locked")
sys.stdin.readline()
try:
    n = os.pwrite(fd, b"A" * 50, 10)
    back = os.pread(fd, 100, 0)
    out(ok=True, n=n, data=back.hex())
except OSError as e:
    fail(e, "io after the fault")
sys.stdin.readline()
os.close(fd)
event("closed")
'''


def try_lock(path, start, length):
    """F_SETLK a write lock from this process (on another mount): None if
    granted (and released again), else the errno."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl_lock(fd, start, length)
        return None
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def fcntl_lock(fd, start, length):
    fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, start,
                                               length, 0))


@pytest.mark.parametrize("fault", ["cut", "term"])
def test_lock_and_descriptor_survive(srv, px, mounts, fault):
    """A descriptor holding an fcntl write lock on bytes 0-99 goes on
    reading and writing after the fault (the connection cut, or the smbd
    serving it ended by SIGTERM: it exits cleanly and keeps its durable
    handles, as a restarting server process does), and the lock still keeps
    a second client (another smbfuse mount) out of that range."""
    name = f"locked-{fault}"
    backing = put_backing(srv, name, b"x" * 4096)
    a = mounts(opts="cache=none", port=px.port)
    b = mounts(opts="cache=none")  # directly on the server
    holder = Child(LOCK_HOLDER, a.path(name))
    holder.expect("locked", 30)
    # the lock is on the server before the fault
    assert try_lock(b.path(name), 0, 100) in (errno.EAGAIN, errno.EACCES)

    inject(fault, srv, px)
    holder.send("go")
    res, _ = holder.result(90)
    assert res["ok"], f"the locked descriptor failed after the {fault}: {res}"
    want = b"x" * 10 + b"A" * 50 + b"x" * 40
    assert res["n"] == 50 and bytes.fromhex(res["data"]) == want
    with open(backing, "rb") as f:
        assert f.read(100) == want  # on the server too
    assert px.accepted >= 2, "no reconnection went through the proxy"

    # the lock survived: the other client is still refused, elsewhere free
    assert try_lock(b.path(name), 0, 100) in (errno.EAGAIN, errno.EACCES)
    assert try_lock(b.path(name), 50, 10) in (errno.EAGAIN, errno.EACCES)
    assert try_lock(b.path(name), 200, 100) is None
    # and it is the descriptor's: closing it frees the range
    holder.send("close")
    holder.expect("closed", 30)
    assert wait_until(lambda: try_lock(b.path(name), 0, 100) is None, 10, step=0.2)
    alive(a)
    finish(a)
    finish(b)


def test_locked_descriptor_after_smbd_killed_fails_alone(srv, px, mounts):
    """Samba forgets the durable handles of an smbd killed by SIGKILL (its
    open records belong to a dead process). A descriptor holding a lock
    cannot be reclaimed, and reopening it by name would silently drop the
    lock: that descriptor fails with EIO, and only it; the mount, new opens
    and the other client go on."""
    name = "locked-kill"
    backing = put_backing(srv, name, b"x" * 4096)
    a = mounts(opts="cache=none", port=px.port)
    b = mounts(opts="cache=none")
    holder = Child(LOCK_HOLDER, a.path(name))
    holder.expect("locked", 30)
    assert try_lock(b.path(name), 0, 100) in (errno.EAGAIN, errno.EACCES)
    inject("kill", srv, px)
    holder.send("go")
    res, _ = holder.result(90)
    assert not res["ok"] and res.get("errno") == errno.EIO, res
    holder.send("close")  # closing the failed descriptor works too
    holder.expect("closed", 30)
    # the rest of the mount works: a new descriptor on the same file
    with open(a.path(name), "r+b") as f:
        f.seek(200)
        f.write(b"after")
    with open(backing, "rb") as f:
        assert f.read()[200:205] == b"after"
    # the lock died with the smbd that held it
    assert wait_until(lambda: try_lock(b.path(name), 0, 100) is None, 10, step=0.2)
    alive(a)
    finish(a)
    finish(b)


# ---- d. a stalled server ---------------------------------------------------

STALL = 20

HELD_IO = r'''
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
event("open")
sys.stdin.readline()
t0 = time.monotonic()
try:
    os.pwrite(fd, b"S" * 4096, 0)
    back = os.pread(fd, 4096, 0)
    out(ok=back == b"S" * 4096, t=time.monotonic() - t0)
except OSError as e:
    out(ok=False, errno=e.errno, msg=str(e), t=time.monotonic() - t0)
'''

HELD_READ = r'''
import signal
class Interrupted(Exception):
    pass
def on_int(*_):
    raise Interrupted()
signal.signal(signal.SIGINT, on_int)
path = sys.argv[1]
fd = os.open(path, os.O_RDONLY)
event("open")
sys.stdin.readline()
t0 = time.monotonic()
try:
    try:
        os.pread(fd, 4096, 0)
        res = dict(ok=True)
    except OSError as e:
        res = dict(ok=False, errno=e.errno)
except Interrupted:  # EINTR, or the handler ran right after another outcome
    res = dict(ok=False, interrupted=True)
signal.signal(signal.SIGINT, signal.SIG_IGN)
out(t=time.monotonic() - t0, **res)
'''

LISTING = r'''
t0 = time.monotonic()
try:
    n = len(os.listdir(sys.argv[1]))
    out(ok=True, n=n, t=time.monotonic() - t0)
except OSError as e:
    out(ok=False, errno=e.errno, t=time.monotonic() - t0)
'''


def stall_mount(srv, px, mounts, mode):
    m = mounts(opts=f"{mode},echo_interval=2,cache=none", port=px.port)
    put_backing(srv, "stall-file", b"s" * 8192)
    put_backing(srv, "stall-read", b"r" * 8192)
    os.makedirs(os.path.join(srv.share_path(SHARE), "stall-dir"), exist_ok=True)
    put_backing(srv, "stall-dir/f", b"f")
    return m


def test_stall_hard_waits_and_completes(srv, px, mounts):
    """hard: I/O issued during a 20 s stall completes without error after
    it; a request blocked meanwhile can be interrupted by a signal."""
    m = stall_mount(srv, px, mounts, "hard")
    io = Child(HELD_IO, m.path("stall-file"))
    io.expect("open", 30)
    victim = Child(HELD_READ, m.path("stall-read"))
    victim.expect("open", 30)
    px.stall(STALL)
    t_resume = time.monotonic() + STALL
    io.send()
    victim.send()
    time.sleep(8)
    assert io.proc.poll() is None, f"hard: the request ended during the stall: {io.result(1)}"
    os.kill(victim.proc.pid, signal.SIGINT)
    t_int = time.monotonic()
    try:
        res_v, t_v = victim.result(10)
    except pytest.fail.Exception:
        pytest.fail("hard: a read waiting for the server is not interruptible (SIGINT "
                    "left it waiting 10 s)")
    print(f"hard: ended {t_v - t_int:.1f} s after SIGINT: {res_v}")
    assert not res_v["ok"], res_v  # the server never answered it
    res, t_done = io.result(STALL + 60)
    assert res["ok"], f"hard: the I/O failed: {res}"
    assert t_done >= t_resume - 0.5, "hard: done before the stall ended?"
    print(f"hard: done {t_done - t_resume:.1f} s after the stall ended")
    with open(m.backing("stall-file"), "rb") as f:
        assert f.read(4096) == b"S" * 4096
    alive(m)
    finish(m)


def test_stall_hard_umount_is_prompt(srv, px, mounts):
    """hard, stalled, the engine waiting on a dead connection: umount
    still completes within 15 s and the daemon exits 0."""
    m = stall_mount(srv, px, mounts, "hard")
    px.stall()
    time.sleep(6)  # with echo_interval=2 the connection is dead by now
    t0 = time.monotonic()
    r = subprocess.run(["fusermount3", "-u", m.dir], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    try:
        m.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the daemon did not exit within 30 s of the unmount")
    took = time.monotonic() - t0
    px.resume()
    assert took <= 15, f"umount and exit took {took:.1f} s"
    assert m.proc.returncode == 0, m.stderr()


def test_stall_soft_timeout_40_completes(srv, px, mounts):
    """soft,timeout=40: I/O issued during a 20 s stall completes after it;
    a listing during the stall returns (EIO or success), it never hangs."""
    m = stall_mount(srv, px, mounts, "soft,timeout=40")
    io = Child(HELD_IO, m.path("stall-file"))
    io.expect("open", 30)
    px.stall(STALL)  # over by itself after 20 s
    io.send()
    time.sleep(1)
    ls = Child(LISTING, m.path("stall-dir"))
    res_ls, t_ls = ls.result(40 + 15)
    print(f"listing during the stall: {res_ls}")
    assert res_ls["ok"] or res_ls["errno"] == errno.EIO, res_ls
    res, _ = io.result(60)
    assert res["ok"], f"soft,timeout=40: the I/O failed: {res}"
    with open(m.backing("stall-file"), "rb") as f:
        assert f.read(4096) == b"S" * 4096
    alive(m)
    finish(m)


def test_stall_soft_timeout_5_fails_in_time(srv, px, mounts):
    """soft,timeout=5: I/O issued during a 20 s stall fails with EIO at
    about 5 s; a listing returns; umount completes while still stalled;
    a new mount works once the stall is over."""
    m = stall_mount(srv, px, mounts, "soft,timeout=5")
    io = Child(HELD_IO, m.path("stall-file"))
    io.expect("open", 30)
    px.stall()
    t_stall = time.monotonic()
    io.send()
    ls = Child(LISTING, m.path("stall-dir"))
    res, _ = io.result(5 + 15)
    print(f"soft,timeout=5: {res}")
    assert not res["ok"] and res["errno"] == errno.EIO, res
    assert 3 <= res["t"] <= 5 + 15, res
    res_ls, _ = ls.result(5 + 15)
    assert res_ls["ok"] or res_ls["errno"] == errno.EIO, res_ls
    assert io.exited_within(10) and ls.exited_within(10)
    t0 = time.monotonic()
    r = subprocess.run(["fusermount3", "-u", m.dir], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    try:
        m.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the daemon did not exit within 30 s of the unmount")
    took = time.monotonic() - t0
    stalled_still = px.stalled
    px.resume()
    assert stalled_still
    assert took <= 15, f"umount and exit took {took:.1f} s"
    assert m.proc.returncode == 0, m.stderr()
    again = mounts(port=px.port)
    assert roundtrip(again, "after-stall", "after-")["ok"]
    finish(again)


# ---- e. a long outage --------------------------------------------------------

STAT = r'''
t0 = time.monotonic()
try:
    os.stat(sys.argv[1])
    out(ok=True, t=time.monotonic() - t0)
except OSError as e:
    out(ok=False, errno=e.errno, t=time.monotonic() - t0)
'''

OUTAGE = 90


def test_outage_90s_then_works_by_itself(srv, px, mounts):
    """The server unreachable for 90 s (connection cut, new connections
    refused): requests meanwhile fail with EIO (soft, the default), the
    daemon lives on, and within 15 s of the server being reachable again
    the mount works by itself."""
    m = mounts(port=px.port)
    assert roundtrip(m, "before-outage", "before-")["ok"]
    px.refuse_new(True)
    px.cut()
    t0 = time.monotonic()
    time.sleep(5)
    res, _ = Child(STAT, m.path("never-looked-up")).result(30 + 15)  # timeout=30 by default
    assert not res["ok"] and res["errno"] == errno.EIO, f"during the outage: {res}"
    time.sleep(max(0, t0 + OUTAGE - time.monotonic()))
    assert m.proc.poll() is None, f"the daemon gave up during the outage: {m.stderr()}"
    assert px.refused >= 1, "no reconnection was tried during the outage"
    px.refuse_new(False)
    took = poll_roundtrip(m, "after-outage", within=15)
    print(f"working again {took:.1f} s after the outage ended ({px.refused} refused tries)")
    res, _ = Child(LISTING, m.path()).result(15)
    assert res["ok"] and res["n"] >= 2
    finish(m)


# ---- f. a cut at every message ---------------------------------------------

SCRIPT = r'''
d, n = sys.argv[1], sys.argv[2]
tmp, final = os.path.join(d, f"script-{n}.tmp"), os.path.join(d, f"script-{n}.dat")
data = bytes((i * 7 + int(n)) & 0xFF for i in range(65536))
step = "open"
try:
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    step = "write"
    assert os.pwrite(fd, data, 0) == len(data)
    step = "read"
    assert os.pread(fd, len(data), 0) == data
    step = "rename"
    os.rename(tmp, final)
    step = "lock"
    fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 100, 0))
    step = "close"
    os.close(fd)
    out(ok=True)
except OSError as e:
    out(ok=False, step=step, errno=e.errno, msg=str(e))
'''


def script_data(n):
    return bytes((i * 7 + n) & 0xFF for i in range(65536))


def run_script(srv, px, n, arm=None, settle=0.5):
    """One fresh mount through px, the script as file number n, the cut
    armed once the mount is up. (outcome, frames the script sent, what
    went wrong on the side: a list)."""
    m = Mount(srv, share=SHARE, opts="cache=none", port=px.port).start()
    problems = []
    try:
        time.sleep(0.2)  # let the mount's own start-up traffic pass
        before = px.frames_c2s
        trig = arm() if arm else None
        child = Child(SCRIPT, m.dir, n)
        res, _ = child.result(45)
        time.sleep(settle)  # the release of the handle comes after close()
        frames = px.frames_c2s - before
        if trig is not None and not trig.fired.is_set():
            res["not_fired"] = True
        backing = m.backing(f"script-{n}.dat")
        if not os.path.exists(backing):
            problems.append("the renamed file is not on the server")
        else:
            with open(backing, "rb") as f:
                if f.read() != script_data(n):
                    problems.append("the server's file does not hold exactly the bytes written")
        if os.path.exists(m.backing(f"script-{n}.tmp")):
            problems.append("the old name is still on the server")
        if m.proc.poll() is not None:
            problems.append(f"the daemon died (status {m.proc.returncode})")
        else:
            ls = Child(LISTING, m.dir)
            try:
                got = ls.result(30)[0]
                if not got.get("ok"):
                    problems.append(f"the mount does not answer: {got}")
            except pytest.fail.Exception as e:
                problems.append(f"the mount does not answer: {e}")
    finally:
        proc = m.proc
        m.stop(check=False)
    err = m.stderr()
    problems += [f"{b!r} in the daemon's stderr" for b in CRASH if b in err]
    if proc.returncode not in (0,):
        problems.append(f"the daemon exited with {proc.returncode}")
    if problems or not res.get("ok"):
        keep_log(f"script {n}: {res} {problems}\n" + err)
    return res, frames, problems


@pytest.mark.parametrize("direction", ["c2s", "s2c"],
                         ids=["request-lost", "answer-lost"])
def test_cut_at_every_message(srv, px, mounts, direction):
    """The script (open, write 64 KiB, read back, rename, fcntl lock,
    close) with the connection cut at its N-th request (the request is
    lost), or at the N-th answer (the request was carried out, its answer
    lost), for every N: the script succeeds, the server's file holds
    exactly what was written, once, and the daemon lives on."""
    res, k, problems = run_script(srv, px, 0)
    assert res["ok"] and not problems, (res, problems)
    assert k >= 6, f"the script sent only {k} frames"
    print(f"the script sends {k} frames; each cut at one of them, {direction}")
    failures, not_fired = [], []
    t0 = time.monotonic()
    for n in range(1, k + 1):
        res, _, problems = run_script(
            srv, px, n, arm=lambda: px.cut_at(n, direction=direction, count="global"))
        if res.pop("not_fired", False):
            not_fired.append(n)
        if not res.get("ok") or problems:
            failures.append(f"N={n}: {res} {problems}")
            if len(failures) >= 3:
                failures.append("(stopped after 3 failures)")
                break
    print(f"{n} cuts in {time.monotonic() - t0:.0f} s")
    assert not failures, "cuts that broke the script:\n" + "\n".join(failures)
    # a run may send a frame less than the measured one; not more than that
    assert len(not_fired) <= 2, f"the cut never came for N in {not_fired}"


# ---- g. the counters at exit -------------------------------------------


def test_counters_at_exit(srv, px, mounts):
    """-d prints the resilience counters at exit: all zero for a quiet
    mount; reconnects >= 1 after the serving smbd was killed."""
    quiet = mounts(port=px.port, flags=["-d"])
    assert roundtrip(quiet, "counters-quiet", "quiet-")["ok"]
    err = finish(quiet)
    got = COUNTERS.findall(err)
    assert len(got) == 1, "no (or more than one) counters line:\n" + err[-3000:]
    assert got[0] == ("0", "0", "0", "0"), got

    m = mounts(port=px.port, flags=["-d"])
    assert roundtrip(m, "counters-before", "before-")["ok"]
    inject("kill", srv, px)
    assert roundtrip(m, "counters-after", "after-", timeout=90)["ok"]
    err = finish(m)
    got = COUNTERS.findall(err)
    assert len(got) == 1, "no (or more than one) counters line:\n" + err[-3000:]
    reconnects, replays, reclaimed, lost = map(int, got[0])
    print(f"reconnects={reconnects} replays={replays} handles_reclaimed={reclaimed} "
          f"handles_lost={lost}")
    assert reconnects >= 1


# ---- session expiry --------------------------------------------------------

READ_CMD = 8
STATUS_NETWORK_SESSION_EXPIRED = 0xC000035C


def expired_answer(frame):
    """The server's READ answer turned into STATUS_NETWORK_SESSION_EXPIRED
    (an ERROR body, MS-SMB2 2.2.2), as a server whose session timed out
    answers; same MessageId, SessionId and TreeId."""
    hdr = bytearray(frame[:64])
    struct.pack_into("<I", hdr, 8, STATUS_NETWORK_SESSION_EXPIRED)
    struct.pack_into("<I", hdr, 20, 0)  # NextCommand
    return bytes(hdr) + struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"


def test_session_expiry_reauthenticates_and_replays_invisibly(srv, mounts):
    """A READ answered STATUS_NETWORK_SESSION_EXPIRED: the session is set up
    again with the stored credentials and the read is replayed; the program
    sees its data and no error. (The session is unsigned here, vers=3.0 with
    nosign, so that the proxy can write the expiry.)"""
    data = bytes(range(256)) * 40
    put_backing(srv, "expiry.bin", data)
    state = {"armed": False, "expired": 0}

    def to_client(frame):
        h = frame_header(frame)
        if (state["armed"] and not state["expired"] and h and h[0] == READ_CMD and h[2] == 0
                and not struct.unpack_from("<I", frame, 20)[0]):
            state["expired"] += 1
            return expired_answer(frame)
        return frame

    p = FaultProxy("127.0.0.1", srv.port, to_client=to_client).start()
    try:
        m = mounts(opts="vers=3.0,nosign,cache=none", port=p.port, flags=["-d"])
        state["armed"] = True
        with open(m.path("expiry.bin"), "rb") as f:
            assert f.read() == data
        assert state["expired"] == 1, "no READ answer was turned into an expiry"
        err = finish(m)
        counters = re.search(r"^smbfuse: resilience: reconnects=(\d+) replays=(\d+)", err, re.M)
        assert counters and int(counters.group(1)) >= 1 and int(counters.group(2)) >= 1, err[-2000:]
        assert "session expired: re-authenticating" in err
    finally:
        p.stop()


def test_reconnect_refuses_another_dialect(srv, mounts):
    """After a cut, the server (a man in the middle here) answers the new
    NEGOTIATE with SMB 3.0 where the mount uses 3.1.1: refused as a
    downgrade, never used; once NEGOTIATE is honest again, the mount
    recovers by itself."""
    state = {"downgrade": False, "rewritten": 0}

    def to_client(frame):
        if state["downgrade"] and is_negotiate_response(frame):
            state["rewritten"] += 1
            return set_negotiate_dialect(frame, 0x0300)
        return frame

    p = FaultProxy("127.0.0.1", srv.port, to_client=to_client).start()
    try:
        m = mounts(opts="timeout=5", port=p.port)  # 3.0 to 3.1.1 allowed; 3.1.1 chosen
        assert roundtrip(m, "dialect-before", "b-")["ok"]
        state["downgrade"] = True
        p.cut()
        assert wait_until(lambda: state["rewritten"] >= 1, 15), "no reconnect attempt"
        res = roundtrip(m, "dialect-during", "d-")
        assert not res["ok"] and res.get("errno") == errno.EIO, res
        state["downgrade"] = False
        took = poll_roundtrip(m, "dialect-after", within=15)
        assert took < 15
        err = finish(m)
        assert re.search(r"chose SMB 3\.0 on reconnect where the mount uses SMB 3\.1\.1: refused",
                         err), err[-2000:]
    finally:
        p.stop()


def counters_of(err):
    m = re.search(r"^smbfuse: resilience: (.*)$", err, re.M)
    assert m, err[-2000:]
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


@pytest.mark.parametrize("opts", ["", "nolease"])
def test_nolease_makes_no_durable_handles(srv, px, mounts, opts):
    """By default an open file is durable and reclaimed after a cut; with
    nolease there is no lease, so no durable handle: the file is reopened
    by name instead (it holds no locks), and still works."""
    m = mounts(opts=opts, port=px.port, flags=["-d"])
    name = f"lease-{opts or 'default'}.txt"
    with open(m.path(name), "w") as f:
        f.write("before ")
        f.flush()
        # The file is created with its first write (lazy create), which is
        # answered before the server is: wait until it is open there, or
        # the cut may catch the CREATE itself, which is then sent again
        # rather than reclaimed.
        os.fsync(f.fileno())
        px.cut()
        time.sleep(0.5)
        f.write("after")
    assert open(m.backing(name)).read() == "before after"
    c = counters_of(finish(m))
    if opts == "nolease":
        assert c["handles_reclaimed"] == 0 and c["handles_reopened"] == 1, c
    else:
        assert c["handles_reclaimed"] == 1 and c["handles_reopened"] == 0, c
