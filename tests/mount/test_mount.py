"""Issue 4: file operations on a real FUSE mount, compared with the
share's backing directory."""

import errno
import hashlib
import os
import stat
import subprocess
import time

import shutil

import pytest

from conftest import is_mounted
from harness import binary

SIZES = [0, 1, 4095, 4096, 65537, 1024 * 1024 + 3, 64 * 1024 * 1024]


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wait_gone(path, timeout=10):
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


@pytest.mark.parametrize("size", SIZES)
def test_sizes_both_ways(mnt, size, tmp_path):
    data = os.urandom(size)
    name = f"size-{size}"
    with open(mnt.path(name), "wb") as f:  # through the mount
        f.write(data)
    assert os.path.getsize(mnt.backing(name)) == size
    assert sha(mnt.backing(name)) == hashlib.sha256(data).hexdigest()
    other = os.urandom(size)
    with open(mnt.backing(name + ".srv"), "wb") as f:  # on the server's disk
        f.write(other)
    assert os.stat(mnt.path(name + ".srv")).st_size == size
    assert sha(mnt.path(name + ".srv")) == hashlib.sha256(other).hexdigest()
    os.unlink(mnt.path(name))
    os.unlink(mnt.path(name + ".srv"))
    assert not os.path.exists(mnt.backing(name))


def test_stat_matches_backing(mnt):
    with open(mnt.backing("st.txt"), "w") as f:
        f.write("12345")
    shutil.chown(mnt.backing("st.txt"), "smbtest")  # as if the share's user made it
    os.utime(mnt.backing("st.txt"), (1500000000, 1600000000))
    st = os.stat(mnt.path("st.txt"))
    assert st.st_size == 5
    assert int(st.st_mtime) == 1600000000
    # inode numbers come from the server's file ids and are stable
    assert st.st_ino == os.stat(mnt.backing("st.txt")).st_ino
    assert os.stat(mnt.path("st.txt")).st_ino == st.st_ino
    os.utime(mnt.path("st.txt"), (1400000000, 1450000000))
    assert int(os.stat(mnt.backing("st.txt")).st_mtime) == 1450000000
    os.unlink(mnt.path("st.txt"))


def test_mkdir_rmdir_readdir(mnt):
    os.mkdir(mnt.path("d"))
    assert os.path.isdir(mnt.backing("d"))
    for n in ("a", "b", "c"):
        open(mnt.path("d", n), "w").close()
    assert sorted(os.listdir(mnt.path("d"))) == ["a", "b", "c"]
    with pytest.raises(OSError) as e:
        os.rmdir(mnt.path("d"))
    assert e.value.errno == errno.ENOTEMPTY
    for n in ("a", "b", "c"):
        os.unlink(mnt.path("d", n))
    os.rmdir(mnt.path("d"))
    assert not os.path.exists(mnt.backing("d"))
    with pytest.raises(FileNotFoundError):
        os.stat(mnt.path("d"))


def test_rename_and_replace(mnt):
    with open(mnt.path("r1"), "w") as f:
        f.write("one")
    with open(mnt.path("r2"), "w") as f:
        f.write("two")
    os.rename(mnt.path("r1"), mnt.path("r2"))  # over an existing file
    assert open(mnt.backing("r2")).read() == "one"
    assert not os.path.exists(mnt.backing("r1"))
    os.mkdir(mnt.path("rd"))
    os.rename(mnt.path("r2"), mnt.path("rd", "r3"))
    os.rename(mnt.path("rd"), mnt.path("rd2"))
    assert open(mnt.path("rd2", "r3")).read() == "one"
    os.unlink(mnt.path("rd2", "r3"))
    os.rmdir(mnt.path("rd2"))


def test_rename_noreplace(mnt):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for n in ("n1", "n2"):
        open(mnt.path(n), "w").close()
    AT_FDCWD = -100
    RENAME_NOREPLACE = 1
    rc = libc.renameat2(AT_FDCWD, mnt.path("n1").encode(), AT_FDCWD, mnt.path("n2").encode(),
                        RENAME_NOREPLACE)
    assert rc == -1 and ctypes.get_errno() == errno.EEXIST
    os.unlink(mnt.path("n1"))
    os.unlink(mnt.path("n2"))


def test_unlink_open_file(mnt):
    with open(mnt.path("open.txt"), "w+") as f:
        f.write("still here")
        f.flush()
        os.unlink(mnt.path("open.txt"))
        f.seek(0)
        assert f.read() == "still here"
    assert wait_gone(mnt.backing("open.txt"))
    assert not os.path.exists(mnt.path("open.txt"))


