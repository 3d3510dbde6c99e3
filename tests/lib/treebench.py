"""treebench.py - what renaming a directory with many files below it costs
through a mount, next to renaming one file. The node table moves one name
either way; a table that walked every node below (as smbfuse's once did)
would make the directory slower as the tree grows. Measures, never
asserts: tests/mount/test_inodes.py and tests/bench/rename_tree.py print it."""

import os
import statistics
import time


def build_tree(top, files, per_dir=100):
    """files empty files below top, per_dir to a directory; their paths.
    Made through the mount, every one is known to the kernel (a node)."""
    os.mkdir(top)
    paths = []
    for i in range(0, files, per_dir):
        d = os.path.join(top, f"d{i // per_dir:04d}")
        os.mkdir(d)
        for j in range(min(per_dir, files - i)):
            p = os.path.join(d, f"f{j:03d}")
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
            paths.append(p)
    for p in paths:
        os.stat(p)  # looked up, should the kernel have let any go
    return paths


def rename_seconds(a, b, rounds=9):
    """Median seconds of one rename(2), a to b and back, rounds times each way."""
    times = []
    for _ in range(rounds):
        for x, y in ((a, b), (b, a)):
            t0 = time.perf_counter()
            os.rename(x, y)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(top, files, rounds=9):
    """(seconds to rename one file, seconds to rename top) with files below top."""
    paths = build_tree(top, files)
    leaf = rename_seconds(paths[-1], paths[-1] + ".r", rounds)
    tree = rename_seconds(top, top + ".r", rounds)
    return leaf, tree


def report(files, leaf, tree):
    return (f"rename with {files} nodes below: directory {tree * 1e3:.3f} ms, "
            f"one file {leaf * 1e3:.3f} ms (median; ratio {tree / leaf:.2f})")
