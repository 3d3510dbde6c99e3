"""Issue 10, logging: debug= areas filter, a detached mount's messages
reach the journal, syslog or the log file smbfuse(8) names, and a
password is asked on the terminal (no echo) when none was given; and
rasize= sets the kernel's read-ahead window."""

import os
import pty
import re
import select
import subprocess
import time

import pytest

from conftest import Mount, is_mounted
from faultproxy import FaultProxy
from harness import binary, run

LOG_FILE = "/var/log/smbfuse.log"  # root's, as smbfuse(8) says


def test_debug_areas_filter(server):
    m = Mount(server, opts="debug=conn:pool").start()
    os.listdir(m.path())
    m.stop()
    err = m.stderr()
    assert "smbfuse-conn-DEBUG" in err
    assert "smbfuse-fs-DEBUG" not in err and "smbfuse-fuse-DEBUG" not in err
    assert "smbfuse-session-DEBUG" not in err


def test_unknown_debug_area_is_refused(server, mp):
    r = run([binary("smbfuse"), f"//127.0.0.1:{server.port}/share", mp, "-o",
             f"credentials={server.credentials_file()},debug=conn:bogus"], timeout=10)
    assert r.returncode == 1
    assert "bad debug=conn:bogus" in r.stderr


@pytest.mark.skipif(os.path.exists("/run/systemd/journal/socket") or os.path.exists("/dev/log"),
                    reason="journald or syslog listens here: messages go there, not to the file")
def test_detached_mount_logs_to_the_file(server, mp):
    """Detached, stderr is gone: the reconnect after a cut is in the log
    file, with the proxy's port to find it by."""
    px = FaultProxy("127.0.0.1", server.port).start()
    try:
        r = run([binary("smbfuse"), f"//127.0.0.1:{px.port}/share", mp, "-o",
                 f"credentials={server.credentials_file()}"], timeout=30)
        assert r.returncode == 0, r.stderr
        assert is_mounted(mp)
        os.listdir(mp)
        px.cut()
        os.listdir(mp)  # waits for the reconnect
        pattern = re.compile(rf"smbfuse\[\d+\]: .*127\.0\.0\.1:{px.port}: reconnected after")
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline:
            with open(LOG_FILE, errors="replace") as f:
                text = f.read()
            if pattern.search(text):
                break
            time.sleep(0.2)
        assert pattern.search(text), text[-2000:]
        assert os.stat(LOG_FILE).st_mode & 0o077 == 0  # names servers and users: owner only
    finally:
        subprocess.run(["fusermount3", "-u", mp])
        px.stop()


def test_password_prompt_without_echo(server, mp):
    """No credentials file, PASSWD or PASSWD_FD, and a terminal: the
    password is asked for, not echoed, and the mount works with it."""
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if k not in ("PASSWD", "PASSWD_FD")}
        os.execve(binary("smbfuse"), [binary("smbfuse"), f"//127.0.0.1:{server.port}/share", mp,
                                      "-o", f"username={server.user}"], env)
    out = b""
    try:
        deadline = time.monotonic() + 20
        while b"Password for" not in out and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                out += os.read(fd, 1024)
        assert b"Password for smbtest@//127.0.0.1:" in out, out
        os.write(fd, server.password.encode() + b"\n")
        deadline = time.monotonic() + 20
        while not is_mounted(mp) and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 1024)
                except OSError:
                    break
        assert is_mounted(mp), out
        assert server.password.encode() not in out  # never echoed
        with open(os.path.join(mp, "prompted.txt"), "w") as f:
            f.write("ok")
        assert open(os.path.join(server.share_path(), "prompted.txt")).read() == "ok"
        os.unlink(os.path.join(mp, "prompted.txt"))
    finally:
        subprocess.run(["fusermount3", "-u", mp])
        os.waitpid(pid, 0)
        os.close(fd)


def bdi_readahead_kb(mountpoint):
    real = os.path.realpath(mountpoint)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == real:
                with open(f"/sys/class/bdi/{fields[2]}/read_ahead_kb") as r:
                    return int(r.read())
    raise AssertionError("not mounted")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root sets the read-ahead window")
@pytest.mark.parametrize("opts,kb", [("", 8192), ("rasize=1048576", 1024)])
def test_rasize_sets_the_read_ahead_window(server, opts, kb):
    m = Mount(server, opts=opts).start()
    try:
        os.listdir(m.path())
        assert bdi_readahead_kb(m.dir) == kb
    finally:
        m.stop()
