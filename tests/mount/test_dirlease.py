"""Directory leases (issue 11): where the server grants them (Samba 4.22,
the bookworm-backports build that tests/lib/fetch-samba-backports.sh
unpacks; 4.17 grants none), a listed directory is held under a
read+handle lease, and while it is held a second `ls -l` is answered
without a request. Another client's change breaks the lease and is seen
at the next listing; this mount's own changes are seen at once; a
directory another client renames is let go (the handle lease is broken
and the handle closed), so the rename succeeds.

The mounts use the default actimeo (1 s): the kernel's entries have
expired by the second listing, which the daemon answers itself."""

import os
import subprocess
import time

import pytest

from conftest import Mount

NAMES = ["plain.txt", "файл.txt", "zażółć gęślą jaźń.txt", "日本語のファイル.txt"]


@pytest.fixture(scope="module")
def lserver(bserver):
    return bserver


@pytest.fixture(scope="module")
def lm(lserver):
    m = Mount(lserver, opts="vers=3.1.1").start()
    yield m
    m.stop()


def make_dir(server, name, n=50):
    """A directory of n files plus NAMES, made on the server's disk and
    owned by the share's user (so that another client may change it)."""
    d = os.path.join(server.share_path(), name)
    os.mkdir(d)
    for i in range(n):
        with open(os.path.join(d, f"f{i:03}"), "w") as f:
            f.write("x" * i)
    for nm in NAMES:
        with open(os.path.join(d, nm), "w") as f:
            f.write(nm)
    subprocess.run(["chown", "-R", server.user, d], check=True)
    return d


def ls_l(path):
    r = subprocess.run(["ls", "-l", "--time-style=+%s", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def names(path):
    return sorted(os.listdir(path))


def until(pred, what, limit=3.0):
    """pred() within limit seconds (far below the 60 s a lease is kept)."""
    deadline = time.monotonic() + limit
    while not pred():
        assert time.monotonic() < deadline, f"not seen within {limit}s: {what}"
        time.sleep(0.05)


def test_second_ls_sends_nothing_while_the_lease_is_held(lserver, lm):
    make_dir(lserver, "dl-quiet")
    first = ls_l(lm.path("dl-quiet"))
    for nm in NAMES:
        assert nm in first
    time.sleep(2.5)  # past actimeo: the kernel's entries have expired
    req0 = lm.counters("requests")
    c0 = lm.counters("cache")
    second = ls_l(lm.path("dl-quiet"))
    for nm in os.listdir(lm.path("dl-quiet")):
        os.stat(lm.path("dl-quiet", nm))
    req1 = lm.counters("requests")
    c1 = lm.counters("cache")
    assert second == first
    sent = {k: req1[k] - req0.get(k, 0) for k in req1 if req1[k] != req0.get(k, 0)}
    assert sent == {}, f"requests sent by the second ls -l: {sent}"
    assert c1["dir_leases"] >= 1 and c1["dir_lease_hits"] > c0["dir_lease_hits"]


def test_other_clients_changes_break_the_lease_and_show(lserver, lm):
    make_dir(lserver, "dl-other", n=5)
    p = lm.path("dl-other")
    ls_l(p)
    time.sleep(1.2)
    breaks0 = lm.counters("cache")["lease_breaks"]
    ls_l(p)  # under lease
    steps = [
        ("put /etc/hostname dl-other/новый.txt", lambda: "новый.txt" in names(p)),
        ("del dl-other/f001", lambda: "f001" not in names(p)),
        ('rename dl-other/f002 "dl-other/źdźbło.txt"',
         lambda: "źdźbło.txt" in names(p) and "f002" not in names(p)),
        ("setmode dl-other/f003 +r",
         lambda: not os.stat(os.path.join(p, "f003")).st_mode & 0o222),
    ]
    for cmd, seen in steps:
        ls_l(p)
        rc, out = lserver.smbclient(cmd)
        assert rc == 0, out
        until(seen, cmd)
    assert lm.counters("cache")["lease_breaks"] >= breaks0 + len(steps)


def test_own_changes_show_at_once(lserver, lm):
    make_dir(lserver, "dl-own", n=5)
    p = lm.path("dl-own")
    ls_l(p)
    time.sleep(1.2)
    ls_l(p)
    with open(os.path.join(p, "ново.txt"), "w") as f:
        f.write("hello")
    assert "ново.txt" in names(p)
    with open(os.path.join(p, "f004"), "a") as f:
        f.write("-appended-")
    line = [l for l in ls_l(p).splitlines() if l.endswith(" f004")]
    assert line and line[0].split()[4] == str(4 + 10), line
    os.rename(os.path.join(p, "f000"), os.path.join(p, "日本.txt"))
    os.unlink(os.path.join(p, "f001"))
    got = names(p)
    assert "日本.txt" in got and "f000" not in got and "f001" not in got
    assert got == names(os.path.join(lserver.share_path(), "dl-own"))


def test_directory_renamed_by_another_client_is_let_go(lserver, lm):
    make_dir(lserver, "dl-moved", n=3)
    ls_l(lm.path("dl-moved"))
    leases = lm.counters("cache")["dir_leases"]
    assert leases >= 1
    rc, out = lserver.smbclient("rename dl-moved dl-moved-2")
    assert rc == 0, out
    until(lambda: os.path.exists(lm.path("dl-moved-2")) and not os.path.exists(lm.path("dl-moved")),
          "the rename")
    assert names(lm.path("dl-moved-2")) == names(os.path.join(lserver.share_path(), "dl-moved-2"))


@pytest.mark.parametrize("opt", ["nohandlecache", "max_cached_dirs=0", "nolease"])
def test_options_turn_directory_leases_off(lserver, opt):
    make_dir(lserver, f"dl-off-{opt.split('=')[0]}", n=3)
    m = Mount(lserver, opts=f"vers=3.1.1,{opt}").start()
    try:
        p = m.path(f"dl-off-{opt.split('=')[0]}")
        ls_l(p)
        time.sleep(1.2)
        t0 = m.counters("traffic")["round_trips"]
        ls_l(p)
        assert m.counters("traffic")["round_trips"] > t0
        assert m.counters("cache")["dir_leases"] == 0
    finally:
        m.stop()
