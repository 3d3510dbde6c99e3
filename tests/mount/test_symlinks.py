"""Issue 4: native symbolic links, stored on the server as SMB reparse
points (IO_REPARSE_TAG_SYMLINK through FSCTL_SET/GET_REPARSE_POINT).

Debian 12's Samba 4.17 cannot store reparse points, so these tests run
against Debian's bookworm-backports Samba (4.21 or later), unpacked into a
private tree by tests/lib/fetch-samba-backports.sh (run-tests.sh runs it).
Samba's own smbclient from that tree checks, as a second client, that the
server really holds symbolic links and not files that only look like
them through smbfuse."""

import errno
import itertools
import os
import time
import stat
import subprocess
import tarfile

import pytest

from conftest import Mount

DIALECTS = ["vers=2.1", "vers=3.1.1", "vers=3.1.1,seal"]


@pytest.fixture(scope="module")
def rserver(bserver):
    return bserver


@pytest.fixture(scope="module", params=DIALECTS)
def lmnt(request, rserver):
    m = Mount(rserver, opts=request.param).start()
    yield m
    m.stop()


_dirs = itertools.count()


@pytest.fixture
def work(lmnt):
    """A fresh directory on the mount, removed afterwards."""
    d = lmnt.path(f"w{next(_dirs)}")
    os.mkdir(d)
    yield d
    subprocess.run(["rm", "-rf", d], check=True)


def server_readlink(m, rel):
    """The target as Samba's own client reads it from the server."""
    rc, out = m.server.smbclient(f"readlink \"{rel}\"")
    assert rc == 0, out
    return out.strip().rsplit(" -> ", 1)[1]


def rel(m, path):
    return os.path.relpath(path, m.dir)


def is_link(path):
    return stat.S_ISLNK(os.lstat(path).st_mode)


def test_relative_link_round_trip(lmnt, work):
    with open(os.path.join(work, "target.txt"), "w") as f:
        f.write("through the link")
    ln = os.path.join(work, "ln")
    os.symlink("target.txt", ln)
    assert os.readlink(ln) == "target.txt"
    st = os.lstat(ln)
    assert stat.S_ISLNK(st.st_mode) and st.st_mode & 0o777 == 0o777
    assert open(ln).read() == "through the link"
    # Another client sees a symlink reparse point with the SMB form of it.
    assert server_readlink(lmnt, rel(lmnt, ln).replace("/", "\\")) == "target.txt"
    rc, out = lmnt.server.smbclient(f"allinfo \"{rel(lmnt, ln)}\"")
    assert "IO_REPARSE_TAG_SYMLINK" in out and "flags=1" in out, out  # SYMLINK_FLAG_RELATIVE


@pytest.mark.parametrize("target", [
    "../up/and/over", "/absolute/path/file", "dir/sub/file", "name with spaces",
    "ünïcödé-目标", "dangling-target", ".", "a" * 1000])
def test_targets_round_trip(lmnt, work, target):
    ln = os.path.join(work, "t")
    os.symlink(target, ln)
    assert os.readlink(ln) == target
    assert is_link(ln)
    expected = target.replace("/", "\\")
    assert server_readlink(lmnt, rel(lmnt, ln).replace("/", "\\")) == expected
    os.unlink(ln)
    assert not os.path.lexists(ln)


def test_link_to_directory_is_followed(lmnt, work):
    os.makedirs(os.path.join(work, "d", "e"))
    with open(os.path.join(work, "d", "f"), "w") as f:
        f.write("inside")
    os.symlink("d", os.path.join(work, "dl"))
    assert sorted(os.listdir(os.path.join(work, "dl"))) == ["e", "f"]
    assert open(os.path.join(work, "dl", "f")).read() == "inside"
    assert os.path.isdir(os.path.join(work, "dl", "e"))
    # listing the parent reports the link as a link (readdirplus path)
    entries = {e.name: e for e in os.scandir(work)}
    assert entries["dl"].is_symlink() and entries["d"].is_dir(follow_symlinks=False)


