"""Issue 10: everyday programs on the mount. sqlite in WAL mode (shared
memory on a -shm file, unlink and rename of journals) and git (pack files
renamed over while open, loose objects deleted by gc)."""

import os
import shutil
import sqlite3
import subprocess

import pytest


def test_sqlite_wal(mnt):
    path = mnt.path("app.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    with db:
        db.executemany("INSERT INTO t (v) VALUES (?)", [(f"row {i}",) for i in range(2000)])
    # a second connection sees the committed rows while the first is open
    other = sqlite3.connect(path)
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    with db:
        db.execute("DELETE FROM t WHERE k % 2 = 0")
    assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 1000
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.close()
    db.close()
    # what reached the server is a consistent database
    check = sqlite3.connect(mnt.backing("app.db"))
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 1000
    check.close()


@pytest.mark.skipif(not shutil.which("git"), reason="no git")
def test_git_commit_and_gc(mnt):
    repo = mnt.path("repo")
    if os.path.exists(repo):
        subprocess.run(["rm", "-rf", repo], check=True)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
               GIT_CONFIG_NOSYSTEM="1", HOME=mnt.path())

    def git(*args):
        r = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, env=env,
                           timeout=120)
        assert r.returncode == 0, f"git {' '.join(args)}: {r.stderr}"
        return r.stdout

    os.mkdir(repo)
    git("init", "-q")
    for i in range(15):
        with open(os.path.join(repo, f"f{i % 7}.txt"), "a") as f:
            f.write(f"line {i}\n" * 50)
        git("add", "-A")
        git("commit", "-q", "-m", f"commit {i}")
    git("gc", "--aggressive", "--prune=now", "-q")
    git("fsck", "--full", "--strict")
    assert git("rev-list", "--count", "HEAD").strip() == "15"
    assert not [n for n in os.listdir(os.path.join(repo, ".git", "objects"))
                if len(n) == 2], "loose objects left after gc"
    subprocess.run(["rm", "-rf", repo], check=True)
