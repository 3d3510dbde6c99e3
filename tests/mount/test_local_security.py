"""Local security of the daemon: allow_other brings default_permissions,
secrets are kept out of core dumps, the credentials file and PASSWD_FD are
read defensively, the PDU dump is absent from default builds, share names
cannot inject FUSE options, and generic mount flags reach the mount."""

import os
import pwd
import subprocess
import tempfile
import time

import pytest

from conftest import Mount, is_mounted
from harness import binary, run
from smbserver import SmbServer, ensure_unix_user

OWNER = "smbfuse-owner"
OTHER = "smbfuse-other"


def mount_cmd(server, mountpoint, opts, share="share"):
    return [binary("smbfuse"), f"//127.0.0.1:{server.port}/{share}", mountpoint, "-o", opts]


def one_line(r, code):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, r.stderr
    assert len(lines) == 1, r.stderr
    return lines[0]


def mountinfo(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return next(l for l in f if l.split()[4] == path)


def as_user(user, *cmd):
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True,
                          timeout=30)


def test_allow_other_enforces_modes(server):
    ensure_unix_user(OWNER)
    ensure_unix_user(OTHER)
    uid = pwd.getpwnam(OWNER).pw_uid
    with open(os.path.join(server.share_path(), "private.txt"), "w") as f:
        f.write("for the owner only\n")
    m = Mount(server, opts=f"allow_other,uid={uid},file_mode=0600,dir_mode=0755").start()
    try:
        assert "default_permissions" in mountinfo(m.dir).split(" - ")[1]
        r = as_user(OWNER, "cat", m.path("private.txt"))
        assert r.returncode == 0 and r.stdout == "for the owner only\n", r.stderr
        r = as_user(OTHER, "cat", m.path("private.txt"))
        assert r.returncode != 0 and "Permission denied" in r.stderr, (r.stdout, r.stderr)
        assert as_user(OTHER, "ls", m.path()).returncode == 0  # 0755 directory: may list
    finally:
        m.stop()
        os.unlink(os.path.join(server.share_path(), "private.txt"))


def test_secrets_not_dumpable_and_not_in_proc(server):
    m = Mount(server).start()
    try:
        pid = m.proc.pid
        with open(f"/proc/{pid}/smaps") as f:
            flags = [l.split()[1:] for l in f if l.startswith("VmFlags:")]
        assert any("dd" in fl for fl in flags), "no MADV_DONTDUMP mapping in the daemon"
        for f in ("cmdline", "environ"):
            with open(f"/proc/{pid}/{f}", "rb") as fh:
                assert server.password.encode() not in fh.read(), f
    finally:
        m.stop()


