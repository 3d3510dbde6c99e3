"""Issue 4: start-up failures, read-only shares, server loss, crash
recovery and secrets."""

import errno
import grp
import pwd
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import Mount, is_mounted
from harness import binary, run
from smbserver import SmbServer


def mount_cmd(server, mountpoint, opts, share="share"):
    return [binary("smbfuse"), f"//127.0.0.1:{server.port}/{share}", mountpoint, "-o", opts]


def one_line(r, code=None):
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0
    if code is not None:
        assert r.returncode == code, r.stderr
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_wrong_password(server, mp):
    c = server.credentials_file(password="nope")
    line = one_line(run(mount_cmd(server, mp, f"credentials={c}"), timeout=30), 5)
    assert "STATUS_LOGON_FAILURE" in line
    assert not is_mounted(mp)


def test_unknown_share(server, mp):
    c = server.credentials_file()
    line = one_line(run(mount_cmd(server, mp, f"credentials={c}", "nosuch"), timeout=30), 6)
    assert "STATUS_BAD_NETWORK_NAME" in line


def test_refused_port_and_unreachable(server, mp):
    c = server.credentials_file()
    r = run([binary("smbfuse"), "//127.0.0.1:1/share", mp, "-o", f"credentials={c}"],
            timeout=30)
    assert "refused" in one_line(r, 2)
    r = run([binary("smbfuse"), "//nonexistent.invalid/share", mp, "-o",
             f"credentials={c},timeout=5"], timeout=60)
    one_line(r, 2)


def test_missing_mountpoint(server):
    c = server.credentials_file()
    line = one_line(run(mount_cmd(server, "/tmp/smbfuse-no-such-dir", f"credentials={c}"),
                        timeout=30), 1)
    assert "No such file or directory" in line
    with tempfile.NamedTemporaryFile(dir="/tmp/smbfuse-test") as f:  # a file, not a directory
        line = one_line(run(mount_cmd(server, f.name, f"credentials={c}"), timeout=30), 1)
        assert line.endswith(": not a directory"), line


def test_unknown_option_and_password_option(server, mp):
    c = server.credentials_file()
    assert "unknown option 'frobnicate'" in one_line(
        run(mount_cmd(server, mp, f"credentials={c},frobnicate"), timeout=30), 1)
    assert "refusing a password" in one_line(
        run(mount_cmd(server, mp, "username=smbtest,password=TestPass123"), timeout=30), 1)


def test_group_readable_credentials_refused(server, mp):
    c = server.credentials_file()
    os.chmod(c, 0o644)
    assert "group or others" in one_line(run(mount_cmd(server, mp, f"credentials={c}"),
                                             timeout=30), 1)


def test_daemon_mode_and_fstab_noise(server, mp):
    c = server.credentials_file()
    r = run(mount_cmd(server, mp, f"credentials={c},_netdev,nofail,noauto,x-systemd.automount,"
                                  "defaults,comment=x"), timeout=30)
    assert r.returncode == 0, r.stderr
    assert is_mounted(mp)
    with open("/proc/self/mountinfo") as f:
        line = next(l for l in f if l.split()[4] == os.path.realpath(mp))
    assert "fuse.smbfuse" in line and f"//127.0.0.1/share" in line
    assert subprocess.run(["fusermount3", "-u", mp]).returncode == 0


def test_readonly_share_writes_fail_cleanly(server):
    m = Mount(server, share="readonly").start()
    try:
        assert open(m.path("hello.txt")).read() == "hello from readonly\n"
        for action in (lambda: open(m.path("new"), "w"),
                       lambda: open(m.path("hello.txt"), "a"),
                       lambda: os.mkdir(m.path("dir")),
                       lambda: os.unlink(m.path("hello.txt"))):
            with pytest.raises(OSError) as e:
                action()
            assert e.value.errno in (errno.EROFS, errno.EACCES), e.value
    finally:
        m.stop()


def test_ro_option(server):
    m = Mount(server, opts="ro").start()
    try:
        with pytest.raises(OSError) as e:
            open(m.path("x"), "w")
        assert e.value.errno == errno.EROFS
    finally:
        m.stop()


def test_server_stopped_gives_eio(tmp_path):
    s = SmbServer(name="dying").start()
    m = Mount(s, opts="timeout=5").start()
    try:
        with open(m.path("f"), "w") as f:
            f.write("x")
        s.stop(remove=False)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            os.listdir(m.path())
            open(m.path("f")).read()
            os.stat(m.path("other"))
        assert e.value.errno == errno.EIO
        assert time.monotonic() - t0 < 15
    finally:
        m.stop(check=False)
        s.stop()


