"""Directories watched with SMB2 CHANGE_NOTIFY (issue 11): while a
directory's listing is cached (here actimeo=30), a change made by another
client (smbclient, or a write on the server's disk) is seen at once, not
after actimeo; rmdir and rename of watched directories still work (the
watch's handle is closed first); at the default actimeo nothing is
watched."""

import os
import time

import pytest

from conftest import Mount

ACTIMEO = 30
SOON = 8  # seconds: far below ACTIMEO, generous for a loaded machine


def eventually(m, pred, what):
    deadline = time.monotonic() + SOON
    while not pred():
        if time.monotonic() >= deadline:
            pytest.fail(f"not seen within {SOON}s (actimeo={ACTIMEO}): {what}; "
                        f"counters: {m.counters('cache')}")
        time.sleep(0.1)


@pytest.fixture(scope="module", params=["vers=3.1.1", "vers=2.1"])
def wm(request, server):
    m = Mount(server, opts=f"{request.param},actimeo={ACTIMEO}").start()
    yield m
    m.stop()


def watched_dir(m, name):
    """A new directory (its name made unique per mount), listed through
    the mount: cached, and watched from now on. Returns its name."""
    name = f"{name}-{os.getpid()}-{id(m) % 10000}-{time.monotonic_ns() % 100000}"
    os.makedirs(m.backing(name))
    os.chmod(m.backing(name), 0o777)  # smbtest may change what root makes here
    os.listdir(m.path(name))
    # Samba's smbd hands a new watch to its notifyd, which sets up inotify
    # a moment later: a change on the server's disk in between is told to
    # nobody (a server-side window, seen under load; the cache then
    # expires after actimeo as without a watch).
    time.sleep(0.3)
    return name


def server_file(m, *p, data=""):
    with open(m.backing(*p), "w") as f:
        f.write(data)
    os.chmod(m.backing(*p), 0o666)


def test_file_made_on_the_server_is_seen_at_once(wm):
    n = watched_dir(wm, "nt-new")
    p = wm.path(n, "fresh.txt")
    assert not os.path.exists(p)  # a negative entry, good for actimeo
    server_file(wm, n, "fresh.txt", data="hello")
    eventually(wm, lambda: os.path.exists(p), "a new file")
    with open(p) as f:
        assert f.read() == "hello"
    assert wm.counters("cache")["notifications"] >= 1


def test_removed_and_renamed_by_another_client_are_seen(wm, server):
    n = watched_dir(wm, "nt-ren")
    d = wm.path(n)
    for f in ("gone.txt", "old.txt"):
        server_file(wm, n, f, data=f)
    os.listdir(d)
    assert os.path.exists(os.path.join(d, "gone.txt"))  # positive entries, cached
    assert os.path.exists(os.path.join(d, "old.txt"))
    assert not os.path.exists(os.path.join(d, "new.txt"))
    rc, out = server.smbclient(f"cd {n}; del gone.txt; rename old.txt new.txt")
    assert rc == 0, out
    eventually(wm, lambda: not os.path.exists(os.path.join(d, "gone.txt")), "a removed file")
    eventually(wm, lambda: not os.path.exists(os.path.join(d, "old.txt")), "a renamed file's old name")
    eventually(wm, lambda: os.path.exists(os.path.join(d, "new.txt")), "a renamed file's new name")
    with open(os.path.join(d, "new.txt")) as f:
        assert f.read() == "old.txt"


def test_file_changed_on_the_server_shows_its_new_size(wm):
    n = watched_dir(wm, "nt-mod")
    server_file(wm, n, "grow.txt", data="a")
    os.listdir(wm.path(n))
    p = wm.path(n, "grow.txt")
    assert os.stat(p).st_size == 1  # attributes cached for actimeo
    with open(wm.backing(n, "grow.txt"), "a") as f:
        f.write("bcdef")
    eventually(wm, lambda: os.stat(p).st_size == 6, "a file's new size")
    with open(p) as f:
        assert f.read() == "abcdef"


def test_many_changes_at_once_are_seen(wm):
    """More changes than one answer holds: Samba says STATUS_NOTIFY_ENUM_DIR
    (anything changed), which must drop the kernel's negative entries too."""
    n = watched_dir(wm, "nt-burst")
    d = wm.path(n)
    last = os.path.join(d, "burst-0399-" + "x" * 60)
    assert not os.path.exists(last)
    for i in range(400):
        open(wm.backing(n, f"burst-{i:04d}-" + "x" * 60), "w").close()
    eventually(wm, lambda: os.path.exists(last), "the last of a burst of new files")
    assert len(os.listdir(d)) == 400


