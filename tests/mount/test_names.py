"""Issue 10: names and listings as programs see them. Dot entries in a
listing, MS-DOS device names refused instead of stored under a mangled
name, long names and deep paths, and a 3.1.1 mount under nosign."""

import errno
import os
import subprocess

import pytest

from conftest import Mount


def test_listing_has_dot_entries(mnt):
    d = mnt.path("dots")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "f"), "w").close()
    out = subprocess.run(["ls", "-a", d], capture_output=True, text=True, check=True).stdout
    assert out.split() == [".", "..", "f"]
    # their inode numbers are those stat shows for the directory and its parent
    inos = {e.name: e.inode() for e in os.scandir(d)}
    out = subprocess.run(["ls", "-ai", d], capture_output=True, text=True, check=True).stdout
    shown = {line.split()[1]: int(line.split()[0]) for line in out.splitlines()}
    assert shown["."] == os.stat(d).st_ino
    assert shown[".."] == os.stat(mnt.path("")).st_ino
    assert shown["f"] == os.stat(os.path.join(d, "f")).st_ino == inos["f"]


@pytest.mark.parametrize("name", ["CON", "nul.txt", "Aux", "com1", "LPT9.log", "prn.tar.gz",
                                  "CON .txt"])
def test_dos_device_names_are_refused(mnt, name):
    """Samba stores them but lists them under 8.3 names (CSHOFG~F): the
    file would vanish from its directory. EINVAL, and nothing is made."""
    with pytest.raises(OSError) as e:
        open(mnt.path(name), "w").close()
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        os.mkdir(mnt.path(name))
    assert e.value.errno == errno.EINVAL
    assert name not in os.listdir(mnt.backing(""))


@pytest.mark.parametrize("name", ["CONSOLE", "com10", "nul_", "lpt", "xcon", "Cón"])
def test_names_like_devices_are_fine(mnt, name):
    with open(mnt.path(name), "w") as f:
        f.write("ok")
    assert name in os.listdir(mnt.path(""))
    assert open(mnt.backing(name)).read() == "ok"
    os.unlink(mnt.path(name))


def test_long_names_and_deep_paths(mnt):
    # a 255-byte name works, 256 is ENAMETOOLONG
    ok = "n" * 255
    open(mnt.path(ok), "w").close()
    assert ok in os.listdir(mnt.path(""))
    os.unlink(mnt.path(ok))
    with pytest.raises(OSError) as e:
        open(mnt.path("n" * 256), "w").close()
    assert e.value.errno == errno.ENAMETOOLONG
    # a path of about 3,000 bytes: made, stat'ed, listed, removed
    parts = ["d" * 199] * 15
    deep = mnt.path(os.path.join("deep", *parts))
    os.makedirs(deep)
    with open(os.path.join(deep, "leaf"), "w") as f:
        f.write("deep")
    assert os.stat(os.path.join(deep, "leaf")).st_size == 4
    assert os.listdir(deep) == ["leaf"]
    # about 5,000 bytes: beyond what the server stores, one clear errno
    deeper = mnt.path(os.path.join("deep", *(["e" * 199] * 25)))
    with pytest.raises(OSError) as e:
        os.makedirs(deeper)
    assert e.value.errno == errno.ENAMETOOLONG
    subprocess.run(["rm", "-rf", mnt.path("deep")], check=True)
    assert not os.path.exists(mnt.backing("deep"))


def test_nosign_on_311_mounts(server, fresh_mount):
    """nosign does not require signing; 3.1.1 still signs TREE_CONNECT
    (servers refuse it unsigned), so the mount works."""
    m = fresh_mount(opts="vers=3.1.1,nosign").start()
    with open(m.path("nosign.txt"), "w") as f:
        f.write("unsigned")
    assert open(m.backing("nosign.txt")).read() == "unsigned"
    os.unlink(m.path("nosign.txt"))


def test_dot_inodes_with_noserverino(server, fresh_mount):
    m = fresh_mount(opts="noserverino").start()
    d = m.path("dots-nsi")
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    out = subprocess.run(["ls", "-ai", os.path.join(d, "sub")], capture_output=True, text=True,
                         check=True).stdout
    shown = {line.split()[1]: int(line.split()[0]) for line in out.splitlines()}
    assert shown["."] == os.stat(os.path.join(d, "sub")).st_ino
    assert shown[".."] == os.stat(d).st_ino