def test_kill9_then_fusermount_then_remount(server):
    m = Mount(server).start()
    os.killpg(m.proc.pid, signal.SIGKILL)
    m.proc.wait()
    r = subprocess.run(["fusermount3", "-u", m.dir], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not is_mounted(m.dir)
    m2 = Mount(server)
    m2.dir = m.dir
    m2.start()
    try:
        assert os.path.isdir(m2.path())
        os.listdir(m2.path())
    finally:
        m2.stop()


def test_password_not_in_cmdline_or_environ(server, tmp_path):
    secret = "TestPass123"
    d = tmp_path / "m"
    d.mkdir()
    env = dict(os.environ, PASSWD=secret)
    p = subprocess.Popen([binary("smbfuse"), f"//127.0.0.1:{server.port}/share", str(d), "-f",
                          "-o", "username=smbtest"], env=env, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while not is_mounted(str(d)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert is_mounted(str(d))
        for f in ("cmdline", "environ"):
            with open(f"/proc/{p.pid}/{f}", "rb") as fh:
                assert secret.encode() not in fh.read(), f
        ps = subprocess.run(["ps", "axww", "-o", "args"], capture_output=True, text=True).stdout
        assert secret not in ps
    finally:
        subprocess.run(["fusermount3", "-u", str(d)])
        p.wait(20)


def test_hung_server_gives_eio_within_timeout():
    """A server that stops answering (SIGSTOP, the TCP connection stays
    up): a request fails with EIO once timeout= has passed, not never."""
    s = SmbServer(name="hung").start()
    # actimeo=0: nothing may be answered from what the listing told
    m = Mount(s, opts="timeout=3,actimeo=0").start()
    try:
        os.listdir(m.path())
        os.killpg(s.proc.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            os.stat(m.path("never-seen-before"))
        took = time.monotonic() - t0
        assert e.value.errno == errno.EIO
        assert 2.5 < took < 10, took
    finally:
        os.killpg(s.proc.pid, signal.SIGCONT)
        m.stop(check=False)
        s.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_unmounts_and_exits_zero(server, sig):
    m = Mount(server).start()
    with open(m.path("before-signal.txt"), "w") as f:
        f.write("kept")
    m.proc.send_signal(sig)
    assert m.proc.wait(20) == 0, m.stderr()
    assert not is_mounted(m.dir)
    assert open(m.backing("before-signal.txt")).read() == "kept"
    # it logged off: the server shows no session of ours left
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = subprocess.run(["smbstatus", "-s", server.conf, "-b"], capture_output=True,
                           text=True, env=dict(os.environ, _NO_WINBINDD="1"))
        if "smbtest" not in r.stdout:
            break
        time.sleep(0.2)
    assert "smbtest" not in r.stdout, r.stdout
    os.unlink(m.backing("before-signal.txt"))
    m.proc = None


@pytest.mark.parametrize("how", ["unc", "prefixpath"])
def test_sub_directory_mount(server, how):
    """//server/share/dir/sub (or prefixpath=dir/sub) mounts that directory:
    files land inside it, nothing above it is visible, and renames and
    hard links stay inside it."""
    base = server.share_path()
    os.makedirs(os.path.join(base, "Проект", "sub"), exist_ok=True)
    for d in ("Проект", "Проект/sub"):
        os.chmod(os.path.join(base, d), 0o777)  # smbd writes as the test user
    with open(os.path.join(base, "above.txt"), "w") as f:
        f.write("not mounted")
    with open(os.path.join(base, "Проект", "sub", "inside.txt"), "w") as f:
        f.write("mounted")
    m = Mount(server, share="share/Проект/sub" if how == "unc" else "share",
              opts="prefixpath=Проект/sub" if how == "prefixpath" else "").start()
    try:
        assert sorted(os.listdir(m.dir)) == ["inside.txt"]
        with open(m.path("new.txt"), "w") as f:
            f.write("written below the prefix")
        assert open(os.path.join(base, "Проект", "sub", "new.txt")).read() == \
            "written below the prefix"
        assert not os.path.exists(os.path.join(base, "new.txt"))
        os.mkdir(m.path("d"))
        os.rename(m.path("new.txt"), m.path("d", "moved.txt"))
        assert os.path.exists(os.path.join(base, "Проект", "sub", "d", "moved.txt"))
        os.link(m.path("d", "moved.txt"), m.path("hard.txt"))
        assert os.path.exists(os.path.join(base, "Проект", "sub", "hard.txt"))
        with open("/proc/self/mountinfo") as f:
            assert any("/share/Проект/sub " in l for l in f if m.dir in l)
    finally:
        m.stop()
        shutil.rmtree(os.path.join(base, "Проект"))
        os.unlink(os.path.join(base, "above.txt"))


def test_sub_directory_missing(server, mp):
    r = run(mount_cmd(server, mp, f"credentials={server.credentials_file()}",
                      share="share/no/such/dir"))
    line = one_line(r, 8)
    assert "share/no/such/dir" in line and "No such file" in line, line
    assert not is_mounted(mp)


def test_cifs_fstab_line_mounts_unchanged(server):
    """A line from a typical cifs fstab: names in uid=/gid=, iocharset,
    noperm, nounix, vers, credentials."""
    m = Mount(server, opts="iocharset=utf8,uid=nobody,gid=nogroup,noperm,nounix,"
                           "vers=3.1.1,nosharesock,noacl,nohandlecache,_netdev,nofail").start()
    try:
        st = os.stat(m.dir)
        assert (st.st_uid, st.st_gid) == (pwd.getpwnam("nobody").pw_uid,
                                          grp.getgrnam("nogroup").gr_gid)
    finally:
        m.stop()


def test_user_percent_password_refused(server, mp):
    r = run(mount_cmd(server, mp, "username=alice%secret"))
    line = one_line(r, 1)
    assert "password" in line and "secret" not in line, line
    r = run(mount_cmd(server, mp, f"credentials={server.credentials_file()},uid=no-such-user"))
    assert "uid=no-such-user" in one_line(r, 1)


def test_mount_helper_fake_mount(server, mp, tmp_path):
    """mount -f hands -f to the helper: check everything, mount nothing."""
    helper = tmp_path / "mount.smbfuse"
    helper.symlink_to(binary("smbfuse"))
    r = run([str(helper), f"//127.0.0.1:{server.port}/share", mp, "-f", "-o",
             f"credentials={server.credentials_file()}"], timeout=20)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert not is_mounted(mp)
    r = run([str(helper), f"//127.0.0.1:{server.port}/share", mp, "-f", "-o", "bogus"])
    assert "bogus" in one_line(r, 1)
