"""Issue 8: the mount as an attacker sees it. A proxy between smbfuse and
smbd forges what the server sent; hostile server values; an unlock of
nothing; SIGTERM in the middle of busy I/O.

Who writes what a check trusts: the MessageId, SessionId, Flags and
credits of a response are the attacker's to choose, so none of them may
decide whether a response is checked."""

import errno
import fcntl
import os
import re
import signal
import struct
import subprocess
import threading
import time

import pytest

from conftest import Mount, is_mounted
from harness import binary, run
from proxy import Proxy, frame_header

SMB2_MAGIC = b"\xfeSMB"
TRANSFORM_MAGIC = b"\xfdSMB"
NEGOTIATE, SESSION_SETUP, READ, QUERY_DIRECTORY = 0, 1, 8, 14
SERVER_TO_REDIR, ASYNC = 0x1, 0x2
STATUS_PENDING, STATUS_NO_MORE_FILES = 0x103, 0x80000006
GENUINE = b"GENUINE-CONTENT-" * 64
FORGED = b"FORGED-BY-ATTACKER"


def smb2_header(command, mid, session_id, status=0, flags=SERVER_TO_REDIR, credits=1,
                async_id=None, tree_id=0):
    if async_id is None:
        tail = struct.pack("<II", 0, tree_id)
    else:
        tail = struct.pack("<Q", async_id)
    return (struct.pack("<4sHHIHHIIQ", SMB2_MAGIC, 64, 1, status, command, credits, flags, 0,
                        mid) + tail + struct.pack("<Q", session_id) + bytes(16))


def forged_read(mid, session_id, data=FORGED):
    """A plaintext, unsigned READ response (MS-SMB2 2.2.20)."""
    body = struct.pack("<HBBIII", 17, 64 + 16, 0, len(data), 0, 0) + data
    return smb2_header(READ, mid, session_id) + body


def forged_interim(mid, session_id, credits=1000):
    """An interim STATUS_PENDING (MS-SMB2 3.3.4.2) granting many credits."""
    body = struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"
    return smb2_header(READ, mid, session_id, status=STATUS_PENDING,
                       flags=SERVER_TO_REDIR | ASYNC, credits=credits,
                       async_id=0x4141414141) + body


def request_ids(frame):
    """(command, message_id, session_id) of a plaintext request, or
    (None, None, transform session id) of an encrypted one."""
    if frame[:4] == TRANSFORM_MAGIC:
        return None, None, struct.unpack_from("<Q", frame, 44)[0]
    h = frame_header(frame)
    if h is None:
        return None, None, None
    return h[0], h[3], struct.unpack_from("<Q", frame, 40)[0]


class Forger:
    """Armed, it takes the client's next request: a plaintext READ is
    dropped and answered with a forged response for its MessageId; an
    encrypted request (the proxy cannot see inside) is dropped and
    answered with forged responses for every plausible MessageId. In
    'interim' mode the request goes on to the server and a forged interim
    response races the real answer."""

    def __init__(self, mode, session_id=0):
        self.mode = mode
        self.session_id = session_id
        self.armed = threading.Event()
        self.fired = threading.Event()
        self.proxy = None

    def __call__(self, frame):
        if not self.armed.is_set() or self.fired.is_set():
            return frame
        cmd, mid, sid = request_ids(frame)
        if cmd is not None and cmd != READ:
            return frame  # plaintext, not the READ: let it through
        self.fired.set()
        if self.mode == "interim":
            if mid is None:  # encrypted: every plausible id, right session
                for m in range(0, 2048):
                    self.proxy.send_to_client(forged_interim(m, sid))
            else:
                self.proxy.send_to_client(forged_interim(mid, sid))
            return frame
        mids = [mid] if mid is not None else range(0, 2048)
        for m in mids:
            self.proxy.send_to_client(forged_read(m, self.session_id))
        return None  # the server never sees the READ


def genuine_file(server, name):
    path = os.path.join(server.share_path("share"), name)
    with open(path, "wb") as f:
        f.write(GENUINE)
    os.chmod(path, 0o666)


VARIANTS = ["vers=3.1.1", "vers=3.1.1,seal", "vers=2.1"]


