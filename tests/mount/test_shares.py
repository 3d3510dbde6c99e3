"""Shares of a server: smbfuse-probe shares (srvsvc NetrShareEnum over a
named pipe on IPC$) against what Samba's own smbclient -L lists, the RPC
client's refusals (a bind the server rejects, a fault, a fragmented
answer), and server-root mounts (//server: one directory per disk share,
each entered over the same connection and session)."""

import os
import re
import shutil
import subprocess
import tarfile
import threading

import pytest

from conftest import Mount
from harness import probe, run
from smbserver import SmbServer

EXTRA = {
    "hidden$": ["read only = no", "comment = a hidden share"],
    "printer": ["printable = yes", "path = /tmp", "comment = Test printer"],
    "denied": ["read only = no", "valid users = alice", "comment = alice only"],
    "second": ["read only = no", "valid users = smbtest", "comment = the second disk"],
}


@pytest.fixture(scope="module")
def srv():
    s = SmbServer(name="sharetests", extra_shares=EXTRA).start()
    yield s
    s.stop()


def smbclient_list(s, anonymous=False):
    """[(type, name, comment)] as smbclient -L -g prints them."""
    auth = ["-N"] if anonymous else ["-U", f"{s.user}%{s.password}"]
    r = subprocess.run(["smbclient", "-L", "//127.0.0.1", "-p", str(s.port), "-g", *auth],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, _NO_WINBINDD="1"))
    assert r.returncode == 0, r.stdout + r.stderr
    out = []
    for line in r.stdout.splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[0] in ("Disk", "IPC", "Printer", "Device"):
            out.append(tuple(parts))
    return out


def probe_list(stdout):
    out = []
    for line in stdout.splitlines():
        name, typ, flags, remark = line.split("\t", 3)
        out.append((typ, name, remark, flags))
    return out


def cred_opts(s):
    return f"credentials={s.credentials_file()}"


def test_shares_like_smbclient(srv):
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", cred_opts(srv))
    assert r.returncode == 0, r.stderr
    ours = probe_list(r.stdout)
    theirs = smbclient_list(srv)
    assert [o[:3] for o in ours] == theirs
    names = {o[1]: o for o in ours}
    # The special shares are there and flagged as they are.
    assert names["IPC$"][0] == "IPC" and "special" in names["IPC$"][3]
    assert names["printer"][0] == "Printer" and names["printer"][2] == "Test printer"
    assert names["hidden$"][2] == "a hidden share"
    assert names["denied"][2] == "alice only"


def test_anonymous_listing_allowed(srv):
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", "sec=none")
    assert r.returncode == 0, r.stderr
    assert [o[:3] for o in probe_list(r.stdout)] == smbclient_list(srv, anonymous=True)


def test_anonymous_listing_refused():
    s = SmbServer(name="noanon", extra_global=["restrict anonymous = 2"]).start()
    try:
        r = probe("shares", f"//127.0.0.1:{s.port}", "-o", "sec=none")
        assert r.returncode != 0
        assert r.stdout == ""
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and "ACCESS_DENIED" in err[0], r.stderr
        # The user it does allow still lists.
        r = probe("shares", f"//127.0.0.1:{s.port}", "-o", cred_opts(s))
        assert r.returncode == 0 and "IPC$\tIPC" in r.stdout, r.stderr
    finally:
        s.stop()


def test_bind_refused(srv):
    # srvsvc is version 3.0; Samba rejects the bind for 2.0.
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", cred_opts(srv), "--rpc-if-version", "2")
    assert r.returncode != 0
    assert "RPC bind: interface refused (result 2, reason 1)" in r.stderr, r.stderr


def test_fault(srv):
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", cred_opts(srv), "--rpc-opnum", "200")
    assert r.returncode != 0
    assert "STATUS_NOT_IMPLEMENTED" in r.stderr, r.stderr  # nca_op_rng_error
    # NetrShareEnum's request read as another operation: a fault too.
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", cred_opts(srv), "--rpc-opnum", "16")
    assert r.returncode != 0 and "RPC_NT_CALL_FAILED" in r.stderr, r.stderr


def test_fragmented_answer():
    many = {f"disk{i:03d}": [f"comment = share {i}, with a remark long enough to fill fragments"]
            for i in range(80)}
    s = SmbServer(name="manyshares", extra_shares=many).start()
    try:
        for frag in ("1432", "4280"):
            r = probe("shares", f"//127.0.0.1:{s.port}", "-o", cred_opts(s), "-d",
                      "--rpc-frag", frag)
            assert r.returncode == 0, r.stderr[-2000:]
            m = re.search(r"rpc: shares=(\d+) fragments=(\d+)", r.stderr)
            assert m, r.stderr[-2000:]
            assert int(m.group(1)) == 88 and int(m.group(2)) > 1
            assert [o[:3] for o in probe_list(r.stdout)] == smbclient_list(s)
    finally:
        s.stop()


def test_pipe_message_in_pieces(srv):
    """Pipe reads of 16 bytes (less than a PDU header): every answer
    overflows the TRANSCEIVE (STATUS_BUFFER_OVERFLOW) and the rest of the
    message is READ."""
    r = probe("shares", f"//127.0.0.1:{srv.port}", "-o", cred_opts(srv), "-d",
              "--pipe-read", "16")
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r"< IOCTL .*status=STATUS_BUFFER_OVERFLOW", r.stderr)
    assert [o[:3] for o in probe_list(r.stdout)] == smbclient_list(srv)


