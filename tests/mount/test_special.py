"""Issue 4: xattrs, hard links, symlinks (mfsymlinks; native ones in
test_symlinks.py), fallocate and
punch-hole, SEEK_DATA/SEEK_HOLE, server-side copy, mapposix names."""

import ctypes
import errno
import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import Mount
from proxy import Proxy


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DIALECTS = ["vers=2.1", "vers=3.1.1", "vers=3.1.1,seal"]


@pytest.fixture(scope="module", params=DIALECTS)
def smnt(request, server):
    m = Mount(server, opts=request.param + ",mfsymlinks").start()
    yield m
    m.stop()


def test_user_xattrs(smnt):
    p = smnt.path("xa.txt")
    open(p, "w").close()
    os.setxattr(p, "user.color", b"blue")
    assert os.getxattr(p, "user.color") == b"blue"
    assert os.getxattr(smnt.backing("xa.txt"), "user.color") == b"blue"  # on the server
    os.setxattr(smnt.backing("xa.txt"), "user.size", b"42")  # set on the server
    names = os.listxattr(p)
    assert "user.color" in names and "user.size" in names
    assert os.getxattr(p, "user.size") == b"42"
    os.removexattr(p, "user.color")
    with pytest.raises(OSError) as e:
        os.getxattr(p, "user.color")
    assert e.value.errno == errno.ENODATA
    with pytest.raises(OSError) as e:
        os.setxattr(p, "trusted.x", b"1")
    assert e.value.errno == errno.EOPNOTSUPP
    # Namespaces other than user.* are not supported (as with the kernel
    # client), which ls -l remembers instead of asking for every file.
    for name in ("security.selinux", "system.posix_acl_access", "trusted.x"):
        with pytest.raises(OSError) as e:
            os.getxattr(p, name)
        assert e.value.errno == errno.EOPNOTSUPP, name
    os.unlink(p)


def test_hard_link(smnt):
    a, b = smnt.path("ha"), smnt.path("hb")
    with open(a, "w") as f:
        f.write("shared")
    os.link(a, b)
    assert open(b).read() == "shared"
    assert os.stat(b).st_ino == os.stat(smnt.backing("ha")).st_ino
    assert os.stat(smnt.backing("ha")).st_nlink == 2
    with open(b, "a") as f:
        f.write("!")
    assert open(smnt.backing("ha")).read() == "shared!"
    with pytest.raises(FileExistsError):
        os.link(a, b)
    os.unlink(a)
    os.unlink(b)


def test_mfsymlinks(smnt):
    target = "some/dir/target.txt"
    os.symlink(target, smnt.path("ln"))
    assert os.readlink(smnt.path("ln")) == target
    st = os.lstat(smnt.path("ln"))
    assert st.st_size == len(target) and (st.st_mode & 0o170000) == 0o120000
    raw = open(smnt.backing("ln"), "rb").read()  # the Minshall+French file on the server
    assert len(raw) == 1067 and raw.startswith(b"XSym\n0019\n")
    assert hashlib.md5(target.encode()).hexdigest().encode() in raw
    # a relative link that resolves inside the mount
    with open(smnt.path("real.txt"), "w") as f:
        f.write("via link")
    os.symlink("real.txt", smnt.path("ln2"))
    assert open(smnt.path("ln2")).read() == "via link"
    for n in ("ln", "ln2", "real.txt"):
        os.unlink(smnt.path(n))


def test_native_symlink_on_server_without_reparse_points(mnt_plain):
    """Samba 4.17 cannot store reparse points: symlink(2) is EPERM, as on a
    local file system without links, and leaves no empty file behind."""
    with pytest.raises(OSError) as e:
        os.symlink("x", mnt_plain.path("l"))
    assert e.value.errno == errno.EPERM
    assert not os.path.lexists(mnt_plain.path("l"))
    assert not os.path.lexists(mnt_plain.backing("l"))
    with open(mnt_plain.path("plain.txt"), "w") as f:
        f.write("not a link")
    with pytest.raises(OSError) as e:
        os.readlink(mnt_plain.path("plain.txt"))
    assert e.value.errno == errno.EINVAL
    os.unlink(mnt_plain.path("plain.txt"))


@pytest.fixture(scope="module")
def mnt_plain(server):
    m = Mount(server).start()
    yield m
    m.stop()


