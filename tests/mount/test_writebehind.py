"""Write-behind, negative lookups and the counters (issue 11).

Writes are answered before the server has them; what must hold is that
nothing so acknowledged is lost silently: a failure is reported by a later
write, fsync or close, and whatever reads the file (stat, another
descriptor, a server-side copy) sees every byte written before it."""

import errno
import hashlib
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import Mount


def counters(text, area):
    """The last 'smbfuse: AREA: k=v ...' line of a daemon's stderr, as a dict."""
    lines = [l for l in text.splitlines() if f"smbfuse: {area}:" in l]
    assert lines, f"no {area} counters in:\n{text[-2000:]}"
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])}


def test_size_and_data_seen_while_writes_are_in_flight(mnt):
    p = mnt.path("wb-size.bin")
    data = os.urandom(8 << 20)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for i in range(0, len(data), 1 << 20):
            os.write(fd, data[i:i + (1 << 20)])
            # stat goes to the server: it must not see the old size
            assert os.stat(p).st_size == i + (1 << 20)
        # another descriptor reads what was written, before any close
        with open(p, "rb") as g:
            assert hashlib.sha256(g.read()).digest() == hashlib.sha256(data).digest()
    finally:
        os.close(fd)
    with open(mnt.backing("wb-size.bin"), "rb") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest()
    os.unlink(p)


def test_copy_right_after_writing_copies_everything(mnt):
    """copy_file_range is done by the server: it must wait for the writes."""
    src, dst = mnt.path("wb-copy-src"), mnt.path("wb-copy-dst")
    data = os.urandom(3 << 20)
    with open(src, "w+b") as f:
        f.write(data)
        f.flush()
        with open(dst, "wb") as g:
            n = os.copy_file_range(f.fileno(), g.fileno(), len(data), 0, 0)
            assert n == len(data)
    with open(mnt.backing("wb-copy-dst"), "rb") as f:
        assert f.read() == data
    os.unlink(src)
    os.unlink(dst)


@pytest.fixture
def small_dir(server):
    """A directory of the share on a 2 MiB file system."""
    d = os.path.join(server.share_path(), "small")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=1777", "tmpfs", d], check=True)
    yield "small"
    subprocess.run(["umount", "-l", d])
    os.rmdir(d)


