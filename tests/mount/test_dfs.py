"""DFS: a standalone namespace on one smbd whose links lead to others.

The fixture (shared/test-infra.md section 3): the root server A on
127.0.0.1 with the share dfsroot (msdfs root), a target server B on
127.0.0.2 and a third, C, on 127.0.0.3, all on the same port, since
smbfuse follows referrals with the mount's port. Links in dfsroot:

  other   -> \\\\127.0.0.2\\share            (files that exist only on B)
  multi   -> \\\\127.0.0.3\\share, \\\\127.0.0.1\\share   (failover C -> A)
  self    -> \\\\127.0.0.1\\dfsroot\\self     (names itself)
  loopa   -> \\\\127.0.0.1\\dfsroot\\loopb, loopb -> ...\\loopa  (a cycle)
  dead    -> \\\\127.0.0.4\\share            (SYNs dropped by iptables)
  firstdown -> \\\\127.0.0.4\\share, \\\\127.0.0.2\\share (the first target refuses)

The extra loopback addresses and the iptables rule are added as root and
removed again; an address already present is left alone.
"""

import errno
import os
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import BAD_STDERR, Mount
from smbserver import SmbServer

# A target that goes away is worth a warning, never a crash.
CRASH = [b for b in BAD_STDERR if "WARNING" not in b]

ADDRS = ("127.0.0.2", "127.0.0.3")
DEAD = "127.0.0.4"


def _have_addr(addr):
    out = subprocess.run(["ip", "-4", "addr", "show", "dev", "lo"], capture_output=True,
                         text=True).stdout
    return f"inet {addr}/" in out


def _port_free_everywhere():
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ok = True
        for a in ADDRS:
            with socket.socket() as t:
                try:
                    t.bind((a, port))
                except OSError:
                    ok = False
        if ok:
            return port
    raise RuntimeError("no port free on every loopback address")


class Namespace:
    def __init__(self):
        self.added = []
        self.servers = {}

    def start(self):
        if os.geteuid() != 0:
            pytest.skip("needs root (ip addr add on lo)")
        for a in ADDRS:
            if not _have_addr(a):
                subprocess.run(["ip", "addr", "add", f"{a}/8", "dev", "lo"], check=True)
                self.added.append(a)
        self.port = _port_free_everywhere()
        for name, addr in (("a", "127.0.0.1"), ("b", "127.0.0.2"), ("c", "127.0.0.3")):
            self.servers[name] = SmbServer(addr=addr, name=f"dfs{name}").start(port=self.port)
        a, b, c = self.servers["a"], self.servers["b"], self.servers["c"]
        root = a.share_path("dfsroot")
        links = {
            "other": "msdfs:127.0.0.2\\share",
            "multi": "msdfs:127.0.0.3\\share,127.0.0.1\\share",
            "self": "msdfs:127.0.0.1\\dfsroot\\self",
            "loopa": "msdfs:127.0.0.1\\dfsroot\\loopb",
            "loopb": "msdfs:127.0.0.1\\dfsroot\\loopa",
            "dead": f"msdfs:{DEAD}\\share",
            "firstdown": f"msdfs:{DEAD}\\share,127.0.0.2\\share",
        }
        for name, target in links.items():
            os.symlink(target, os.path.join(root, name))
        os.makedirs(b.share_path("share") + "/sub/deeper")
        with open(b.share_path("share") + "/onlyB.txt", "w") as f:
            f.write("this file lives on B\n")
        with open(b.share_path("share") + "/sub/inB.txt", "w") as f:
            f.write("below sub on B\n")
        for srv, tag in ((a, "A"), (c, "C")):
            for n in ("where1.txt", "where2.txt", "where3.txt"):
                with open(os.path.join(srv.share_path("share"), n), "w") as f:
                    f.write(f"served by {tag}\n")
        for srv in self.servers.values():
            for root_dir, dirs, files in os.walk(srv.share_path("share")):
                for n in dirs + files:
                    os.lchown(os.path.join(root_dir, n), os.stat(srv.share_path("share")).st_uid,
                              -1)
        return self

    def stop(self):
        for s in self.servers.values():
            s.stop()
        for a in self.added:
            subprocess.run(["ip", "addr", "del", f"{a}/8", "dev", "lo"], check=False)


