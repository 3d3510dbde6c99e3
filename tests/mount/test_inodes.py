"""Node ids: hard links are one inode (link count and data coherent at
once), a renamed directory takes everything below it along, a name
replaced on the server is another file, noserverino keeps one node per
name. The cost of renaming a big tree is printed, not asserted."""

import os
import shutil
import subprocess
import time

from treebench import measure, report

# 10,000 and more: tests/bench/rename_tree.py --files 10000
TREE_FILES = int(os.environ.get("SMBFUSE_TREE_FILES", "2000"))


def listing_becomes(path, names, timeout=10):
    """The server's listing once the asynchronous RELEASE has run."""
    deadline = time.monotonic() + timeout
    while sorted(os.listdir(path)) != names and time.monotonic() < deadline:
        time.sleep(0.05)
    return sorted(os.listdir(path))


def test_hard_link_one_inode(mnt):
    os.mkdir(mnt.path("hl"))
    a, b = mnt.path("hl", "a"), mnt.path("hl", "b")
    with open(a, "w") as f:
        f.write("one")
    assert os.stat(a).st_nlink == 1  # cached now: the link must update it
    out = subprocess.run(["sh", "-c", 'ln "$1" "$2" && stat -c %h "$1"', "sh", a, b],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == "2"
    sa, sb = os.stat(a), os.stat(b)
    assert sa.st_nlink == sb.st_nlink == 2
    assert sa.st_ino == sb.st_ino == os.stat(mnt.backing("hl", "a")).st_ino
    # Written through one name, read through the other at once.
    with open(b, "a") as f:
        f.write(" two")
    assert open(a).read() == "one two"
    assert os.stat(a).st_size == 7
    # A listing shows no link count: the kernel must not believe it.
    assert sorted(os.listdir(mnt.path("hl"))) == ["a", "b"]
    assert os.stat(a).st_nlink == 2
    # A link in another directory, and one name gone: the others stay.
    os.mkdir(mnt.path("hl", "sub"))
    c = mnt.path("hl", "sub", "c")
    os.link(b, c)
    assert os.stat(a).st_nlink == 3 and os.stat(c).st_ino == sa.st_ino
    os.unlink(a)
    assert os.stat(b).st_nlink == 2
    assert open(c).read() == "one two"
    os.rename(mnt.path("hl", "sub"), mnt.path("hl", "sub2"))
    assert open(mnt.path("hl", "sub2", "c")).read() == "one two"
    os.unlink(b)
    assert os.stat(mnt.path("hl", "sub2", "c")).st_nlink == 1
    shutil.rmtree(mnt.path("hl"))


def test_case_only_rename(mnt):
    """On a server that ignores case, "CASE" is the file "case": still two
    inodes to the kernel, or it would drop the rename as one onto itself."""
    a, b = mnt.path("case.txt"), mnt.path("CASE.txt")
    with open(a, "w") as f:
        f.write("x")
    assert os.stat(b).st_ino == os.stat(a).st_ino  # the server's one file id
    os.rename(a, b)
    assert "CASE.txt" in os.listdir(mnt.backing())
    assert "case.txt" not in os.listdir(mnt.backing())
    os.unlink(b)


def test_unlink_open_hard_links(mnt):
    """Both names of a file open here are hidden, and both deleted at the
    last close; a name not unlinked stays."""
    os.mkdir(mnt.path("ho"))
    a, b, c = (mnt.path("ho", n) for n in "abc")
    with open(a, "w") as f:
        f.write("kept")
    os.link(a, b)
    os.link(a, c)
    with open(a) as f:
        os.unlink(a)
        os.unlink(b)
        assert not os.path.exists(a) and not os.path.exists(b)
        assert f.read() == "kept"
        assert os.stat(c).st_nlink >= 1
    assert listing_becomes(mnt.backing("ho"), ["c"]) == ["c"]
    assert open(c).read() == "kept"
    with open(c) as f:
        os.unlink(c)
        assert f.read() == "kept"
    assert listing_becomes(mnt.backing("ho"), []) == []
    os.rmdir(mnt.path("ho"))


def test_rename_directory_takes_tree(mnt):
    top = mnt.path("rt")
    os.makedirs(os.path.join(top, "x", "y"))
    names = [os.path.join("x", "y", f"f{i}") for i in range(50)] + ["g"]
    for n in names:
        with open(os.path.join(top, n), "w") as f:
            f.write(n)
    inos = {n: os.stat(os.path.join(top, n)).st_ino for n in names}
    # (SMB refuses to rename a directory with a file open below it.)
    os.rename(top, mnt.path("rt2"))
    os.rename(mnt.path("rt2", "x"), mnt.path("rt2", "z"))
    for n in names:
        p = mnt.path("rt2", n.replace("x/", "z/", 1))
        assert os.stat(p).st_ino == inos[n]
        assert open(p).read() == n
    assert not os.path.exists(top)
    # Changed through its new name: an open, a write and a stat by path.
    p = mnt.path("rt2", "z", "y", "f3")
    with open(p, "a") as f:
        f.write("!")
    assert os.stat(p).st_size == len("x/y/f3!")
    shutil.rmtree(mnt.path("rt2"))


def test_name_replaced_on_server(fresh_mount):
    m = fresh_mount(opts="actimeo=0").start()
    p = m.path("rep")
    with open(p, "w") as f:
        f.write("first")
    before = os.stat(p).st_ino
    tmp = m.backing("rep.new")
    with open(tmp, "w") as f:
        f.write("second!")
    os.rename(tmp, m.backing("rep"))  # another client's replace: a new file id
    st = os.stat(p)
    assert st.st_ino == os.stat(m.backing("rep")).st_ino != before
    assert st.st_size == 7 and open(p).read() == "second!"
    os.unlink(p)


def test_noserverino_links(fresh_mount):
    """Without server file ids each name is its own node (and inode)."""
    m = fresh_mount(opts="noserverino").start()
    a, b = m.path("ns_a"), m.path("ns_b")
    with open(a, "w") as f:
        f.write("x")
    os.link(a, b)
    assert os.stat(a).st_ino != os.stat(b).st_ino
    assert open(b).read() == "x"
    os.unlink(a)
    assert open(b).read() == "x"
    os.unlink(b)


def test_rename_cost(fresh_mount, capsys):
    """A directory with many nodes below it renames about as fast as one
    file (printed; timing is not asserted); the tree is whole afterwards."""
    m = fresh_mount().start()
    top = m.path("big")
    t0 = time.monotonic()
    leaf, tree = measure(top, TREE_FILES)
    built = time.monotonic() - t0
    with capsys.disabled():
        print(f"\n{report(TREE_FILES, leaf, tree)}; whole test {built:.1f} s")
    os.rename(top, m.path("big2"))
    last = f"d{(TREE_FILES - 1) // 100:04d}"
    st = os.stat(m.path("big2", last, "f000"))
    assert st.st_ino == os.stat(m.backing("big2", last, "f000")).st_ino
    assert not os.path.exists(top)
    shutil.rmtree(m.backing("big2"))