def test_link_made_by_another_client(lmnt, work):
    r = rel(lmnt, work)
    rc, out = lmnt.server.smbclient(f"symlink ../elsewhere/x \"{r}\\other\"")
    assert rc == 0, out
    other = os.path.join(work, "other")
    # This mount made work and knows it empty: a name made elsewhere is
    # seen once that knowledge expires (actimeo, 1 s by default).
    deadline = time.monotonic() + 3
    while not os.path.lexists(other):
        assert time.monotonic() < deadline, "a link made elsewhere stayed hidden past actimeo"
        time.sleep(0.1)
    assert is_link(other)
    assert os.readlink(other) == "../elsewhere/x"
    assert os.lstat(other).st_size == len("../elsewhere/x")  # POSIX: the target's length
    assert [e.name for e in os.scandir(work) if e.is_symlink()] == ["other"]


def test_unlink_removes_the_link_not_the_target(lmnt, work):
    t = os.path.join(work, "keep.txt")
    with open(t, "w") as f:
        f.write("keep me")
    ln = os.path.join(work, "ln")
    os.symlink("keep.txt", ln)
    os.unlink(ln)
    assert not os.path.lexists(ln)
    assert open(t).read() == "keep me"
    assert sorted(os.listdir(work)) == ["keep.txt"]


def test_rename_keeps_the_link(lmnt, work):
    """Samba 4.21/4.22 drop the reparse attribute on rename; smbfuse puts
    the link back, so mv of a symlink works as on a local disk."""
    a, b = os.path.join(work, "a"), os.path.join(work, "sub", "b")
    os.mkdir(os.path.join(work, "sub"))
    os.symlink("../target", a)
    os.rename(a, b)
    assert not os.path.lexists(a)
    assert is_link(b) and os.readlink(b) == "../target"
    assert server_readlink(lmnt, rel(lmnt, b).replace("/", "\\")) == "..\\target"
    # and over an existing link
    c = os.path.join(work, "c")
    os.symlink("other", c)
    os.rename(b, c)
    assert os.readlink(c) == "../target"


def test_existing_name_and_non_links(lmnt, work):
    f = os.path.join(work, "file")
    open(f, "w").close()
    with pytest.raises(FileExistsError):
        os.symlink("x", f)
    assert not is_link(f)
    with pytest.raises(OSError) as e:
        os.readlink(f)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        os.readlink(work)
    assert e.value.errno == errno.EINVAL


def test_times_of_the_link_itself(lmnt, work):
    with open(os.path.join(work, "t"), "w") as f:
        f.write("x")
    ln = os.path.join(work, "ln")
    os.symlink("t", ln)
    before = os.stat(os.path.join(work, "t")).st_mtime_ns
    os.utime(ln, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000),
             follow_symlinks=False)
    st = os.lstat(ln)
    assert stat.S_ISLNK(st.st_mode) and st.st_mtime_ns == 1_500_000_000_000_000_000
    assert os.readlink(ln) == "t"
    assert os.stat(os.path.join(work, "t")).st_mtime_ns == before


def test_tar_with_links_round_trip(lmnt, work, tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "file.txt").write_text("data\n")
    os.symlink("b/file.txt", src / "a" / "to-file")
    os.symlink("b", src / "a" / "to-dir")
    os.symlink("/etc/hostname", src / "abs")
    os.symlink("missing", src / "dangling")
    archive = tmp_path / "t.tar"
    with tarfile.open(archive, "w") as t:
        t.add(src, arcname="src")
    r = subprocess.run(["tar", "xf", str(archive), "-C", work], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["diff", "-r", "--no-dereference", str(src), os.path.join(work, "src")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

    def listing(root):
        return sorted((os.path.relpath(os.path.join(d, n), root),
                       os.readlink(os.path.join(d, n)) if os.path.islink(os.path.join(d, n))
                       else None)
                      for d, dirs, files in os.walk(root) for n in dirs + files)
    assert listing(os.path.join(work, "src")) == listing(src)


def test_git_tracks_links(lmnt, work):
    def git(*args):
        r = subprocess.run(["git", "-C", work, *args], capture_output=True, text=True,
                           env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e",
                                    GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e"))
        assert r.returncode == 0, r.stderr
        return r.stdout
    git("init", "-q")
    with open(os.path.join(work, "file.txt"), "w") as f:
        f.write("content\n")
    os.symlink("file.txt", os.path.join(work, "link"))
    git("add", "file.txt", "link")
    git("commit", "-q", "-m", "with a link")
    assert git("status", "--porcelain") == ""
    modes = {line.split()[3]: line.split()[0] for line in git("ls-files", "-s").splitlines()}
    assert modes == {"file.txt": "100644", "link": "120000"}
    assert git("cat-file", "-p", "HEAD:link") == "file.txt"
    git("fsck", "--strict")