def test_watched_directories_can_be_renamed_and_removed(wm):
    top = wm.path(f"nt-tree-{time.monotonic_ns() % 1000000}")
    os.makedirs(os.path.join(top, "sub", "deeper"))
    for p in (top, os.path.join(top, "sub"), os.path.join(top, "sub", "deeper")):
        os.listdir(p)  # all three watched: open on the server
    # Samba refuses (EACCES) to rename a directory below which the mount's
    # session holds handles, and an open handle keeps a removed directory's
    # name: the watches must close first.
    t2 = top + "2"
    os.rename(top, t2)
    assert os.listdir(os.path.join(t2, "sub")) == ["deeper"]
    os.rmdir(os.path.join(t2, "sub", "deeper"))
    os.rmdir(os.path.join(t2, "sub"))
    os.mkdir(os.path.join(t2, "sub"))  # the name is really free again
    os.rmdir(os.path.join(t2, "sub"))
    os.rmdir(t2)
    assert not os.path.exists(wm.backing(os.path.basename(t2)))


def test_own_writes_in_a_watched_directory_keep_working(wm):
    n = watched_dir(wm, "nt-own")
    p = wm.path(n, "mine.bin")
    data = os.urandom(1 << 20)
    with open(p, "wb") as f:
        f.write(data)
    with open(p, "rb") as f:
        assert f.read() == data
    assert os.stat(p).st_size == len(data)
    os.unlink(p)
    assert not os.path.exists(p)


def test_nothing_is_watched_at_the_default_actimeo(fresh_mount):
    m = fresh_mount(opts="vers=3.1.1").start()
    os.makedirs(m.backing("nt-default"), exist_ok=True)
    os.listdir(m.path("nt-default"))
    c = m.counters("cache")
    assert c["dirs_watched"] == 0


def test_watch_after_the_server_process_died():
    """The smbd serving the mount dies: the watch ends (its handle is gone
    with the process), what was cached of the directory is dropped, and
    the next listing watches it again."""
    from smbserver import SmbServer
    s = SmbServer(name="notify-rc").start()
    m = Mount(s, opts=f"vers=3.1.1,actimeo={ACTIMEO}")
    try:
        m.start()
        n = watched_dir(m, "nt-rc")
        assert not os.path.exists(m.path(n, "during.txt"))
        s.kill_serving_child()
        server_file(m, n, "during.txt", data="x")  # no watch can tell this
        deadline = time.monotonic() + SOON
        while m.counters("cache")["watches_ended"] < 1:
            assert time.monotonic() < deadline, m.stderr()[-3000:]
            os.listdir(m.path())  # some traffic: the loss is noticed
            time.sleep(0.1)
        # the cached "absent" went with the watch
        eventually(m, lambda: os.path.exists(m.path(n, "during.txt")), "a change during the outage")
        os.listdir(m.path(n))  # watched again
        server_file(m, n, "after.txt", data="y")
        eventually(m, lambda: os.path.exists(m.path(n, "after.txt")), "a change after reconnecting")
        assert m.counters("cache")["dirs_watched"] >= 2
    finally:
        proc = m.proc
        m.stop(check=False)  # (the connection's loss is a warning)
        s.stop()
    err = m.stderr()
    assert proc.returncode == 0, err[-3000:]
    for bad in ("AddressSanitizer", "runtime error", "CRITICAL", "GLib-WARNING"):
        assert bad not in err, err[-3000:]


def test_a_tree_walk_watches_at_most_64_directories(fresh_mount):
    m = fresh_mount(opts=f"vers=3.1.1,actimeo={ACTIMEO}").start()
    for i in range(80):
        os.makedirs(m.backing("nt-walk", f"d{i:02d}"))
    os.chmod(m.backing("nt-walk"), 0o777)
    assert sum(1 for _ in os.walk(m.path("nt-walk"))) == 81
    c = m.counters("cache")
    # the first 64 listed are watched; the walk does not churn through more
    assert c["dirs_watched"] == 64
    # a directory listed later, once the others are idle, is watched
    time.sleep(1.2)
    os.mkdir(m.path("nt-walk", "late"))
    os.listdir(m.path("nt-walk", "late"))
    c2 = m.counters("cache")
    assert c2["dirs_watched"] == 65, (c, c2, m.counters("fuse"))