def test_not_dumpable_as_seen_by_its_own_user(server):
    """Mounted by an ordinary user: a non-dumpable process's /proc/<pid>
    files belong to root, so that user (and any process of theirs) can no
    longer read the daemon's memory or environment."""
    ensure_unix_user(OWNER)
    if as_user(OWNER, "test", "-r", "/dev/fuse", "-a", "-w", "/dev/fuse").returncode != 0:
        pytest.skip("/dev/fuse is not usable by an ordinary user on this machine")
    pw = pwd.getpwnam(OWNER)
    base = tempfile.mkdtemp(prefix="user.", dir="/tmp/smbfuse-test")
    os.chmod(base, 0o755)
    mnt = os.path.join(base, "m")
    os.mkdir(mnt)
    os.chown(mnt, pw.pw_uid, pw.pw_gid)
    cred = server.credentials_file(directory=base)
    os.chown(cred, pw.pw_uid, -1)  # the mounting user's own file is accepted
    p = subprocess.Popen(["runuser", "-u", OWNER, "--", binary("smbfuse"),
                          f"//127.0.0.1:{server.port}/share", mnt, "-f", "-o",
                          f"credentials={cred}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not is_mounted(mnt) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert is_mounted(mnt), p.stderr.read() if p.poll() is not None else "timeout"
        r = subprocess.run(["pgrep", "-u", OWNER, "-x", "smbfuse"], capture_output=True,
                           text=True)
        pids = [int(x) for x in r.stdout.split()]
        assert pids, "daemon not found"
        for pid in pids:
            assert os.stat(f"/proc/{pid}/environ").st_uid == 0, "the daemon is dumpable"
            r = as_user(OWNER, "cat", f"/proc/{pid}/environ")
            assert r.returncode != 0 and "Permission denied" in r.stderr, r
        assert os.listdir(mnt) is not None
    finally:
        subprocess.run(["runuser", "-u", OWNER, "--", "fusermount3", "-u", mnt])
        try:
            p.wait(20)
        finally:
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-uz", mnt])
        os.unlink(cred)
        os.rmdir(mnt)
        os.rmdir(base)


def test_credentials_fifo_directory_and_foreign_owner(server, mp, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    t0 = time.monotonic()
    line = one_line(run(mount_cmd(server, mp, f"credentials={fifo}"), timeout=10), 1)
    assert time.monotonic() - t0 < 5
    assert f"credentials file {fifo} is not a regular file" in line
    d = tmp_path / "dir"
    d.mkdir(mode=0o700)
    assert "is not a regular file" in one_line(
        run(mount_cmd(server, mp, f"credentials={d}"), timeout=10), 1)
    ensure_unix_user(OTHER)
    c = server.credentials_file()
    os.chown(c, pwd.getpwnam(OTHER).pw_uid, -1)
    line = one_line(run(mount_cmd(server, mp, f"credentials={c}"), timeout=10), 1)
    assert "owned by uid" in line and "not by root or the mounting user" in line
    assert not is_mounted(mp)


def test_passwd_fd_too_long(server, mp):
    r_fd, w_fd = os.pipe()
    os.write(w_fd, b"p" * 600 + b"\n")
    os.close(w_fd)
    try:
        r = subprocess.run(mount_cmd(server, mp, "username=smbtest"), capture_output=True,
                           text=True, timeout=10, pass_fds=(r_fd,),
                           env=dict(os.environ, PASSWD_FD=str(r_fd)))
    finally:
        os.close(r_fd)
    line = one_line(r, 1)
    assert "PASSWD_FD" in line and "longer than 512 bytes" in line
    assert not is_mounted(mp)


def test_passwd_fd_read_then_closed(server, mp):
    r_fd, w_fd = os.pipe()
    os.write(w_fd, server.password.encode() + b"\n")
    os.close(w_fd)
    pipe_ino = os.fstat(r_fd).st_ino
    env = dict(os.environ, PASSWD_FD=str(r_fd))
    env.pop("PASSWD", None)
    p = subprocess.Popen(mount_cmd(server, mp, "username=smbtest") + ["-f"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                         pass_fds=(r_fd,), start_new_session=True)
    os.close(r_fd)
    try:
        deadline = time.monotonic() + 20
        while not is_mounted(mp) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert is_mounted(mp), p.stderr.read() if p.poll() is not None else "timeout"
        os.listdir(mp)
        links = [os.readlink(f"/proc/{p.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{p.pid}/fd")]
        assert f"pipe:[{pipe_ino}]" not in links, links
    finally:
        subprocess.run(["fusermount3", "-u", mp])
        assert p.wait(20) == 0


def test_pdu_dump_absent_from_default_build(server, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    m = Mount(server, extra_env={"SMBFUSE_PDU_DUMP_DIR": str(dump)}).start()
    try:
        with open(m.path("dumped.txt"), "w") as f:
            f.write("file data that must not land on disk")
        os.listdir(m.path())
        assert open(m.path("dumped.txt")).read().startswith("file data")
    finally:
        m.stop()
        os.unlink(m.backing("dumped.txt"))
    assert os.listdir(dump) == []


def test_generic_mount_flags_applied(server):
    m = Mount(server, opts="noexec,nosuid,nodev,noatime").start()
    try:
        opts = mountinfo(m.dir).split()[5].split(",")
        for flag in ("noexec", "nosuid", "nodev", "noatime"):
            assert flag in opts, opts
    finally:
        m.stop()


def test_refused_option_names_it(server, mp):
    c = server.credentials_file()
    for opt in ("resilienthandles", "handletimeout=30", "multichannel", "cache=singleclient"):
        line = one_line(run(mount_cmd(server, mp, f"credentials={c},{opt}"), timeout=10), 1)
        assert opt.split("=")[0] in line and "not supported by smbfuse" in line, line


def test_comma_in_share_name_cannot_inject_options():
    """A share called 'x,allow_other': unescaped, libfuse would read an
    allow_other option out of fsname=."""
    s = SmbServer(name="comma")
    path = os.path.join(s.dir, "shares", "commashare")
    os.makedirs(path)
    os.chown(path, pwd.getpwnam("smbtest").pw_uid, -1)
    # smb.conf strips leading blanks, so a section can follow [global]'s lines.
    s.extra_global = ["", "[x,allow_other]", f"path = {path}", "read only = no"]
    s.start()
    try:
        m = Mount(s, share="x,allow_other").start()
        try:
            info = mountinfo(m.dir)
            source, sopts = info.split(" - ")[1].split()[1:3]
            assert source == f"//127.0.0.1/x,allow_other", info
            assert "allow_other" not in sopts.split(","), info
            assert "default_permissions" not in sopts.split(","), info
        finally:
            m.stop()
    finally:
        s.stop()


def _cores_unlimited():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    os.setsid()


def test_forced_abort_leaves_no_core(server, tmp_path):
    """SIGABRT to a busy daemon with core dumps allowed: a control process
    in the same setting leaves a core, the daemon (not dumpable) none, so
    no session key or password can end up on disk."""
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|") or "/" in pattern:
        pytest.skip(f"cores go elsewhere on this machine ({pattern})")
    ctl, dmn = tmp_path / "control", tmp_path / "daemon"
    ctl.mkdir()
    dmn.mkdir()
    p = subprocess.Popen(["sleep", "30"], cwd=ctl, preexec_fn=_cores_unlimited)
    time.sleep(0.2)
    p.send_signal(6)
    p.wait(10)
    if not any(n.startswith("core") for n in os.listdir(ctl)):
        pytest.skip("this machine writes no core files, so the check would prove nothing")
    mnt = tempfile.mkdtemp(prefix="mnt.", dir="/tmp/smbfuse-test")
    d = subprocess.Popen([binary("smbfuse"), f"//127.0.0.1:{server.port}/share", mnt, "-f",
                          "-o", f"credentials={server.credentials_file()}"], cwd=dmn, preexec_fn=_cores_unlimited, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not is_mounted(mnt) and time.monotonic() < deadline and d.poll() is None:
            time.sleep(0.05)
        assert is_mounted(mnt)
        with open(os.path.join(mnt, "f"), "w") as f:
            f.write("x" * 100000)
        d.send_signal(6)
        d.wait(20)
        assert d.returncode == -6, d.returncode
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
        subprocess.run(["fusermount3", "-uz", mnt])
        os.rmdir(mnt)
    assert not [n for n in os.listdir(dmn) if n.startswith("core")], "the daemon dumped core"


def test_root_mount_for_uid_user_like_fstab(server):
    """An fstab line mounted by root with uid=USER and no allow_other: that
    user reads and writes per the modes shown, another user only reads."""
    ensure_unix_user(OWNER)
    ensure_unix_user(OTHER)
    uid = pwd.getpwnam(OWNER).pw_uid
    with open(os.path.join(server.share_path(), "shared.txt"), "w") as f:
        f.write("for everyone to read\n")
    os.chmod(os.path.join(server.share_path(), "shared.txt"), 0o666)  # smbd may write
    m = Mount(server, opts=f"uid={uid},file_mode=0644,dir_mode=0755").start()
    try:
        opts = mountinfo(m.dir).split(" - ")[1]
        assert "allow_other" in opts and "default_permissions" in opts, opts
        r = as_user(OWNER, "cat", m.path("shared.txt"))
        assert r.returncode == 0 and r.stdout == "for everyone to read\n", r.stderr
        r = as_user(OWNER, "sh", "-c", f"echo owner >> {m.path('shared.txt')}")
        assert r.returncode == 0, r.stderr
        assert as_user(OTHER, "cat", m.path("shared.txt")).returncode == 0
        r = as_user(OTHER, "sh", "-c", f"echo other >> {m.path('shared.txt')}")
        assert r.returncode != 0 and "Permission denied" in r.stderr, r
    finally:
        m.stop()
        os.unlink(os.path.join(server.share_path(), "shared.txt"))
