"""Issue 14: the SMB 3.1.1 POSIX extensions against Samba.

The server is Debian's bookworm-backports Samba (tests/lib/
fetch-samba-backports.sh) with `smb3 unix extensions = yes`; the test
user is in `admin users`, so that ownership can be given away, as on a
server that maps root. What the mount makes is compared with the
server's disk (and, for special files, with what Samba's own smbclient
reports); what is made on the disk is compared with what the mount
shows. Without the extensions (`noposix`, or a server without them)
nothing changes."""

import errno
import itertools
import os
import stat
import subprocess
import tempfile

import pytest

from conftest import Mount, backports_server, is_mounted
from harness import binary, run
from smbserver import USER



def posix_globals(on=True):
    return [f"smb3 unix extensions = {'yes' if on else 'no'}",
            "create mask = 07777", "directory mask = 07777",
            f"admin users = {USER}",
            # The guest account's uid maps to a SAM SID, not S-1-22-1-uid.
            "guest account = daemon",
            # Samba 4.22 lists names Windows cannot hold (a:b) under mangled
            # 8.3 names even at the POSIX level, unless told not to.
            "mangled names = no"]


@pytest.fixture(scope="module")
def pserver():
    s = backports_server("the POSIX extensions", name="posix", extra_global=posix_globals())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pmnt(pserver):
    # allow_other: new files are owned by the user that makes them.
    m = Mount(pserver, opts="posix,allow_other,actimeo=0").start()
    yield m
    m.stop()


_dirs = itertools.count()


@pytest.fixture
def work(pmnt):
    d = pmnt.path(f"p{next(_dirs)}")
    os.mkdir(d)
    yield d
    subprocess.run(["rm", "-rf", d], check=True)


def disk(m, path):
    """The server's disk path of a path on the mount."""
    return m.backing(os.path.relpath(path, m.dir))


def smbclient(m, cmd):
    rc, out = m.server.smbclient(cmd)
    assert rc == 0, out
    return out


def test_modes_made_on_the_mount_are_on_disk(pmnt, work):
    old = os.umask(0)
    try:
        fd = os.open(os.path.join(work, "f"), os.O_CREAT | os.O_WRONLY, 0o640)
        os.write(fd, b"written through a descriptor of a 0640 file")
        os.close(fd)
        os.mkdir(os.path.join(work, "d"), 0o751)
    finally:
        os.umask(old)
    f, d = os.path.join(work, "f"), os.path.join(work, "d")
    assert os.stat(disk(pmnt, f)).st_mode == stat.S_IFREG | 0o640
    assert os.stat(disk(pmnt, d)).st_mode == stat.S_IFDIR | 0o751
    os.chmod(f, 0o604)
    os.chmod(d, 0o700)
    assert os.stat(disk(pmnt, f)).st_mode == stat.S_IFREG | 0o604
    assert os.stat(disk(pmnt, d)).st_mode == stat.S_IFDIR | 0o700
    assert os.stat(f).st_mode == stat.S_IFREG | 0o604
    # A mode without write permission does not make the file read-only
    # for SMB: the mode alone says it.
    os.chmod(f, 0o444)
    assert os.stat(disk(pmnt, f)).st_mode == stat.S_IFREG | 0o444
    assert open(f, "rb").read().startswith(b"written")


def test_owners_made_on_the_mount_are_on_disk(pmnt, work):
    f = os.path.join(work, "owned")
    open(f, "w").close()
    st = os.stat(disk(pmnt, f))
    assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())  # the creator's
    os.chown(f, 4242, 4343)
    st = os.stat(disk(pmnt, f))
    assert (st.st_uid, st.st_gid) == (4242, 4343)
    st = os.stat(f)
    assert (st.st_uid, st.st_gid) == (4242, 4343)
    os.chown(f, -1, 4444)  # chgrp alone
    assert os.stat(disk(pmnt, f)).st_gid == 4444
    assert os.stat(disk(pmnt, f)).st_uid == 4242
    # Made by another local user (allow_other): owned by that user.
    r = subprocess.run(["setpriv", "--reuid=4242", "--regid=4343", "--clear-groups",
                        "mkdir", os.path.join(work, "theirs")], capture_output=True, text=True)
    if r.returncode != 0:  # the work directory is root's 0755: open it up
        os.chmod(work, 0o777)
        r = subprocess.run(["setpriv", "--reuid=4242", "--regid=4343", "--clear-groups",
                            "mkdir", os.path.join(work, "theirs")], capture_output=True,
                           text=True)
    assert r.returncode == 0, r.stderr
    st = os.stat(disk(pmnt, os.path.join(work, "theirs")))
    assert (st.st_uid, st.st_gid) == (4242, 4343)


