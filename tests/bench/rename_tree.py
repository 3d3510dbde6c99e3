#!/usr/bin/python3
"""rename_tree.py - renaming a directory with many nodes below it (made,
and so looked up, through the mount) against renaming one file, through
smbfuse on a throw-away local smbd. Prints the medians; never asserts.
Give --build of an older tree to compare (the node table once walked
every node on a rename).

    sudo tests/bench/rename_tree.py [--files 10000] [--rounds 25] [--build build]
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
from treebench import measure, report  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    a = ap.parse_args()
    base = tempfile.mkdtemp(prefix="smbfuse-rename.", dir="/tmp")
    mnt = os.path.join(base, "mnt")
    os.makedirs(mnt)
    with SmbServer(name="rename") as srv:
        cred = srv.credentials_file(directory=base)
        subprocess.run([os.path.join(a.build, "src", "smbfuse"),
                        f"//127.0.0.1:{srv.port}/share", mnt, "-o", f"credentials={cred}"],
                       check=True)
        deadline = time.monotonic() + 30
        while not is_mounted_path(mnt) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            leaf, tree = measure(os.path.join(mnt, "top"), a.files, a.rounds)
            print(report(a.files, leaf, tree))
        finally:
            subprocess.run(["fusermount3", "-u", mnt])
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
