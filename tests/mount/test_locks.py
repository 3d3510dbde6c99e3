"""Issue 4: POSIX and flock locks as SMB2 byte-range locks. Two separate
mounts (two connections) only see each other's locks if they reach the
server; with nobrl they stay local."""

import errno
import fcntl
import os
import struct
import threading
import time

import pytest

from conftest import Mount


@pytest.fixture(scope="module", params=["vers=2.1", "vers=3.1.1", "vers=3.1.1,seal"])
def two(request, server):
    a = Mount(server, opts=request.param).start()
    b = Mount(server, opts=request.param).start()
    with open(a.path("lockme"), "wb") as f:
        f.write(b"x" * 4096)
    yield a, b
    a.stop()
    b.stop()


def test_posix_lock_conflicts_across_clients(two):
    a, b = two
    fa = os.open(a.path("lockme"), os.O_RDWR)
    fb = os.open(b.path("lockme"), os.O_RDWR)
    try:
        fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 0)
        with pytest.raises(OSError) as e:
            fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 50)
        assert e.value.errno in (errno.EAGAIN, errno.EACCES)
        # a range that does not overlap is free
        fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 200)
        # F_GETLK on the other client sees a write lock
        req = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 10, 10, 0)
        got = struct.unpack("hhqqi", fcntl.fcntl(fb, fcntl.F_GETLK, req))
        assert got[0] == fcntl.F_WRLCK
        fcntl.lockf(fa, fcntl.LOCK_UN, 100, 0)
        fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 50)  # now it is free
        req = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 60, 10, 0)
        got = struct.unpack("hhqqi", fcntl.fcntl(fa, fcntl.F_GETLK, req))
        assert got[0] == fcntl.F_WRLCK
        fcntl.lockf(fb, fcntl.LOCK_UN, 0, 0)
        got = struct.unpack("hhqqi", fcntl.fcntl(fa, fcntl.F_GETLK, req))
        assert got[0] == fcntl.F_UNLCK
    finally:
        os.close(fa)
        os.close(fb)


def test_shared_locks_coexist_and_upgrade(two):
    a, b = two
    fa = os.open(a.path("lockme"), os.O_RDWR)
    fb = os.open(b.path("lockme"), os.O_RDWR)
    try:
        fcntl.lockf(fa, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 0)
        fcntl.lockf(fb, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 0)
        with pytest.raises(OSError):
            fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)  # b still reads
        fcntl.lockf(fb, fcntl.LOCK_UN, 10, 0)
        fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)  # upgrade, POSIX style
        with pytest.raises(OSError):
            fcntl.lockf(fb, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 0)
        fcntl.lockf(fa, fcntl.LOCK_UN, 10, 0)
    finally:
        os.close(fa)
        os.close(fb)


def test_close_drops_locks(two):
    a, b = two
    fa = os.open(a.path("lockme"), os.O_RDWR)
    fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)
    os.close(fa)
    fb = os.open(b.path("lockme"), os.O_RDWR)
    try:
        fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)
        fcntl.lockf(fb, fcntl.LOCK_UN, 0, 0)
    finally:
        os.close(fb)


def test_blocking_lock_waits(two):
    a, b = two
    fa = os.open(a.path("lockme"), os.O_RDWR)
    fb = os.open(b.path("lockme"), os.O_RDWR)
    got = {}
    try:
        fcntl.lockf(fa, fcntl.LOCK_EX, 1, 0)

        def waiter():
            t0 = time.monotonic()
            fcntl.lockf(fb, fcntl.LOCK_EX, 1, 0)  # blocks on the server
            got["waited"] = time.monotonic() - t0
        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(1.0)
        assert "waited" not in got
        fcntl.lockf(fa, fcntl.LOCK_UN, 1, 0)
        t.join(20)
        assert got.get("waited", 0) >= 0.9
        fcntl.lockf(fb, fcntl.LOCK_UN, 1, 0)
    finally:
        os.close(fa)
        os.close(fb)


def test_flock_across_clients(two):
    a, b = two
    fa = os.open(a.path("lockme"), os.O_RDWR)
    fb = os.open(b.path("lockme"), os.O_RDWR)
    try:
        fcntl.flock(fa, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(OSError) as e:
            fcntl.flock(fb, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert e.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
        fcntl.flock(fa, fcntl.LOCK_UN)
        fcntl.flock(fb, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fb, fcntl.LOCK_UN)
    finally:
        os.close(fa)
        os.close(fb)


def test_nobrl_keeps_locks_local(server):
    a = Mount(server, opts="nobrl").start()
    b = Mount(server, opts="nobrl").start()
    try:
        with open(a.path("local"), "w") as f:
            f.write("x")
        fa = os.open(a.path("local"), os.O_RDWR)
        fb = os.open(b.path("local"), os.O_RDWR)
        fcntl.lockf(fa, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)
        fcntl.lockf(fb, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)  # no server lock: no conflict
        os.close(fa)
        os.close(fb)
        os.unlink(a.path("local"))
    finally:
        a.stop()
        b.stop()