def test_special_files_made_on_the_mount(pmnt, work):
    fifo, chr_, blk, sock = (os.path.join(work, n) for n in ("fifo", "chr", "blk", "sock"))
    old = os.umask(0)
    try:
        os.mkfifo(fifo, 0o640)
        os.mknod(chr_, stat.S_IFCHR | 0o600, os.makedev(1, 3))
        os.mknod(blk, stat.S_IFBLK | 0o660, os.makedev(8, 17))
        os.mknod(sock, stat.S_IFSOCK | 0o755)
    finally:
        os.umask(old)
    want = {fifo: (stat.S_IFIFO, 0o640, 0), chr_: (stat.S_IFCHR, 0o600, os.makedev(1, 3)),
            blk: (stat.S_IFBLK, 0o660, os.makedev(8, 17)), sock: (stat.S_IFSOCK, 0o755, 0)}
    for p, (kind, mode, rdev) in want.items():
        st = os.lstat(p)
        assert st.st_mode == kind | mode, p
        assert st.st_rdev == rdev, p
    # Another client of the server sees NFS special-file reparse points
    # (what the Linux kernel client makes and reads on the same share);
    # Samba 4.22 keeps them on its disk as files holding that reparse data.
    out = smbclient(pmnt, f'allinfo "{os.path.relpath(fifo, pmnt.dir)}"')
    assert "IO_REPARSE_TAG_NFS" in out and "NFS_SPECFILE_FIFO" in out, out
    out = smbclient(pmnt, f'allinfo "{os.path.relpath(chr_, pmnt.dir)}"')
    assert "NFS_SPECFILE_CHR" in out, out
    assert stat.S_IMODE(os.stat(disk(pmnt, fifo)).st_mode) == 0o640
    # Renamed, they stay what they are (Samba drops the reparse data of
    # a renamed file; smbfuse puts it back).
    os.rename(fifo, fifo + ".moved")
    os.rename(fifo + ".moved", fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    # A second mount (no cache in common) sees the same.
    m2 = Mount(pmnt.server, opts="posix").start()
    try:
        for p, (kind, mode, rdev) in want.items():
            st = os.lstat(m2.path(os.path.relpath(p, pmnt.dir)))
            assert (st.st_mode, st.st_rdev) == (kind | mode, rdev), p
    finally:
        m2.stop()


def test_made_on_disk_seen_on_mount(pmnt, work):
    base = disk(pmnt, work)
    f = os.path.join(base, "f")
    with open(f, "w") as fh:
        fh.write("0123456789")
    os.chmod(f, 0o612)
    os.chown(f, 4242, 4343)
    os.link(f, os.path.join(base, "f2"))
    os.mkdir(os.path.join(base, "d"), 0o705)
    os.mkfifo(os.path.join(base, "fifo"), 0o604)
    os.mknod(os.path.join(base, "null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.symlink("f", os.path.join(base, "ln"))
    os.utime(f, ns=(1_000_000_000 * 1_600_000_000, 1_000_000_000 * 1_600_000_123))
    names = sorted(os.listdir(work))
    assert names == ["d", "f", "f2", "fifo", "ln", "null"]
    for n in names:  # through readdirplus and again through lookup
        for st in (os.lstat(os.path.join(work, n)),):
            ds = os.lstat(os.path.join(base, n))
            assert st.st_mode == ds.st_mode, n
            assert st.st_ino == ds.st_ino, n
            assert st.st_nlink == ds.st_nlink, n
            assert (st.st_uid, st.st_gid) == (ds.st_uid, ds.st_gid), n
            if stat.S_ISCHR(ds.st_mode):
                assert st.st_rdev == ds.st_rdev, n
            if not stat.S_ISLNK(ds.st_mode):
                # FILETIME counts 100 ns.
                assert st.st_mtime_ns // 100 == ds.st_mtime_ns // 100, n
    assert os.lstat(os.path.join(work, "f")).st_nlink == 2
    assert os.readlink(os.path.join(work, "ln")) == "f"
    assert open(os.path.join(work, "ln")).read() == "0123456789"


def test_names_are_case_sensitive(pmnt, work):
    open(os.path.join(work, "Case"), "w").write("upper")
    open(os.path.join(work, "case"), "w").write("lower")
    assert sorted(os.listdir(disk(pmnt, work))) == ["Case", "case"]
    assert open(os.path.join(work, "Case")).read() == "upper"
    assert open(os.path.join(work, "case")).read() == "lower"
    assert sorted(os.listdir(work)) == ["Case", "case"]


def test_any_character_but_slash(pmnt, work):
    names = ["a:b", "q?*", 'x"<>|', "back\\slash", "trailing.", "trailing ", "CON", "nul.txt",
             "tab	here"]
    for n in names:
        open(os.path.join(work, n), "w").write(n)
    # Stored as given, not mapped (mapposix) to private-use characters.
    assert sorted(os.listdir(disk(pmnt, work))) == sorted(names)
    assert sorted(os.listdir(work)) == sorted(names)
    for n in names:
        assert open(os.path.join(work, n)).read() == n
    os.rename(os.path.join(work, "a:b"), os.path.join(work, "c:d"))
    assert os.path.exists(os.path.join(disk(pmnt, work), "c:d"))
    # Samba's own client lists them too (it gives up at "back\\slash",
    # which is no name for a Windows client).
    rc, out = pmnt.server.smbclient(f'ls "{os.path.relpath(work, pmnt.dir)}/*"')
    assert "c:d" in out and "CON" in out, out


def test_default_uses_posix_when_offered(pserver):
    m = Mount(pserver).start()
    try:
        f = m.path("default-mode")
        open(f, "w").close()
        os.chmod(f, 0o611)
        assert os.stat(m.backing("default-mode")).st_mode == stat.S_IFREG | 0o611
        open(m.path("x:y"), "w").close()
        assert os.path.exists(m.backing("x:y"))
    finally:
        m.stop()


def test_noposix_behaves_as_before(pserver):
    m = Mount(pserver, opts="noposix,file_mode=0644").start()
    try:
        open(m.path("plain"), "w").close()
        os.chmod(m.path("plain"), 0o600)  # succeeds without effect on modes
        assert stat.S_IMODE(os.stat(m.path("plain")).st_mode) == 0o644
        with pytest.raises(OSError) as e:
            open(m.path("no:colon"), "w")
        assert e.value.errno == errno.EINVAL
        with pytest.raises(OSError) as e:
            os.mkfifo(m.path("nofifo"))
        assert e.value.errno == errno.EPERM
    finally:
        m.stop()


@pytest.fixture
def mp():
    d = tempfile.mkdtemp(prefix="mnt.", dir="/tmp/smbfuse-test")
    yield d
    if is_mounted(d):
        subprocess.run(["fusermount3", "-u", d])
    os.rmdir(d)


def test_posix_needs_3_1_1(pserver, mp):
    c = pserver.credentials_file()
    r = run([binary("smbfuse"), f"//127.0.0.1:{pserver.port}/share", mp, "-o",
             f"credentials={c},posix,vers=3.0"], timeout=30)
    assert r.returncode == 1, r.stderr
    assert "posix" in r.stderr and "3.1.1" in r.stderr, r.stderr
    assert not is_mounted(mp)


def test_posix_refused_by_a_server_without(mp):
    s = backports_server("the POSIX extensions", name="noposix",
                         extra_global=posix_globals(on=False))
    try:
        c = s.credentials_file()
        r = run([binary("smbfuse"), f"//127.0.0.1:{s.port}/share", mp, "-o",
                 f"credentials={c},posix"], timeout=30)
        assert r.returncode == 4, r.stderr
        assert "does not offer the SMB 3.1.1 POSIX extensions" in r.stderr, r.stderr
        assert not is_mounted(mp)
        # Without the option the mount works as before.
        m = Mount(s).start()
        try:
            with pytest.raises(OSError):
                open(m.path("a:b"), "w")
        finally:
            m.stop()
    finally:
        s.stop()
