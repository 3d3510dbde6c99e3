"""New files created with their first write (src/fuse/lazy.c,
src/fs/lazyopen.c): a file created, written and closed at once costs one
compound (CREATE + QUERY_INFO + WRITE) and a CLOSE, and waits for one
round trip. What must hold: the file is on the server once close(2)
returns, anything that names it meanwhile sees it, and a CREATE the server
refuses after all is reported, never lost. (Not under the POSIX
extensions, whose owner and mode only the server can tell: noposix.)"""

import errno
import os
import re
import time

from test_writebehind import counters


def test_create_write_close_is_one_compound(server, fresh_mount):
    """And the file's inode number is the server's file id from the first
    stat on (the attributes given with the CREATE are not kept)."""
    m = fresh_mount(opts="vers=3.1.1,noposix").start()
    os.mkdir(m.path("lazy"))  # made here: its names are known
    n = 40
    req0 = m.counters("requests")
    t0 = m.counters("traffic")["round_trips"]
    for i in range(n):  # as tar does: no fstat (it would wait for the CREATE)
        fd = os.open(m.path("lazy", f"f{i}.txt"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, f"file {i}\n".encode() * 100)
        os.close(fd)
    # each is complete on the server once close(2) returned
    for i in range(n):
        with open(m.backing("lazy", f"f{i}.txt")) as f:
            assert f.read() == f"file {i}\n" * 100
    req = m.counters("requests")
    frames = m.counters("traffic")["round_trips"] - t0 - 2  # the two SIGUSR1 reads
    cache = counters(m.stderr(), "cache")
    assert cache["creates_lazy"] >= n
    # one compound (CREATE + QUERY_INFO + WRITE) and a CLOSE per file:
    # 2 frames, where a CREATE answered first made it 3
    assert frames <= 2 * n + 5, (frames, req0, req)
    assert req["WRITE"] - req0.get("WRITE", 0) == n
    st = os.stat(m.path("lazy", "f7.txt"))
    assert st.st_ino == os.stat(m.backing("lazy", "f7.txt")).st_ino and st.st_size == 700
    # Python's open() (and cp) fstat the new file before writing: the
    # CREATE goes alone and answers the stat, with the server's file id
    # (tar compares it later with lstat): 3 frames, as before.
    t1 = m.counters("traffic")["round_trips"]
    for i in range(n):
        with open(m.path("lazy", f"p{i}.txt"), "w") as f:
            if i == 0:
                made = os.fstat(f.fileno())
                assert made.st_size == 0
                assert made.st_ino == os.stat(m.backing("lazy", "p0.txt")).st_ino
            f.write("python\n")
    frames = m.counters("traffic")["round_trips"] - t1 - 1
    assert frames <= 3 * n + 5, frames
    st = os.stat(m.path("lazy", "p0.txt"))
    assert st.st_ino == os.stat(m.backing("lazy", "p0.txt")).st_ino and st.st_size == 7
    for i in range(n):
        os.unlink(m.path("lazy", f"p{i}.txt"))
    for i in range(n):
        os.unlink(m.path("lazy", f"f{i}.txt"))
    os.rmdir(m.path("lazy"))
    m.stop()


def test_names_used_before_the_create_is_answered(server, fresh_mount):
    """Requests by name are held until the CREATE is answered."""
    m = fresh_mount(opts="vers=3.1.1,noposix").start()
    os.mkdir(m.path("held"))
    # empty file: created, closed, on the server
    open(m.path("held", "empty"), "w").close()
    assert os.path.isfile(m.backing("held", "empty"))
    # renamed, reopened, linked and removed while still open and unwritten
    fd = os.open(m.path("held", "a"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.rename(m.path("held", "a"), m.path("held", "b"))
    os.write(fd, b"written after the rename")
    with open(m.path("held", "b"), "rb") as g:  # another descriptor, by name
        assert g.read() == b"written after the rename"
    os.close(fd)
    with open(m.backing("held", "b"), "rb") as f:
        assert f.read() == b"written after the rename"
    fd = os.open(m.path("held", "gone"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.unlink(m.path("held", "gone"))  # open: hidden, removed at its last close
    os.close(fd)
    deadline = time.monotonic() + 5  # the kernel's RELEASE comes after close(2)
    while sorted(os.listdir(m.backing("held"))) != ["b", "empty"]:
        assert time.monotonic() < deadline, os.listdir(m.backing("held"))
        time.sleep(0.05)
    assert sorted(os.listdir(m.path("held"))) == ["b", "empty"]
    # a file left open and unwritten reaches the server within a moment
    fd = os.open(m.path("held", "idle"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    deadline = time.monotonic() + 5
    while not os.path.exists(m.backing("held", "idle")):
        assert time.monotonic() < deadline, "an idle new file never reached the server"
        time.sleep(0.05)
    os.close(fd)
    for name in ("b", "empty", "idle"):
        os.unlink(m.path("held", name))
    os.rmdir(m.path("held"))
    assert m.counters("cache")["held_for_create"] >= 1
    m.stop()


def test_a_create_refused_after_all_is_reported_and_loses_nothing(server, fresh_mount):
    """Another client makes the name between this mount's look and its
    CREATE (O_EXCL): the open was answered, so close(2) reports EEXIST, and
    the other client's file is left as it was."""
    m = fresh_mount(opts="vers=3.1.1,noposix,actimeo=30").start()
    os.mkdir(m.path("race"))  # known empty for 30 s
    with open(m.backing("race", "x"), "w") as f:
        f.write("the other client's")
    fd = os.open(m.path("race", "x"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    reported = []
    try:
        os.write(fd, b"ours")  # acknowledged: it goes with the CREATE
    except OSError as e:
        reported.append(("write", e.errno))
    try:
        os.close(fd)
    except OSError as e:
        reported.append(("close", e.errno))
    assert reported == [("close", errno.EEXIST)]
    with open(m.backing("race", "x")) as f:
        assert f.read() == "the other client's"
    os.unlink(m.backing("race", "x"))
    os.rmdir(m.backing("race"))
    m.stop(check=False)  # the refused CREATE is logged
    err = m.stderr()
    assert "AddressSanitizer" not in err and "runtime error" not in err
    # one line, from the write that went with the CREATE
    assert re.search(r"(write acknowledged earlier|creating a file) failed.*: File exists",
                     err), err[-2000:]


def test_cache_none_creates_as_before(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1,noposix,cache=none").start()
    os.mkdir(m.path("plain"))
    with open(m.path("plain", "f"), "w") as f:
        f.write("x")
    assert m.counters("cache")["creates_lazy"] == 0
    os.unlink(m.path("plain", "f"))
    os.rmdir(m.path("plain"))
    m.stop()


def test_names_in_any_script_created_lazily(server, fresh_mount):
    """The deferred CREATE carries the name as an ordinary one would."""
    m = fresh_mount(opts="vers=3.1.1,noposix").start()
    os.mkdir(m.path("intl"))
    names = ["Пример.txt", "zażółć gęślą jaźń.txt", "日本語のファイル.txt", "😀 emoji.txt"]
    for name in names:
        fd = os.open(m.path("intl", name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, name.encode())
        os.close(fd)
    assert sorted(os.listdir(m.backing("intl"))) == sorted(names)
    for name in names:
        with open(m.backing("intl", name), "rb") as f:
            assert f.read() == name.encode()
    assert m.counters("cache")["creates_lazy"] >= len(names)
    for name in names:
        os.unlink(m.path("intl", name))
    os.rmdir(m.path("intl"))
    m.stop()