def write_then_close(path, chunks):
    """Write chunks, fsync-free, then close: the first error (errno, call)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as e:
        return e.errno, "open"
    for c in chunks:
        try:
            os.write(fd, c)
        except OSError as e:
            os.close(fd)
            return e.errno, "write"
    try:
        os.close(fd)
    except OSError as e:
        return e.errno, "close"
    return 0, None


def test_failed_write_behind_is_reported_by_a_later_call(server, fresh_mount, small_dir):
    m = fresh_mount(opts="vers=3.1.1", flags=["-d"]).start()
    # dd: the server fails after 2 MiB; a later write(2) says so
    r = subprocess.run(["dd", "if=/dev/zero", f"of={m.path(small_dir, 'dd.bin')}", "bs=1M",
                        "count=16"], capture_output=True, text=True)
    assert r.returncode != 0 and "No space left on device" in r.stderr, r.stderr
    os.unlink(m.path(small_dir, "dd.bin"))
    # writes all acknowledged at once: close(2) reports the failure
    err, call = write_then_close(m.path(small_dir, "close.bin"), [b"x" * (1 << 20)] * 3)
    assert err == errno.ENOSPC, (err, call)
    os.unlink(m.path(small_dir, "close.bin"))
    # fsync reports it too
    fd = os.open(m.path(small_dir, "fsync.bin"), os.O_WRONLY | os.O_CREAT, 0o644)
    with pytest.raises(OSError) as e:
        for _ in range(3):
            os.write(fd, b"y" * (1 << 20))
        os.fsync(fd)
    assert e.value.errno == errno.ENOSPC
    os.close(fd)
    os.unlink(m.path(small_dir, "fsync.bin"))
    m.stop(check=False)  # the lost writes are logged: not a clean stderr
    assert not any(bad in m.stderr() for bad in ("AddressSanitizer", "runtime error", "CRITICAL"))
    c = counters(m.stderr(), "cache")
    assert c["writes_behind"] > 0 and c["write_errors_deferred"] >= 2


def test_counters_on_sigusr1_and_at_exit(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1", flags=["-d"]).start()
    with open(m.path("counted.bin"), "wb") as f:
        f.write(os.urandom(4 << 20))
    os.kill(m.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while "smbfuse: requests:" not in m.stderr():
        assert time.monotonic() < deadline, m.stderr()
        time.sleep(0.05)
    req = counters(m.stderr(), "requests")
    assert req["WRITE"] >= 4 and req["CREATE"] >= 1
    traffic = counters(m.stderr(), "traffic")
    assert traffic["bytes_sent"] >= 4 << 20 and traffic["round_trips"] > 0
    os.unlink(m.path("counted.bin"))
    m.stop()
    fuse = counters(m.stderr(), "fuse")
    assert fuse["WRITE"] >= 4 and fuse["operations"] > fuse["WRITE"]
    assert 0 < fuse["round_trips_per_operation"] < 10
    assert counters(m.stderr(), "cache")["writes_behind"] >= 4


def test_negative_lookups_answered_locally_and_others_seen_within_actimeo(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1,actimeo=1", flags=["-d"]).start()
    os.mkdir(m.path("neg"))
    for i in range(50):
        with open(m.path("neg", f"f{i}"), "w") as f:
            f.write("x")
    # a name that exists in another case is not taken for absent
    assert os.path.exists(m.path("neg", "F7"))
    # another client creates a name this mount has just seen absent
    assert not os.path.exists(m.path("neg", "other"))
    with open(m.backing("neg", "other"), "w") as f:
        f.write("from elsewhere")
    deadline = time.monotonic() + 1 + 2  # actimeo, and some slack
    while not os.path.exists(m.path("neg", "other")):
        assert time.monotonic() < deadline, "a file made elsewhere stayed hidden past actimeo"
        time.sleep(0.1)
    # and one it removes is gone within actimeo too
    os.unlink(m.backing("neg", "f3"))
    deadline = time.monotonic() + 3
    while os.path.exists(m.path("neg", "f3")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for n in os.listdir(m.path("neg")):
        os.unlink(m.path("neg", n))
    os.rmdir(m.path("neg"))
    m.stop()
    assert counters(m.stderr(), "cache")["negative_lookups_local"] >= 50


def test_cache_loose_batches_small_writes(server, fresh_mount):
    """cache=loose: the kernel's writeback cache turns a thousand 4 KiB
    writes into a few large WRITEs; the data is all there after close,
    also for a file opened write-only (the kernel may read around a page)."""
    m = fresh_mount(opts="vers=3.1.1,cache=loose", flags=["-d"]).start()
    data = os.urandom(4096 * 1000)
    fd = os.open(m.path("loose.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for i in range(0, len(data), 4096):
        os.write(fd, data[i:i + 4096])
    os.write(fd, b"tail")  # a partial page at the end
    os.pwrite(fd, b"MID", 5000)  # and one in the middle
    os.close(fd)
    want = data[:5000] + b"MID" + data[5003:] + b"tail"
    with open(m.backing("loose.bin"), "rb") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(want).digest()
    with open(m.path("loose.bin"), "rb") as f:
        assert f.read() == want
    os.unlink(m.path("loose.bin"))
    m.stop()
    writes = counters(m.stderr(), "requests")["WRITE"]
    assert writes < 100, f"{writes} WRITEs for 1000 small writes"


def test_cache_loose_reports_a_failed_writeback(server, fresh_mount, small_dir):
    m = fresh_mount(opts="vers=3.1.1,cache=loose").start()
    err, call = write_then_close(m.path(small_dir, "loose-full.bin"), [b"z" * 65536] * 64)
    assert err == errno.ENOSPC, (err, call)
    os.unlink(m.path(small_dir, "loose-full.bin"))
    m.stop(check=False)