@pytest.fixture(scope="module")
def ns():
    n = Namespace()
    try:
        yield n.start()
    finally:
        n.stop()


@pytest.fixture
def dfs_mount(ns):
    made = []

    def make(share="dfsroot", opts="", lossy=False, **kw):
        m = Mount(ns.servers["a"], share=share, opts=opts, **kw).start()
        made.append((m, lossy))
        return m
    yield make
    for m, lossy in made:
        if not lossy:
            m.stop()
            continue
        m.stop(check=False)
        err = m.stderr()
        assert not [b for b in CRASH if b in err], err


def test_link_to_other_server_list_read_write(ns, dfs_mount):
    m = dfs_mount()
    b = ns.servers["b"]
    assert {"other", "multi"} <= set(os.listdir(m.path()))
    assert {"onlyB.txt", "sub"} <= set(os.listdir(m.path("other")))
    # The file is on B only: A's own shares do not have it.
    assert not os.path.exists(ns.servers["a"].share_path("share") + "/onlyB.txt")
    with open(m.path("other", "onlyB.txt")) as f:
        assert f.read() == "this file lives on B\n"
    with open(m.path("other", "sub", "inB.txt")) as f:
        assert f.read() == "below sub on B\n"
    data = os.urandom(300000)
    with open(m.path("other", "written.bin"), "wb") as f:
        f.write(data)
    with open(b.share_path("share") + "/written.bin", "rb") as f:
        assert f.read() == data
    assert not os.path.exists(ns.servers["a"].share_path("share") + "/written.bin")
    os.mkdir(m.path("other", "newdir"))
    os.rename(m.path("other", "written.bin"), m.path("other", "newdir", "moved.bin"))
    assert os.path.getsize(b.share_path("share") + "/newdir/moved.bin") == len(data)
    os.unlink(m.path("other", "newdir", "moved.bin"))
    os.rmdir(m.path("other", "newdir"))
    assert not os.path.exists(b.share_path("share") + "/newdir")
    # A rename across the link would cross servers.
    with open(m.path("other", "x.txt"), "w") as f:
        f.write("x")
    with pytest.raises(OSError) as e:
        os.rename(m.path("other", "x.txt"), m.path("x.txt"))
    assert e.value.errno == errno.EXDEV
    os.unlink(m.path("other", "x.txt"))


def test_mount_below_a_link(ns, dfs_mount):
    m = dfs_mount(share="dfsroot/other/sub")
    assert set(os.listdir(m.path())) == {"inB.txt", "deeper"}
    with open(m.path("inB.txt")) as f:
        assert f.read() == "below sub on B\n"
    with open(m.path("deeper", "new.txt"), "w") as f:
        f.write("made through a mount below a link\n")
    assert os.path.exists(ns.servers["b"].share_path("share") + "/sub/deeper/new.txt")
    os.unlink(m.path("deeper", "new.txt"))


def test_nodfs_leaves_links_alone(ns, dfs_mount):
    m = dfs_mount(opts="nodfs")
    # A link is a plain entry of its directory (what the listing says of
    # it: a directory, on Samba): first looked up on its own (no listing
    # yet), then after a listing; it is not followed.
    assert stat.S_ISDIR(os.lstat(m.path("other")).st_mode)
    assert {"other", "multi"} <= set(os.listdir(m.path()))
    assert stat.S_ISDIR(os.lstat(m.path("multi")).st_mode)
    with pytest.raises(OSError) as e:
        os.listdir(m.path("other"))
    assert e.value.errno == errno.EREMOTE
    with pytest.raises(OSError) as e:
        open(m.path("other", "onlyB.txt"))
    assert e.value.errno == errno.EREMOTE


@pytest.mark.parametrize("link", ["self", "loopa"])
def test_referral_loop_is_eloop(ns, dfs_mount, link):
    m = dfs_mount()
    with pytest.raises(OSError) as e:
        os.stat(m.path(link))
    assert e.value.errno == errno.ELOOP
    # The mount is still fine afterwards.
    assert "onlyB.txt" in os.listdir(m.path("other"))


