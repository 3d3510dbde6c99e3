"""Deferred close (closetimeo=, issue 11): a file read and closed through
the mount stays open on the server for closetimeo seconds (1 by default) while its
lease grants read and handle caching, and the next open of it takes that
handle: no CREATE and no CLOSE for a file opened again and again. Another
client's change breaks the lease and closes the kept handle, and this
mount's own unlink and rename close it first, so that nothing is left
"delete pending" and names can be reused at once."""

import fcntl
import os
import time

import pytest


def put(m, name, data):
    with open(m.backing(name), "wb") as f:
        f.write(data)
    os.chown(m.backing(name), *owner_of(m))


def owner_of(m):
    st = os.stat(m.server.share_path())
    return st.st_uid, st.st_gid


def read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("vers", ["vers=3.1.1", "vers=2.1"])
def test_reopening_takes_the_kept_handle(server, fresh_mount, vers):
    m = fresh_mount(opts=vers).start()
    data = os.urandom(5000)
    put(m, f"dc-loop-{vers}.bin", data)
    p = m.path(f"dc-loop-{vers}.bin")
    assert read(p) == data
    r0, f0, c0 = m.counters("requests"), m.counters("fuse"), m.counters("cache")
    for _ in range(20):
        assert read(p) == data
    r1, f1, c1 = m.counters("requests"), m.counters("fuse"), m.counters("cache")

    def delta(a, b, k):
        return b.get(k, 0) - a.get(k, 0)
    # The only CREATEs left are the kernel's stats by name (CREATE +
    # QUERY_INFO + CLOSE, each with its CLOSE); the 20 opens cost none.
    creates = delta(r0, r1, "CREATE")
    assert creates <= delta(f0, f1, "GETATTR") + delta(f0, f1, "LOOKUP") <= 2, (r0, r1, f0, f1)
    assert delta(r0, r1, "CLOSE") == creates
    assert delta(f0, f1, "OPEN") == 20
    assert delta(c0, c1, "deferred_close_hits") == 20
    # closed for real once closetimeo (1 s) has passed
    deadline = time.monotonic() + 5
    while m.counters("requests").get("CLOSE", 0) == r1.get("CLOSE", 0):
        assert time.monotonic() < deadline, "the kept handle was never closed"
        time.sleep(0.2)


def test_another_clients_change_closes_it_and_shows(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1,closetimeo=30").start()
    put(m, "dc-other.txt", b"old contents\n")
    p = m.path("dc-other.txt")
    assert read(p) == b"old contents\n"  # kept open for 30 s now
    src = os.path.join(m.server.dir, "dc-new.txt")
    with open(src, "wb") as f:
        f.write("новое содержимое, zażółć, 新しい\n".encode())
    t = time.monotonic()
    rc, out = m.server.smbclient(f"put {src} dc-other.txt")
    assert rc == 0, out
    assert time.monotonic() - t < 10
    assert read(p) == "новое содержимое, zażółć, 新しい\n".encode()
    assert m.counters("cache")["lease_breaks"] >= 1


def test_another_clients_delete_completes_within_closetimeo(server, fresh_mount):
    """Samba 4.17 does not break the handle lease of a file it deletes (it
    marks it delete-pending): the file goes when the kept handle is closed,
    at closetimeo (1 s) at the latest."""
    m = fresh_mount(opts="vers=3.1.1").start()
    put(m, "dc-del.txt", b"to be deleted\n")
    assert read(m.path("dc-del.txt")) == b"to be deleted\n"  # kept open
    t = time.monotonic()
    rc, out = m.server.smbclient("del dc-del.txt")
    assert rc == 0 and "NT_STATUS" not in out, out
    deadline = time.monotonic() + 5
    while os.path.exists(m.backing("dc-del.txt")):
        assert time.monotonic() < deadline, "the kept handle kept the file"
        time.sleep(0.02)
    assert time.monotonic() - t < 1 + 2
    assert not os.path.exists(m.path("dc-del.txt"))
    src = os.path.join(m.server.dir, "dc-del-new.txt")
    with open(src, "wb") as f:
        f.write(b"made anew\n")
    rc, out = m.server.smbclient(f"put {src} dc-del.txt")
    assert rc == 0, out
    deadline = time.monotonic() + 3  # (the negative entry lasts actimeo, 1 s)
    while not os.path.exists(m.path("dc-del.txt")):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert read(m.path("dc-del.txt")) == b"made anew\n"


def test_own_unlink_and_rename_reuse_names_at_once(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1,closetimeo=30").start()
    os.mkdir(m.path("dc-dir"))
    for name in ("a.txt", "ä.txt"):
        with open(m.path("dc-dir", name), "w") as f:
            f.write(name)
        assert read(m.path("dc-dir", name)) == name.encode()  # both kept open
    # unlink, then a new file of that name at once (no "delete pending")
    os.unlink(m.path("dc-dir", "a.txt"))
    with open(m.path("dc-dir", "a.txt"), "w") as f:
        f.write("second")
    assert read(m.backing("dc-dir", "a.txt")) == b"second"
    # rename a kept file, and the directory above kept files
    read(m.path("dc-dir", "a.txt"))
    os.rename(m.path("dc-dir", "ä.txt"), m.path("dc-dir", "ö.txt"))
    with open(m.path("dc-dir", "ä.txt"), "w") as f:
        f.write("new ä")
    os.rename(m.path("dc-dir"), m.path("dc-dir-2"))
    assert sorted(os.listdir(m.backing("dc-dir-2"))) == ["a.txt", "ä.txt", "ö.txt"]
    assert read(m.path("dc-dir-2", "ö.txt")) == "ä.txt".encode()
    # and removed whole
    for name in os.listdir(m.path("dc-dir-2")):
        read(m.path("dc-dir-2", name))
        os.unlink(m.path("dc-dir-2", name))
    os.rmdir(m.path("dc-dir-2"))
    assert not os.path.exists(m.backing("dc-dir-2"))


def test_not_kept_when_locked_or_with_more_access_or_off(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1").start()
    put(m, "dc-lock.txt", b"lock me\n")
    p = m.path("dc-lock.txt")
    c0 = m.counters("cache")
    fd = os.open(p, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.close(fd)  # the lock goes with the close: the handle is closed
    c1 = m.counters("cache")
    assert c1["closes_deferred"] == c0["closes_deferred"]
    # and another descriptor may take it at once
    fd = os.open(p, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(fd)
    # read-only kept handle, then an open for writing: a new handle, and
    # not kept itself (the server sets a written file's times at its close)
    assert read(p) == b"lock me\n"
    c2 = m.counters("cache")
    with open(p, "ab") as f:
        f.write(b"more\n")
    assert m.counters("cache")["closes_deferred"] == c2["closes_deferred"]
    assert read(m.backing("dc-lock.txt")) == b"lock me\nmore\n"
    assert read(p) == b"lock me\nmore\n"
    # closetimeo=0: every open is a CREATE
    m2 = fresh_mount(opts="vers=3.1.1,closetimeo=0").start()
    p2 = m2.path("dc-lock.txt")
    read(p2)
    r0 = m2.counters("requests")
    for _ in range(5):
        read(p2)
    r1 = m2.counters("requests")
    assert r1["CREATE"] - r0["CREATE"] >= 5 and r1["CLOSE"] - r0["CLOSE"] >= 5
    assert m2.counters("cache")["closes_deferred"] == 0
