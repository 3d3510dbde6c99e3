#!/usr/bin/python3
"""bench.py - the same workloads through smbfuse and through the peers
Debian ships (smbclient, rclone mount, smbnetfs), against one throw-away
local smbd; prints the median of --runs runs side by side, with each
peer's figure over smbfuse's. Measures, never asserts; not part of the
test suite.

    sudo tests/bench/bench.py [--size-mib 1024] [--files 2000] [--runs 3]
                              [--rtt-ms 10] [--seal] [--clients smbfuse,smbclient]
                              [--build build] [--opts 'rasize=...']

--rtt-ms puts a proxy that delays each direction by half of it between
every client and smbd (tests/lib/delayproxy.py). --seal encrypts (smbfuse
`seal`, smbclient -e, smbnetfs with client smb encrypt = required; rclone
cannot). smbfuse signs by default; the peers sign nothing unless smbd
demands it. Peers missing from the machine are installed with apt when
run as root, else skipped.

Workloads: sequential write and read of one file (dd, 1 MiB blocks; the
read after dropping the page cache), random 4 KiB reads (fio, 4 jobs,
depth 16, 10 s), creating --files files of 4 KiB, `ls -l` of them (after
dropping the kernel's caches), stat of each, deleting them, and
extracting a tar of /usr/include. For smbfuse the daemon's CPU time per
GiB read, and the round trips per file of create and delete (from its
counters, SIGUSR1).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from delayproxy import DelayProxy  # noqa: E402
from smbserver import SmbServer, is_mounted_path  # noqa: E402

PORT = None  # the port clients use: smbd's, or the delaying proxy's
SEAL = False
UNTAR_TOP = "include"


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def drop_caches():
    subprocess.run(["sync"])
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        pass


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def ensure(pkg, binary):
    if shutil.which(binary):
        return True
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg],
                       capture_output=True)
    return shutil.which(binary) is not None


def cpu_seconds(pid):
    """utime + stime of a process and its threads."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return None


class MountClient:
    """A client that shows the share as a directory."""

    def __init__(self, name, mountpoint, proc=None, unmount=None, pid=None):
        self.name = name
        self.dir = mountpoint
        self.proc = proc
        self.pid = pid or (proc.pid if proc else None)
        self.unmount = unmount or ["fusermount3", "-u", mountpoint]

    def stop(self):
        subprocess.run(self.unmount, capture_output=True)
        if self.proc:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def counters(self):
        """smbfuse's counters (SIGUSR1 writes them to its log)."""
        return None


def wait_mounted(path, proc=None, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_mounted_path(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


class SmbfuseClient(MountClient):
    def __init__(self, d, proc, log):
        super().__init__("smbfuse", d, proc)
        self.log = log

    def counters(self):
        n = self._count()
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while self._count() == n and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(self.log) as f:
            text = f.read()
        out = {}
        for area in ("traffic", "requests", "fuse", "cache"):
            lines = [l for l in text.splitlines() if f"smbfuse: {area}:" in l]
            if lines:
                out.update({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])})
        return out

    def _count(self):
        with open(self.log) as f:
            return f.read().count("smbfuse: cache:")


def mount_smbfuse(srv, build, base, extra):
    d = os.path.join(base, "smbfuse")
    os.makedirs(d)
    cred = srv.credentials_file(directory=base)
    opts = f"credentials={cred}" + (",seal" if SEAL else "") + (f",{extra}" if extra else "")
    log = os.path.join(base, "smbfuse.log")
    # In the foreground, so that its counters (SIGUSR1) land in our log.
    p = subprocess.Popen([os.path.join(build, "src", "smbfuse"), f"//127.0.0.1:{PORT}/share",
                          d, "-f", "-o", opts], stdout=subprocess.DEVNULL,
                         stderr=open(log, "w"), start_new_session=True)
    return SmbfuseClient(d, p, log) if wait_mounted(d, p) else None