@pytest.mark.parametrize("vers", VARIANTS)
@pytest.mark.parametrize("session_id", [0, 0x0123456789ABCDEF], ids=["sid0", "othersid"])
def test_forged_read_response_is_refused(server, vers, session_id):
    """A plaintext, unsigned READ response with SessionId 0 or another
    session's id, for the MessageId of a pending READ: the read fails with
    EIO, the attacker's bytes never reach the application, and the daemon
    names a security failure."""
    name = f"forged-{vers.replace('=', '').replace(',', '-')}-{session_id:x}"
    genuine_file(server, name)
    forger = Forger("read", session_id)
    with Proxy("127.0.0.1", server.port, to_server=forger) as px:
        forger.proxy = px
        m = Mount(server, opts=f"{vers},cache=none", port=px.port).start()
        try:
            fd = os.open(m.path(name), os.O_RDONLY)
            try:
                forger.armed.set()
                with pytest.raises(OSError) as e:
                    data = os.read(fd, len(GENUINE))
                    assert FORGED not in data, "forged READ data reached the application"
                assert e.value.errno == errno.EIO
            finally:
                os.close(fd)
            assert forger.fired.is_set()
        finally:
            m.stop(check=False)
        err = m.stderr()
        assert "security failure" in err, err
        assert "AddressSanitizer" not in err and "runtime error" not in err, err


@pytest.mark.parametrize("vers", VARIANTS)
def test_forged_interim_changes_nothing(server, vers):
    """A forged interim STATUS_PENDING carrying the request's SessionId and
    a grant of 1000 credits, racing the real answer: the read returns the
    genuine data, of the grant at most what the request asked for is held
    (counted only once the real answer verified), the mount goes on working."""
    name = f"interim-{vers.replace('=', '').replace(',', '-')}"
    genuine_file(server, name)
    forger = Forger("interim")
    with Proxy("127.0.0.1", server.port, to_server=forger) as px:
        forger.proxy = px
        m = Mount(server, opts=f"{vers},cache=none,debug=conn", port=px.port).start()
        try:
            fd = os.open(m.path(name), os.O_RDONLY)
            try:
                forger.armed.set()
                assert os.pread(fd, len(GENUINE), 0) == GENUINE
            finally:
                os.close(fd)
            assert forger.fired.is_set()
            with open(m.path(name), "rb") as f:  # still working afterwards
                assert f.read() == GENUINE
            err = m.stderr()
        finally:
            m.stop()  # exit 0, no warning, no sanitizer report
        assert "security failure" not in err, err
        held = re.search(r"unverified interim response: (\d+) credits held", err)
        assert held, err
        assert int(held.group(1)) <= 65  # what a request asks for, never the 1000


def rewrite_negotiate(offset, value):
    def hook(frame):
        h = frame_header(frame)
        if h and h[0] == NEGOTIATE and h[1] & SERVER_TO_REDIR:
            b = bytearray(frame)
            struct.pack_into("<I", b, 64 + offset, value)
            return bytes(b)
        return frame
    return hook


@pytest.mark.parametrize("field,offset", [("MaxReadSize", 32), ("MaxWriteSize", 36),
                                          ("MaxTransactSize", 28)])
@pytest.mark.parametrize("value", [0, 1])
def test_tiny_io_sizes_refused_at_mount(server, tmp_path, field, offset, value):
    mp = tmp_path / "m"
    mp.mkdir()
    with Proxy("127.0.0.1", server.port, to_client=rewrite_negotiate(offset, value)) as px:
        r = run([binary("smbfuse"), f"//127.0.0.1:{px.port}/share", str(mp), "-o",
                 f"credentials={server.credentials_file()}"], timeout=30)
    assert r.returncode == 3, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{field} {value}" in lines[0], r.stderr
    assert not is_mounted(str(mp))


def test_session_id_zero_refused(server, tmp_path):
    """A server (or proxy) that names the new session 0 would leave it
    without signing or sealing: refused, even with seal asked for."""
    def zero_sid(frame):
        h = frame_header(frame)
        if h and h[0] == SESSION_SETUP and h[1] & SERVER_TO_REDIR:
            b = bytearray(frame)
            struct.pack_into("<Q", b, 40, 0)
            return bytes(b)
        return frame
    mp = tmp_path / "m"
    mp.mkdir()
    with Proxy("127.0.0.1", server.port, to_client=zero_sid) as px:
        r = run([binary("smbfuse"), f"//127.0.0.1:{px.port}/share", str(mp), "-o",
                 f"credentials={server.credentials_file()},seal"], timeout=30)
    assert r.returncode == 3, r.stderr
    assert "SessionId 0" in r.stderr
    assert not is_mounted(str(mp))