def test_punch_hole_and_seek(smnt):
    p = smnt.path("sparse.bin")
    data = os.urandom(3 << 20)
    with open(p, "wb") as f:
        f.write(data)
    r = subprocess.run(["fallocate", "-p", "-o", str(1 << 20), "-l", str(1 << 20), p],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(p) == 3 << 20
    back = open(smnt.backing("sparse.bin"), "rb").read()
    assert back[: 1 << 20] == data[: 1 << 20]
    assert back[1 << 20: 2 << 20] == bytes(1 << 20)  # zeros on the server's disk
    assert back[2 << 20:] == data[2 << 20:]
    fd = os.open(p, os.O_RDONLY)
    try:
        assert os.lseek(fd, 0, os.SEEK_DATA) == 0
        assert os.lseek(fd, 0, os.SEEK_HOLE) == 1 << 20
        assert os.lseek(fd, 1 << 20, os.SEEK_DATA) == 2 << 20
        assert os.lseek(fd, 2 << 20, os.SEEK_HOLE) == 3 << 20  # EOF is a hole
        with pytest.raises(OSError) as e:
            os.lseek(fd, 3 << 20, os.SEEK_DATA)
        assert e.value.errno == errno.ENXIO
    finally:
        os.close(fd)
    os.unlink(p)


def test_fallocate_extends(smnt):
    p = smnt.path("grow.bin")
    with open(p, "wb") as f:
        f.write(b"abc")
        os.posix_fallocate(f.fileno(), 0, 100000)
    assert os.path.getsize(smnt.backing("grow.bin")) == 100000
    assert open(smnt.backing("grow.bin"), "rb").read(3) == b"abc"
    os.unlink(p)


@pytest.mark.parametrize("vers", DIALECTS)
def test_copy_file_range_is_server_side(server, vers):
    """cp of 64 MiB: the bytes that cross the client's connection stay far
    below the file size, so the copy happened on the server."""
    counted = {"bytes": 0}

    def count(frame):
        counted["bytes"] += len(frame)
        return frame
    src = os.path.join(server.share_path(), "big64.bin")
    with open(src, "wb") as f:
        for _ in range(64):
            f.write(os.urandom(1 << 20))
    shutil.chown(src, "smbtest")
    with Proxy("127.0.0.1", server.port, to_server=count, to_client=count) as px:
        m = Mount(server, port=px.port, opts=vers).start()
        try:
            before = counted["bytes"]
            r = subprocess.run(["cp", m.path("big64.bin"), m.path("copy64.bin")],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            moved = counted["bytes"] - before
            assert sha(os.path.join(server.share_path(), "copy64.bin")) == sha(src)
            assert moved < 1 << 20, f"{moved} bytes crossed the client"
            os.unlink(m.path("copy64.bin"))
            os.unlink(m.path("big64.bin"))
        finally:
            m.stop()


@pytest.mark.parametrize("vers", DIALECTS)
def test_mapposix_names(server, vers):
    m = Mount(server, opts=vers + ",mapposix").start()
    try:
        names = ["a:b", "what?", 'q"uote', "lt<gt>", "pi|pe", "star*", "trail.", "trail "]
        for n in names:
            with open(m.path(n), "w") as f:
                f.write(n)
        listed = os.listdir(m.path())
        for n in names:
            assert n in listed
            assert open(m.path(n)).read() == n
        # On the server the forbidden characters are private-use code points.
        on_disk = os.listdir(server.share_path())
        assert "a\uf022b" in on_disk and "trail\uf029" in on_disk
        for n in names:
            os.unlink(m.path(n))
    finally:
        m.stop()


def test_rename_open_file(smnt):
    with open(smnt.path("ro1"), "w+") as f:
        f.write("moving")
        f.flush()
        os.rename(smnt.path("ro1"), smnt.path("ro2"))
        f.seek(0)
        assert f.read() == "moving"
    assert open(smnt.backing("ro2")).read() == "moving"
    os.unlink(smnt.path("ro2"))


def test_access_readonly_file(smnt):
    p = smnt.path("acc.txt")
    open(p, "w").close()
    os.chmod(p, 0o444)
    assert os.access(p, os.R_OK)
    assert not os.access(p, os.W_OK)
    os.chmod(p, 0o644)
    assert os.access(p, os.W_OK)
    os.unlink(p)
