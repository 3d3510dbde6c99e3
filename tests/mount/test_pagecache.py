"""Leases driving the kernel's page cache (issue 11): a file read twice
is read once over the network while a read lease says nobody changed it,
and a change by another client is seen at once (the lease break drops the
cached pages before it is acknowledged)."""

import os
import time



def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def test_second_read_comes_from_the_page_cache(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1").start()
    data = os.urandom(4 << 20)
    with open(m.backing("pc-twice.bin"), "wb") as f:
        f.write(data)
    assert read_all(m.path("pc-twice.bin")) == data
    before = m.counters("requests").get("READ", 0)
    assert read_all(m.path("pc-twice.bin")) == data
    after = m.counters("requests").get("READ", 0)
    assert after == before, "the second read went to the server"
    assert m.counters("cache")["opens_kept_cache"] >= 1
    os.unlink(m.path("pc-twice.bin"))


def test_change_by_another_client_between_opens_is_seen(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1").start()
    other = fresh_mount(opts="vers=3.1.1").start()
    with open(m.path("pc-between.txt"), "w") as f:
        f.write("first version\n")
    assert read_all(m.path("pc-between.txt")) == b"first version\n"
    with open(other.path("pc-between.txt"), "w") as f:
        f.write("second, longer version\n")
    assert read_all(m.path("pc-between.txt")) == b"second, longer version\n"
    # same size, other bytes: the change time tells
    with open(other.path("pc-between.txt"), "w") as f:
        f.write("SECOND, LONGER VERSION\n")
    assert read_all(m.path("pc-between.txt")) == b"SECOND, LONGER VERSION\n"
    os.unlink(m.path("pc-between.txt"))


def test_change_by_another_client_while_open_breaks_the_lease(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1").start()
    other = fresh_mount(opts="vers=3.1.1").start()
    with open(m.path("pc-open.txt"), "w") as f:
        f.write("A" * 8192)
    fd = os.open(m.path("pc-open.txt"), os.O_RDONLY)
    try:
        assert os.pread(fd, 8192, 0) == b"A" * 8192
        # the other client writes in place: the server breaks our lease
        ofd = os.open(other.path("pc-open.txt"), os.O_WRONLY)
        os.pwrite(ofd, b"B" * 8192, 0)
        os.close(ofd)
        deadline = time.monotonic() + 5
        while os.pread(fd, 8192, 0) != b"B" * 8192:
            assert time.monotonic() < deadline, "stale cached pages after the lease break"
            time.sleep(0.05)
    finally:
        os.close(fd)
    assert m.counters("cache")["lease_breaks"] >= 1
    os.unlink(m.path("pc-open.txt"))


def test_nolease_reads_again(server, fresh_mount):
    m = fresh_mount(opts="vers=3.1.1,nolease").start()
    data = os.urandom(1 << 20)
    with open(m.backing("pc-nolease.bin"), "wb") as f:
        f.write(data)
    assert read_all(m.path("pc-nolease.bin")) == data
    before = m.counters("requests").get("READ", 0)
    assert read_all(m.path("pc-nolease.bin")) == data
    assert m.counters("requests").get("READ", 0) > before
    assert m.counters("cache")["opens_kept_cache"] == 0
    os.unlink(m.path("pc-nolease.bin"))