def mount_rclone(srv, base, extra):
    if SEAL or not ensure("rclone", "rclone"):
        return None
    d = os.path.join(base, "rclone")
    os.makedirs(d)
    obscured = sh("rclone", "obscure", "-", input=srv.password).stdout.strip()
    env = dict(os.environ, RCLONE_CONFIG_BENCH_TYPE="smb", RCLONE_CONFIG_BENCH_HOST="127.0.0.1",
               RCLONE_CONFIG_BENCH_PORT=str(PORT), RCLONE_CONFIG_BENCH_USER=srv.user,
               RCLONE_CONFIG_BENCH_PASS=obscured)
    p = subprocess.Popen(["rclone", "mount", "bench:share", d, "--vfs-cache-mode", "off"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    if not wait_mounted(d, p):
        p.kill()
        return None
    return MountClient("rclone mount", d, p)


def mount_smbnetfs(srv, base, extra):
    if not ensure("smbnetfs", "smbnetfs"):
        return None
    d = os.path.join(base, "smbnetfs")
    home = os.path.join(base, "smbnetfs-home")
    os.makedirs(d)
    os.makedirs(os.path.join(home, ".smb"))
    conf = os.path.join(home, ".smb", "smb.conf")
    with open(conf, "w") as f:
        f.write(f"[global]\n  smb ports = {PORT}\n  client min protocol = SMB2\n")
        if SEAL:
            f.write("  client smb encrypt = required\n")
    with open(os.path.join(home, ".smb", "smbnetfs.conf"), "w") as f:
        f.write(f'smb_conf "{conf}"\nauth "{srv.user}" "{srv.password}"\n')
    os.chmod(os.path.join(home, ".smb", "smbnetfs.conf"), 0o600)
    p = subprocess.Popen(["smbnetfs", d, "-f"], env=dict(os.environ, HOME=home),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    if not wait_mounted(d, p):
        p.kill()
        return None
    # libsmbclient ignores "smb ports" here; the port goes in the host name.
    share = os.path.join(d, f"{srv.host}:{PORT}", "share")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.listdir(share)
            c = MountClient("smbnetfs", d, p)
            c.dir_share = share
            return c
        except OSError:
            time.sleep(0.5)
    subprocess.run(["fusermount3", "-u", d])
    p.kill()
    return None


def share_dir(c):
    return getattr(c, "dir_share", c.dir)


# ---- workloads on a mounted directory --------------------------------------

def w_write(root, src):
    # No fsync: smbclient's put cannot ask for one either, and a server
    # fsync would time the server's disk. The time includes close(2).
    sh("dd", f"if={src}", f"of={root}/big.bin", "bs=1M", "status=none")


def w_read(root, src):
    drop_caches()
    sh("dd", f"if={root}/big.bin", "of=/dev/null", "bs=1M", "status=none")


def w_random(root):
    """IOPS of random 4 KiB reads, or None."""
    if not ensure("fio", "fio"):
        return None
    for direct in ("1", "0"):
        r = subprocess.run(["fio", "--name=rand", f"--filename={root}/big.bin", "--rw=randread",
                            "--bs=4k", "--numjobs=4", "--iodepth=16", "--ioengine=libaio",
                            f"--direct={direct}", "--runtime=10", "--time_based",
                            "--group_reporting", "--output-format=json"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            try:
                return json.loads(r.stdout[r.stdout.index("{"):])["jobs"][0]["read"]["iops"]
            except (ValueError, KeyError, IndexError):
                return None
    return None


def w_create(root, n):
    os.mkdir(f"{root}/many")
    blob = os.urandom(4096)
    for i in range(n):
        with open(f"{root}/many/f{i}", "wb") as f:
            f.write(blob)


def w_ls(root, n):
    drop_caches()
    out = sh("ls", "-l", f"{root}/many").stdout
    assert out.count("\n") >= n


def w_stat(root, n):
    names = os.listdir(f"{root}/many")
    assert len(names) == n
    for name in names:
        os.stat(f"{root}/many/{name}")


def w_reopen(root, times=200):
    """One small file opened, read and closed again and again (a build
    reading a header, a script reading its configuration)."""
    for _ in range(times):
        with open(f"{root}/many/f0", "rb") as f:
            f.read()


def w_delete(root, n):
    shutil.rmtree(f"{root}/many")


def w_untar(root, tarball):
    os.mkdir(f"{root}/untar")
    sh("tar", "-xf", tarball, "-C", f"{root}/untar")


def w_untar_clean(root):
    shutil.rmtree(f"{root}/untar")
    os.unlink(f"{root}/big.bin")


def run_mount(c, src, n, tarball, size_mib):
    root = share_dir(c)
    r = {}
    r["seq write MiB/s"] = size_mib / timed(lambda: w_write(root, src))
    cpu0 = cpu_seconds(c.pid) if c.pid else None
    t = timed(lambda: w_read(root, src))
    r["seq read MiB/s"] = size_mib / t
    cpu1 = cpu_seconds(c.pid) if c.pid else None
    if cpu0 is not None and cpu1 is not None:
        r["CPU s per GiB read"] = (cpu1 - cpu0) * 1024 / size_mib
    iops = w_random(root)
    if iops:
        r["random 4K read IOPS"] = iops
    k0 = c.counters()
    r[f"create {n} s"] = timed(lambda: w_create(root, n))
    k1 = c.counters()
    r[f"ls -l {n} s"] = timed(lambda: w_ls(root, n))
    r[f"stat {n} s"] = timed(lambda: w_stat(root, n))
    # The same listing again 2 s later (past actimeo, within the 60 s a
    # directory lease is kept), without dropping any cache.
    time.sleep(2)
    ka = c.counters()
    r[f"ls -l {n} again s"] = timed(lambda: sh("ls", "-l", f"{root}/many"))
    kb = c.counters()
    r["open+read+close x200 s"] = timed(lambda: w_reopen(root))
    kc = c.counters()
    if ka and kb and kc:
        r["round trips: ls -l again"] = kb["round_trips"] - ka["round_trips"]
        r["round trips: open+read+close"] = (kc["round_trips"] - kb["round_trips"]) / 200
    k2 = c.counters()
    r[f"delete {n} s"] = timed(lambda: w_delete(root, n))
    k3 = c.counters()
    if k0 and k1 and k2 and k3:
        r["create round trips/file"] = (k1["round_trips"] - k0["round_trips"]) / n
        r["delete round trips/file"] = (k3["round_trips"] - k2["round_trips"]) / n
    r["untar s"] = timed(lambda: w_untar(root, tarball))
    w_untar_clean(root)
    return r


def run_smbclient(srv, base, src, n, tarball, size_mib):
    if not shutil.which("smbclient"):
        return None
    auth = os.path.join(base, "smbclient.auth")
    with open(auth, "w") as f:
        f.write(f"username = {srv.user}\npassword = {srv.password}\n")
    os.chmod(auth, 0o600)
    local = os.path.join(base, "smallfiles")
    os.makedirs(local, exist_ok=True)
    blob = os.urandom(4096)
    for i in range(n):
        with open(os.path.join(local, f"f{i}"), "wb") as f:
            f.write(blob)

    def cli(cmds, cwd=None, extra=()):
        sh("smbclient", "//127.0.0.1/share", "-p", str(PORT), "-A", auth,
           *(["-e"] if SEAL else []), *extra, "-c", cmds, cwd=cwd)
    out = os.path.join(base, "back.bin")
    r = {}
    r["seq write MiB/s"] = size_mib / timed(lambda: cli(f"put {src} big.bin"))
    r["seq read MiB/s"] = size_mib / timed(lambda: (drop_caches(), cli(f"get big.bin {out}")))
    os.unlink(out)
    r[f"create {n} s"] = timed(lambda: cli("mkdir many; cd many; prompt off; mput f*",
                                           cwd=local))
    r[f"ls -l {n} s"] = timed(lambda: cli("cd many; ls"))
    r[f"delete {n} s"] = timed(lambda: cli("cd many; del f*; cd ..; rmdir many"))
    r["untar s"] = timed(lambda: sh("smbclient", "//127.0.0.1/share", "-p", str(PORT), "-A",
                                    auth, *(["-e"] if SEAL else []), "-Tx", tarball))
    cli(f"deltree {UNTAR_TOP}; del big.bin")
    return r


def make_tarball(base, top="/usr/include"):
    """top (/usr/include) as a tar of its directories and regular files (SMB
    without extensions stores no symlinks), without the names that differ
    only in case from another (xt_connmark.h and xt_CONNMARK.h are one
    name on a Windows-like share)."""
    seen, names = set(), []
    parent = os.path.dirname(top.rstrip("/"))
    for here, dirs, files in os.walk(top):
        dirs.sort()
        for n in sorted(dirs) + sorted(files):
            full = os.path.join(here, n)
            if os.path.islink(full) or not (os.path.isdir(full) or os.path.isfile(full)):
                continue
            rel = os.path.relpath(full, parent)
            if rel.casefold() in seen:
                continue
            seen.add(rel.casefold())
            names.append(rel)
    listing = os.path.join(base, "include.list")
    with open(listing, "w") as f:
        f.write(os.path.basename(top.rstrip("/")) + "\n" + "".join(n + "\n" for n in names))
    tarball = os.path.join(base, "include.tar")
    sh("tar", "-cf", tarball, "-C", parent, "--no-recursion", "-T", listing)
    return tarball


def median_runs(fn, runs):
    """Run fn runs times; the median of each figure it returns."""
    got = []
    for _ in range(runs):
        try:
            r = fn()
        except Exception as e:  # a peer failing a workload is reported, not fatal
            print(f"  failed: {e}", file=sys.stderr)
            continue
        if r:
            got.append(r)
    if not got:
        return None
    keys = [k for k in got[0]]
    return {k: statistics.median([g[k] for g in got if k in g]) for k in keys}


HIGHER_IS_BETTER = ("MiB/s", "IOPS")


def describe_machine(srv):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    samba = subprocess.run([srv.tool("smbd"), "--version"], capture_output=True, text=True,
                           env=srv.tool_env()).stdout.strip()
    return (f"{os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, {samba}, "
            f"share on {subprocess.run(['stat', '-f', '-c', '%T', srv.share_path()], capture_output=True, text=True).stdout.strip()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rtt-ms", type=float, default=0)
    ap.add_argument("--seal", action="store_true")
    ap.add_argument("--clients", default="smbfuse,smbclient,rclone,smbnetfs",
                    help="comma-separated subset to run")
    ap.add_argument("--opts", default="", help="more smbfuse -o options")
    ap.add_argument("--untar", default="/usr/include",
                    help="the tree to untar (a smaller one for slow links)")
    ap.add_argument("--samba-root", default=None,
                    help="a private Samba tree for the server (tests/lib/"
                         "fetch-samba-backports.sh: 4.22, which grants directory leases)")
    ap.add_argument("--disk", action="store_true",
                    help="keep the share on disk (default: on a tmpfs, when root)")
    a = ap.parse_args()
    global PORT, SEAL
    SEAL = a.seal
    want = set(a.clients.split(","))
    base = tempfile.mkdtemp(prefix="smbfuse-bench.", dir="/tmp")
    src = os.path.join(base, "src.bin")
    with open(src, "wb") as f:
        for _ in range(a.size_mib):
            f.write(os.urandom(1 << 20))
    tarball = make_tarball(base, a.untar)
    global UNTAR_TOP
    UNTAR_TOP = os.path.basename(a.untar.rstrip("/"))
    results = {}
    with SmbServer(name="bench", samba_root=a.samba_root) as srv:
        share = srv.share_path()
        on_tmpfs = not a.disk and os.geteuid() == 0
        if on_tmpfs:  # the server's disk is not what is measured
            st = os.stat(share)
            sh("mount", "-t", "tmpfs", "-o", "size=8g,mode=0755", "tmpfs", share)
            os.chown(share, st.st_uid, st.st_gid)
        machine = describe_machine(srv)
        delay = DelayProxy(srv.port, a.rtt_ms / 2).start() if a.rtt_ms else None
        PORT = delay.port if delay else srv.port
        for name, start in (("smbfuse", lambda: mount_smbfuse(srv, a.build, base, a.opts)),
                            ("rclone mount", lambda: mount_rclone(srv, base, a.opts)),
                            ("smbnetfs", lambda: mount_smbnetfs(srv, base, a.opts))):
            if name.split()[0] not in want:
                continue
            c = start()
            if not c:
                print(f"{name}: could not mount, skipped", file=sys.stderr)
                continue
            print(f"{name}...", file=sys.stderr)
            try:
                results[name] = median_runs(
                    lambda: run_mount(c, src, a.files, tarball, a.size_mib), a.runs)
            finally:
                c.stop()
        if "smbclient" in want:
            print("smbclient...", file=sys.stderr)
            results["smbclient"] = median_runs(
                lambda: run_smbclient(srv, base, src, a.files, tarball, a.size_mib), a.runs)
        if on_tmpfs:
            subprocess.run(["umount", "-l", share])
    shutil.rmtree(base, ignore_errors=True)
    if not results.get("smbfuse"):
        sys.exit("smbfuse did not run")
    peers = [p for p in ("smbclient", "rclone mount", "smbnetfs") if results.get(p)]
    where = f"through a proxy adding {a.rtt_ms / 2:g} ms each way" if a.rtt_ms else "loopback"
    print(f"\n{a.size_mib} MiB sequential, {a.files} files of 4 KiB, untar of {a.untar}, "
          f"{where}{', sealed' if SEAL else ''}; median of {a.runs}\n{machine}\n")
    print("| workload | smbfuse | " + " | ".join(f"{p} | ratio" for p in peers) + " |")
    print("|---|---|" + "---|---|" * len(peers))
    for w in results["smbfuse"]:
        mine = results["smbfuse"][w]
        row = f"| {w} | {mine:.4g} |"
        for p in peers:
            t = results[p].get(w)
            if t is None or not mine:
                row += " - | - |"
                continue
            better = any(h in w for h in HIGHER_IS_BETTER)
            ratio = mine / t if better else t / mine
            row += f" {t:.4g} | {ratio:.2f} |"
        print(row)
    print("\nratio: how many times better smbfuse is (above 1: smbfuse is faster, or "
          "uses less CPU)")


if __name__ == "__main__":
    main()