def test_truncate_and_append(mnt):
    p = mnt.path("t.bin")
    with open(p, "wb") as f:
        f.write(b"x" * 10000)
    os.truncate(p, 100)
    assert os.path.getsize(mnt.backing("t.bin")) == 100
    with open(p, "ab") as f:
        f.write(b"y")
    assert open(mnt.backing("t.bin"), "rb").read() == b"x" * 100 + b"y"
    with open(p, "r+b") as f:
        f.truncate(0)
    assert os.path.getsize(mnt.backing("t.bin")) == 0
    os.unlink(p)


def test_chmod_readonly_attribute(mnt):
    p = mnt.path("ro.txt")
    open(p, "w").close()
    os.chmod(p, 0o444)
    assert not os.stat(p).st_mode & 0o222
    os.chmod(p, 0o644)
    assert os.stat(p).st_mode & 0o200
    os.unlink(p)


def test_large_directory(mnt):
    d = mnt.backing("many")
    os.mkdir(d)
    names = {f"file-{i:05d}" for i in range(10000)}
    for n in names:
        open(os.path.join(d, n), "w").close()
    listed = os.listdir(mnt.path("many"))
    assert len(listed) == 10000
    assert set(listed) == names
    subprocess.run(["rm", "-rf", d], check=True)


def test_two_writers(mnt):
    procs = [subprocess.Popen(["dd", "if=/dev/urandom", f"of={mnt.path(f'w{i}')}", "bs=64k",
                               "count=64", "status=none"]) for i in range(2)]
    assert all(p.wait(60) == 0 for p in procs)
    for i in range(2):
        assert sha(mnt.path(f"w{i}")) == sha(mnt.backing(f"w{i}"))
        assert os.path.getsize(mnt.backing(f"w{i}")) == 64 * 65536
        os.unlink(mnt.path(f"w{i}"))