def test_unreachable_target_times_out(ns, dfs_mount):
    rule = ["OUTPUT", "-p", "tcp", "-d", DEAD, "--dport", str(ns.port), "-j", "DROP"]
    subprocess.run(["iptables", "-A", *rule], check=True)
    try:
        m = dfs_mount(opts="timeout=4")
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            os.stat(m.path("dead"))
        took = time.monotonic() - t0
        assert e.value.errno in (errno.ETIMEDOUT, errno.EHOSTUNREACH)
        # Within the timeout (generous slack for a loaded machine).
        assert took < 4 * 4
        assert "onlyB.txt" in os.listdir(m.path("other"))
    finally:
        subprocess.run(["iptables", "-D", *rule], check=False)


def test_multi_target_link_uses_the_first_that_answers(ns, dfs_mount):
    # Nothing listens on 127.0.0.4 (no DROP rule now): refused at once.
    m = dfs_mount()
    assert "onlyB.txt" in os.listdir(m.path("firstdown"))
    with open(m.path("firstdown", "onlyB.txt")) as f:
        assert f.read() == "this file lives on B\n"


def test_multi_target_link_fails_over(ns, dfs_mount):
    m = dfs_mount(opts="echo_interval=2", lossy=True)
    with open(m.path("multi", "where1.txt")) as f:
        assert f.read() == "served by C\n"  # the first target answers
    ns.servers["c"].stop(remove=False)
    t0 = time.monotonic()
    # New opens go to the second target (A) soon, within the echo interval.
    deadline = time.monotonic() + 30
    seen = None
    while time.monotonic() < deadline:
        try:
            with open(m.path("multi", "where2.txt")) as f:
                seen = f.read()
            break
        except OSError as e:
            seen = e
            time.sleep(0.5)
    assert seen == "served by A\n"
    print(f"failover: first open on the second target {time.monotonic() - t0:.2f} s "
          "after the first target's smbd was stopped")
    with open(m.path("multi", "where3.txt")) as f:
        assert f.read() == "served by A\n"
    with open(m.path("multi", "failover.txt"), "w") as f:
        f.write("written after failover\n")
    assert os.path.exists(ns.servers["a"].share_path("share") + "/failover.txt")
    assert "DFS link 'multi' now served by \\\\127.0.0.1\\share" in m.stderr()


# ---- domain-based namespaces (the Samba AD DC of tests/lib/addc.py) ------


@pytest.fixture(scope="module")
def addc():
    import addc as addc_mod
    why = addc_mod.available()
    if why:
        pytest.skip(why)
    dc = addc_mod.AdDc().start()
    try:
        yield dc
    finally:
        dc.stop()


def test_domain_sysvol_through_domain_and_dc_referrals(addc):
    """//test.lan/sysvol: test.lan has no address here, so the domain
    controller named by domain_controller= is asked for a domain referral,
    a DC referral and the sysvol root referral (NTLM as TEST\\krbuser);
    the root target dc1.test.lan does not resolve either and is reached at
    the DC's address. Listing shows the domain's policies."""
    fd, cred = tempfile.mkstemp(prefix="cred.", dir=addc.dir)
    with os.fdopen(fd, "w") as f:
        f.write(f"username={addc.user}\npassword={addc.password}\ndomain={addc.domain}\n")
    os.chmod(cred, 0o600)
    m = Mount(addc, share="sysvol", host=addc.realm.lower(), port=addc.port, cred=cred,
              opts=f"domain_controller={addc.ip}", flags=["-d"]).start()
    try:
        top = os.listdir(m.path())
        assert addc.realm.lower() in [n.lower() for n in top], top
        dom = [n for n in top if n.lower() == addc.realm.lower()][0]
        assert "Policies" in os.listdir(m.path(dom))
        err = m.stderr()
        assert "domain(s)" in err and "root target(s)" in err, err[-3000:]
    finally:
        m.stop(check=False)
    err = m.stderr()
    assert not [b for b in CRASH if b in err], err[-3000:]
