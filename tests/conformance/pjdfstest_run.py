"""Driver of run-pjdfstest.sh: server, mounts, test files, table."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, os.path.join(TOP, "tests", "mount"))

from conftest import Mount  # noqa: E402
from smbserver import USER, SmbServer  # noqa: E402

PJD = os.environ["PJDFSTEST"]
BACKPORTS = os.environ.get("SMBFUSE_SAMBA_BACKPORTS", "/var/cache/smbfuse-test/samba-backports")
TIMEOUT = int(os.environ.get("SMBFUSE_PJD_TIMEOUT", "600"))
RUNS = os.environ.get("RUNS", "posix noposix").split()


def run_file(path, cwd):
    """(passed, planned) of one pjdfstest file run in cwd."""
    try:
        p = subprocess.run(["prove", "-v", "-e", "/bin/sh", path], cwd=cwd,
                           capture_output=True, text=True, timeout=TIMEOUT)
        out = p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    plan = re.search(r"^1\.\.(\d+)", out, re.M)
    ok = len(re.findall(r"^ok \d+", out, re.M))
    bad = len(re.findall(r"^not ok \d+", out, re.M))
    planned = int(plan.group(1)) if plan else ok + bad
    return ok, max(planned, ok + bad), out


def run_all(mnt, groups, log):
    res = {}
    for g in groups:
        gd = os.path.join(PJD, "tests", g)
        for t in sorted(os.listdir(gd)):
            if not t.endswith(".t"):
                continue
            work = tempfile.mkdtemp(prefix=f"{g}-{t[:-2]}-", dir=mnt)
            os.chmod(work, 0o755)
            t0 = time.monotonic()
            ok, planned, out = run_file(os.path.join(gd, t), work)
            log.write(f"=== {g}/{t}: {ok}/{planned} ({time.monotonic() - t0:.0f}s)\n{out}\n")
            log.flush()
            subprocess.run(["rm", "-rf", work])
            a, b = res.get(g, (0, 0))
            res[g] = (a + ok, b + planned)
            print(f"  {g}/{t}: {ok}/{planned}", flush=True)
    return res


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # unmount, stop smbd
    groups = sys.argv[1:] or sorted(
        d for d in os.listdir(os.path.join(PJD, "tests"))
        if os.path.isdir(os.path.join(PJD, "tests", d)))
    srv = SmbServer(name="pjdfs", samba_root=BACKPORTS, extra_global=[
        "smb3 unix extensions = yes", "create mask = 07777", "directory mask = 07777",
        f"admin users = {USER}",
        # pjdfstest acts as uid 65534 (nobody): keep it off the guest
        # account, whose SID is not S-1-22-1-65534.
        "guest account = daemon", "mangled names = no"]).start()
    results = {}
    try:
        for run in RUNS:
            m = Mount(srv, opts=f"{run},allow_other,actimeo=0,vers=3.1.1").start()
            try:
                print(f"== {run}", flush=True)
                with open(f"/tmp/pjdfstest-{run}.log", "w") as log:
                    results[run] = run_all(m.dir, groups, log)
            finally:
                m.stop(check=False)
    finally:
        srv.stop()
    print()
    print("| group | " + " | ".join(RUNS) + " |")
    print("|---|" + "---|" * len(RUNS))
    tot = {r: [0, 0] for r in RUNS}
    for g in groups:
        cells = []
        for r in RUNS:
            ok, n = results[r].get(g, (0, 0))
            tot[r][0] += ok
            tot[r][1] += n
            cells.append(f"{ok}/{n} ({100 * ok / n:.0f}%)" if n else "-")
        print(f"| {g} | " + " | ".join(cells) + " |")
    print("| **all** | " + " | ".join(
        f"{tot[r][0]}/{tot[r][1]} ({100 * tot[r][0] / max(tot[r][1], 1):.1f}%)" for r in RUNS) + " |")


if __name__ == "__main__":
    main()