def test_tar_extract_and_diff(mnt, tmp_path):
    src = tmp_path / "src"
    for d in ("a", "a/b", "c"):
        (src / d).mkdir(parents=True)
    for i in range(50):
        (src / ("a" if i % 2 else "c") / f"f{i}").write_bytes(os.urandom(i * 997))
    (src / "a/b/empty").write_bytes(b"")
    tarball = tmp_path / "t.tar"
    subprocess.run(["tar", "-C", str(src), "-cf", str(tarball), "."], check=True)
    os.mkdir(mnt.path("tarx"))
    subprocess.run(["tar", "--no-same-owner", "-C", mnt.path("tarx"), "-xf", str(tarball)],
                   check=True)
    r = subprocess.run(["diff", "-r", str(src), mnt.path("tarx")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    subprocess.run(["rm", "-rf", mnt.path("tarx")], check=True)
    assert not os.path.exists(mnt.backing("tarx"))


def test_git_init_add_commit(mnt):
    repo = mnt.path("repo")
    os.mkdir(repo)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t", HOME="/tmp")
    def git(*a):
        r = subprocess.run(["git", "-c", "safe.directory=*", *a], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout
    git("init", "-q")
    for i in range(20):
        with open(os.path.join(repo, f"f{i}.txt"), "w") as f:
            f.write(f"file {i}\n" * 100)
    git("add", ".")
    git("commit", "-q", "-m", "first")
    assert "first" in git("log", "--oneline")
    git("fsck", "--no-progress")
    subprocess.run(["rm", "-rf", repo], check=True)


def test_sqlite_integrity(mnt):
    db = mnt.path("t.db")
    script = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n"
    for b in range(10):
        script += "BEGIN;\n" + "".join(
            f"INSERT INTO t(v) VALUES ('row {b * 100 + i}');\n" for i in range(100)) + "COMMIT;\n"
    r = subprocess.run(["sqlite3", db], input=script, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check; SELECT count(*) FROM t;"],
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["ok", "1000"], r.stdout + r.stderr
    os.unlink(db)


def test_statfs(mnt):
    sv = os.statvfs(mnt.dir)
    ref = os.statvfs(mnt.server.share_path())
    assert sv.f_blocks * sv.f_frsize == pytest.approx(ref.f_blocks * ref.f_frsize, rel=0.01)


def test_names_smb_cannot_store(mnt):
    with pytest.raises(OSError) as e:
        open(mnt.path("a:b"), "w")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        open(mnt.path("trail."), "w")
    assert e.value.errno == errno.EINVAL


# Names users write: Cyrillic, Polish, CJK, emoji, and code points whose low
# byte is that of a forbidden ASCII character ('к' U+043A ~ ':', 'ľ' U+013E
# ~ '>', 'Ā' U+0100 and U+3000 ~ NUL). Each is created, listed, stat'd,
# read, renamed and deleted through the mount, and is on the server as is.
USER_NAMES = ["Документ.txt", "Zażółć gęślą jaźń", "一二三", "😀", "ľ", "Ā",
              "a\u3000b", "Привет мир", "日本語のファイル", "ĺĪż"]


def test_non_ascii_names(mnt):
    d = mnt.path("names")
    os.mkdir(d)
    for n in USER_NAMES:
        with open(os.path.join(d, n), "w") as f:
            f.write(n)
    assert sorted(os.listdir(d)) == sorted(USER_NAMES)
    assert sorted(os.listdir(mnt.backing("names"))) == sorted(USER_NAMES)
    for n in USER_NAMES:
        p = os.path.join(d, n)
        assert os.stat(p).st_size == len(n.encode())
        assert open(p).read() == n
        os.rename(p, p + "·")
        assert open(mnt.backing("names", n + "·")).read() == n
        os.unlink(p + "·")
    sub = os.path.join(d, "каталог")
    os.mkdir(sub)
    os.rmdir(sub)
    os.rmdir(d)
    assert not os.path.exists(mnt.backing("names"))


def test_mapped_name_deleted_without_mapposix(mnt):
    """A ':' that a mapposix mount stored is U+F022 on the server; a mount
    without mapposix shows it as that code point and can delete it."""
    with open(mnt.backing("a\uf022b"), "w") as f:
        f.write("x")
    assert "a\uf022b" in os.listdir(mnt.path())
    assert open(mnt.path("a\uf022b")).read() == "x"
    os.unlink(mnt.path("a\uf022b"))
    assert not os.path.exists(mnt.backing("a\uf022b"))


def test_default_modes_like_mount_cifs(mnt):
    """file_mode and dir_mode default to 0755 as with mount.cifs: a script
    copied onto the share runs without a chmod the share cannot store."""
    p = mnt.path("run.sh")
    with open(p, "w") as f:
        f.write("#!/bin/sh\necho ran\n")
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(mnt.path()).st_mode) == 0o755
    assert subprocess.run([p], capture_output=True, text=True).stdout == "ran\n"
    os.unlink(p)


def hidden_left(mnt):
    return [n for n in os.listdir(mnt.backing()) if n.startswith(".smbfuse-")]


def test_open_file_survives_unlink(mnt):
    """exec 8<f; rm f; cat <&8 - the name goes at once, the open file stays
    readable, writable and stat-able, and is deleted on the last close."""
    p = mnt.path("doomed.txt")
    with open(p, "w") as f:
        f.write("still readable")
    r = subprocess.run(["bash", "-c", f"exec 8<'{p}'; rm '{p}'; test ! -e '{p}' && cat <&8"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "still readable", r.stderr
    with open(p, "w+") as f:
        f.write("log line 1\n")
        f.flush()
        os.unlink(p)
        assert not os.path.exists(p)
        assert "doomed.txt" not in os.listdir(mnt.path())
        f.write("log line 2\n")  # a logger that was rotated away keeps writing
        f.flush()
        assert os.fstat(f.fileno()).st_size == 22
        f.seek(0)
        assert f.read() == "log line 1\nlog line 2\n"
        assert len(hidden_left(mnt)) == 1
    assert wait_gone_all(mnt)


def test_rename_over_open_file(mnt):
    """mv new old while old is open (editors, package managers): the rename
    succeeds, the open descriptor still reads the old content, and the old
    file is gone from the server after its last close."""
    old, new = mnt.path("old.conf"), mnt.path("new.conf")
    with open(old, "w") as f:
        f.write("old content")
    with open(new, "w") as f:
        f.write("new content")
    with open(old) as reader:
        os.rename(new, old)
        assert open(old).read() == "new content"
        assert reader.read() == "old content"
        assert open(mnt.backing("old.conf")).read() == "new content"
    assert wait_gone_all(mnt)
    r = subprocess.run(["bash", "-c", f"exec 9<'{old}'; echo newer > '{new}'; mv '{new}' '{old}'"
                        f" && cat '{old}' <&9 && cat <&9"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert open(old).read() == "newer\n"
    assert wait_gone_all(mnt)
    os.unlink(old)


def wait_gone_all(mnt, timeout=5):
    deadline = time.monotonic() + timeout
    while hidden_left(mnt) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not hidden_left(mnt)