# ---- server-root mounts ------------------------------------------------------

def make_tree(root, n=40):
    for d in range(4):
        os.makedirs(os.path.join(root, f"d{d}"), exist_ok=True)
        for i in range(n // 4):
            with open(os.path.join(root, f"d{d}", f"f{i}.bin"), "wb") as f:
                f.write(os.urandom(1000 + 997 * i))


def same_tree(a, b):
    r = subprocess.run(["diff", "-r", a, b], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def test_server_root(srv, tmp_path):
    m = Mount(srv, share="", opts="debug=pool").start()
    try:
        disks = sorted(n for t, n, _ in smbclient_list(srv) if t == "Disk")
        assert sorted(os.listdir(m.dir)) == disks
        assert "hidden$" in disks and "printer" not in disks and "IPC$" not in disks
        # A share the user may not enter: listed, refused.
        with pytest.raises(PermissionError):
            os.listdir(m.path("denied"))
        with pytest.raises(PermissionError):
            os.chdir(m.path("denied"))
        assert oct(os.stat(m.path("denied")).st_mode & 0o777) == "0o0"
        # Nothing but shares at the top.
        with pytest.raises(PermissionError):
            os.mkdir(m.path("newdir"))
        with pytest.raises(FileNotFoundError):
            os.stat(m.path("nosuchshare"))
        assert open(m.path("readonly", "hello.txt")).read() == "hello from readonly\n"
        # df of a share is that share's; the root itself has no space.
        assert os.statvfs(m.path("readonly")).f_blocks > 0
        assert os.statvfs(m.dir).f_blocks == 0

        # cp, tar and git clone in two shares at once, over one session.
        src = tmp_path / "src"
        make_tree(str(src))
        tarball = tmp_path / "t.tar"
        with tarfile.open(tarball, "w") as t:
            t.add(str(src), arcname="tree")
        repo = tmp_path / "repo"
        git_env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
                       GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        shutil.copytree(src, repo / "data")
        subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=git_env)
        subprocess.run(["git", "-C", str(repo), "commit", "-qm", "x"], check=True, env=git_env)
        errors = []

        def job(args, **kw):
            r = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
            if r.returncode:
                errors.append(f"{args}: {r.stderr}")

        jobs = [
            threading.Thread(target=job, args=(["cp", "-r", str(src), m.path("share", "cp")],)),
            threading.Thread(target=job, args=(["tar", "-xf", str(tarball), "-C",
                                                m.path("second")],)),
            threading.Thread(target=job, args=(["git", "clone", "-q", str(repo),
                                                m.path("share", "clone")],)),
        ]
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()
        assert not errors, errors
        for got in (m.path("share", "cp"), m.path("second", "tree"),
                    m.path("share", "clone", "data")):
            ok, diff = same_tree(str(src), got)
            assert ok, diff
        # What the server has is what was written (not a cache of ours).
        ok, diff = same_tree(str(src), os.path.join(srv.share_path("second"), "tree"))
        assert ok, diff
        r = subprocess.run(["git", "-C", m.path("share", "clone"), "status", "--porcelain"],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
        # Files of two shares are never one inode (file ids differ per share).
        a = os.stat(m.path("share", "cp", "d0", "f0.bin"))
        b = os.stat(m.path("second", "tree", "d0", "f0.bin"))
        assert a.st_ino != b.st_ino
        # Moving between shares copies (EXDEV under the hood).
        os.rename(m.path("share", "cp", "d1"), m.path("share", "cp", "d1m"))
        subprocess.run(["mv", m.path("share", "cp", "d1m"), m.path("second", "moved")],
                       check=True)
        assert os.path.isdir(os.path.join(srv.share_path("second"), "moved"))
    finally:
        m.stop()
    counters = re.search(r"pool: connections=(\d+) sessions=(\d+) trees=(\d+) shares_entered=(\d+)",
                         m.stderr())
    assert counters, m.stderr()[-3000:]
    conns, sessions, trees, entered = map(int, counters.groups())
    assert conns == 1 and sessions == 1
    # IPC$ and every share entered (readonly, share, second), on that session.
    assert entered >= 3 and trees == entered + 1


def test_server_root_refused_listing():
    """A server that refuses the listing: the mount fails at once, in one
    line naming the stage."""
    s = SmbServer(name="noanon2", extra_global=["restrict anonymous = 2"]).start()
    try:
        mp = os.path.join("/tmp/smbfuse-test", f"mnt.refused.{os.getpid()}")
        os.makedirs(mp, exist_ok=True)
        try:
            r = run([os.path.join(os.environ.get("SMBFUSE_BUILD_DIR", "build"), "src",
                                  "smbfuse"), f"//127.0.0.1:{s.port}", mp, "-o", "sec=none"])
            assert r.returncode != 0
            assert "ACCESS_DENIED" in r.stderr and len(r.stderr.strip().splitlines()) == 1, \
                r.stderr
            assert not os.path.ismount(mp)
        finally:
            os.rmdir(mp)
    finally:
        s.stop()