class EndlessListing:
    """Never lets a listing end: STATUS_NO_MORE_FILES is replaced by the
    last full answer again (mode 'repeat') or by a SUCCESS with an empty
    buffer (mode 'empty'). Works on an unsigned (guest) session."""

    def __init__(self, mode):
        self.mode = mode
        self.last = None
        self.rewritten = 0
        self.active = True

    def remember(self, frame):
        """Keep the last successful QUERY_DIRECTORY answer, also from inside
        a compound (CREATE + QUERY_DIRECTORY), as a PDU of its own."""
        off = 0
        while off + 64 <= len(frame) and frame[off:off + 4] == SMB2_MAGIC:
            nxt, = struct.unpack_from("<I", frame, off + 20)
            pdu = frame[off:off + nxt] if nxt else frame[off:]
            h = frame_header(pdu)
            if h and h[0] == QUERY_DIRECTORY and h[2] == 0 and len(pdu) > 80:
                b = bytearray(pdu)
                struct.pack_into("<I", b, 20, 0)  # no NextCommand
                struct.pack_into("<I", b, 16, h[1] & ~0x4)  # not RELATED
                self.last = bytes(b)
            if not nxt:
                break
            off += nxt

    def __call__(self, frame):
        if not self.active:
            return frame
        self.remember(frame)
        h = frame_header(frame)
        if not h or h[0] != QUERY_DIRECTORY or not h[1] & SERVER_TO_REDIR:
            return frame
        if h[2] != STATUS_NO_MORE_FILES:
            return frame
        self.rewritten += 1
        if self.mode == "repeat" and self.last is not None:
            b = bytearray(self.last)
            b[24:32] = frame[24:32]  # this request's MessageId
            return bytes(b)
        b = bytearray(frame[:64]) + struct.pack("<HHI", 9, 0, 0) + b"\0"
        struct.pack_into("<I", b, 8, 0)  # STATUS_SUCCESS, empty OutputBuffer
        return bytes(b)


@pytest.mark.parametrize("mode", ["empty", "repeat"])
def test_endless_directory_listing_ends(server, mode):
    d = os.path.join(server.share_path("guest"), f"endless-{mode}")
    os.makedirs(d, exist_ok=True)
    for i in range(5000):
        open(os.path.join(d, f"entry-with-a-longish-name-{i:05}"), "w").close()
    hook = EndlessListing(mode)
    with Proxy("127.0.0.1", server.port, to_client=hook) as px:
        m = Mount(server, share="guest", port=px.port)
        m.opts = "guest,cache=none"  # no user: an anonymous guest session, unsigned
        m.start()
        try:
            t0 = time.monotonic()
            if mode == "empty":
                assert len(os.listdir(m.path(f"endless-{mode}"))) == 5000
            else:
                with pytest.raises(OSError) as e:
                    os.listdir(m.path(f"endless-{mode}"))
                assert e.value.errno == errno.EIO
            print(f"{mode}: listing ended after {time.monotonic() - t0:.1f} s, "
                  f"{hook.rewritten} answers rewritten")
            assert hook.rewritten >= 1
            hook.active = False
            assert f"endless-{mode}" in os.listdir(m.path())  # the mount still works
        finally:
            m.stop(check=False)
        assert "AddressSanitizer" not in m.stderr() and "runtime error" not in m.stderr()


@pytest.mark.parametrize("how", ["fcntl", "flock"])
def test_unlock_without_lock(mnt, how):
    """Unlock of nothing, twice, and of a range never locked: answered at
    once without a server round trip (a use-after-free before; ASan runs
    this suite)."""
    p = mnt.path(f"unlock-{how}")
    with open(p, "w+") as f:
        f.write("x" * 100)
        f.flush()
        for _ in range(2):
            if how == "flock":
                fcntl.flock(f, fcntl.LOCK_UN)
            else:
                fcntl.lockf(f, fcntl.LOCK_UN, 10, 20)
                fcntl.lockf(f, fcntl.LOCK_UN)
        if how == "flock":
            fcntl.flock(f, fcntl.LOCK_EX)
            fcntl.flock(f, fcntl.LOCK_UN)
            fcntl.flock(f, fcntl.LOCK_UN)
        else:
            fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)
            fcntl.lockf(f, fcntl.LOCK_UN, 50, 10)  # never locked by itself
            fcntl.lockf(f, fcntl.LOCK_UN, 10, 0)
            fcntl.lockf(f, fcntl.LOCK_UN, 10, 0)
    assert open(p).read() == "x" * 100


def test_sigterm_under_load_exits_cleanly(server):
    """SIGTERM while writers and readers are busy: the daemon stops reading
    FUSE, unmounts, drains and frees in order, and exits 0 (under ASan in
    CI: no use-after-free, no leak)."""
    m = Mount(server, opts="vers=3.1.1").start()
    try:
        workers = [subprocess.Popen(["dd", "if=/dev/zero", f"of={m.path(f'busy{i}')}",
                                     "bs=1M", "count=200"], stderr=subprocess.DEVNULL)
                   for i in range(2)]
        workers.append(subprocess.Popen(
            ["sh", "-c", f"while mountpoint -q {m.dir}; do ls -l {m.dir} >/dev/null 2>&1; done"]))
        time.sleep(1.0)
        os.kill(m.proc.pid, signal.SIGTERM)
        m.proc.wait(timeout=30)
        for w in workers:
            w.wait(timeout=30)
        assert m.proc.returncode == 0, m.stderr()
        assert not is_mounted(m.dir)
        err = m.stderr()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error", "CRITICAL"):
            assert bad not in err, err
    finally:
        m.stop(check=False)
