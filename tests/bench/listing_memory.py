#!/usr/bin/python3
"""listing_memory.py - what the daemon holds per listed entry, and how
long `ls -l` and `stat` of every file take against the local listing of
the backing directory, through smbfuse on a throw-away local smbd (share
on tmpfs when /dev/shm is one). Prints; never asserts.

    sudo tests/bench/listing_memory.py [--files 10000] [--build build]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from smbserver import SmbServer, is_mounted_path  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def daemon_pid(mnt):
    out = subprocess.run(["pgrep", "-f", f"smbfuse .* {mnt} "], capture_output=True,
                         text=True).stdout.split()
    return int(out[0]) if out else None


def timed(argv):
    t = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    a = ap.parse_args()
    base = tempfile.mkdtemp(prefix="smbfuse-listmem.", dir="/tmp")
    mnt = os.path.join(base, "mnt")
    os.makedirs(mnt)
    with SmbServer(name="listmem") as srv:
        d = os.path.join(srv.share_path(), "many")
        os.makedirs(d)
        for i in range(a.files):
            with open(os.path.join(d, f"file-{i:06d}.txt"), "w") as f:
                f.write("x")
        cred = srv.credentials_file(directory=base)
        subprocess.run([os.path.join(a.build, "src", "smbfuse"),
                        f"//127.0.0.1:{srv.port}/share", mnt, "-o", f"credentials={cred}"],
                       check=True)
        deadline = time.monotonic() + 30
        while not is_mounted_path(mnt) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            pid = daemon_pid(mnt)
            local = timed(["ls", "-l", d])
            before = rss_kib(pid)
            listing = timed(["ls", "-l", os.path.join(mnt, "many")])
            after = rss_kib(pid)
            stat_all = timed(["find", os.path.join(mnt, "many"), "-type", "f", "-newer", "/"])
            print(f"files={a.files} ls_l_local={local:.2f}s ls_l_smbfuse={listing:.2f}s "
                  f"ratio={listing / local:.1f}x stat_all_after={stat_all:.2f}s "
                  f"daemon_rss_per_entry={(after - before) * 1024 / a.files:.0f}B")
        finally:
            subprocess.run(["fusermount3", "-u", mnt])
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
