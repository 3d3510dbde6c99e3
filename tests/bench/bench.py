#!/usr/bin/python3
"""bench.py - the same workloads through smbfuse and through the peers
Debian ships (smbclient, rclone mount, smbnetfs), against one throw-away
local smbd; prints seconds side by side and each peer's time divided by
smbfuse's (above 1: smbfuse is faster). Measures, never asserts.

    sudo tests/bench/bench.py [--size-mib 256] [--files 1000] [--build build]
                              [--rtt-ms 10]

--rtt-ms puts a proxy that delays each direction by half of it between
every client and smbd (tests/lib/delayproxy.py).
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

from delayproxy import DelayProxy  # noqa: E402
from smbserver import SmbServer, is_mounted_path  # noqa: E402


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


class MountClient:
    """A client that shows the share as a directory."""

    def __init__(self, name, mountpoint, proc=None, unmount=None):
        self.name = name
        self.dir = mountpoint
        self.proc = proc
        self.unmount = unmount or ["fusermount3", "-u", mountpoint]

    def stop(self):
        subprocess.run(self.unmount, capture_output=True)
        if self.proc:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_mounted(path, proc=None, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_mounted_path(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


PORT = None  # the port clients use: smbd's, or the delaying proxy's
EXTRA_OPTS = ""


def mount_smbfuse(srv, build, base):
    d = os.path.join(base, "smbfuse")
    os.makedirs(d)
    cred = srv.credentials_file(directory=base)
    sh(os.path.join(build, "src", "smbfuse"), f"//127.0.0.1:{PORT}/share", d, "-o",
       f"credentials={cred}" + (f",{EXTRA_OPTS}" if EXTRA_OPTS else ""))
    return MountClient("smbfuse", d) if wait_mounted(d) else None


def mount_rclone(srv, base):
    if not ensure("rclone", "rclone"):
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
    return MountClient("rclone", d, p)


def mount_smbnetfs(srv, base):
    if not ensure("smbnetfs", "smbnetfs"):
        return None
    d = os.path.join(base, "smbnetfs")
    home = os.path.join(base, "smbnetfs-home")
    os.makedirs(d)
    os.makedirs(os.path.join(home, ".smb"))
    conf = os.path.join(home, ".smb", "smb.conf")
    with open(conf, "w") as f:
        f.write(f"[global]\n  smb ports = {PORT}\n  client min protocol = SMB2\n")
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


def w_create(root, n):
    os.mkdir(f"{root}/many")
    blob = os.urandom(4096)
    for i in range(n):
        with open(f"{root}/many/f{i}", "wb") as f:
            f.write(blob)


def w_stat(root, n):
    drop_caches()
    names = os.listdir(f"{root}/many")
    assert len(names) == n
    for name in names:
        os.stat(f"{root}/many/{name}")


def w_delete(root, n):
    shutil.rmtree(f"{root}/many")
    os.unlink(f"{root}/big.bin")


def run_mount(c, src, n):
    root = share_dir(c)
    return {
        "seq write": timed(lambda: w_write(root, src)),
        "seq read": timed(lambda: w_read(root, src)),
        f"create {n}": timed(lambda: w_create(root, n)),
        f"list+stat {n}": timed(lambda: w_stat(root, n)),
        "delete all": timed(lambda: w_delete(root, n)),
    }


def run_smbclient(srv, base, src, n):
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

    def cli(cmds, cwd=None):
        sh("smbclient", f"//127.0.0.1/share", "-p", str(PORT), "-A", auth, "-c", cmds,
           cwd=cwd)
    out = os.path.join(base, "back.bin")
    return {
        "seq write": timed(lambda: cli(f"put {src} big.bin")),
        "seq read": timed(lambda: (drop_caches(), cli(f"get big.bin {out}"))),
        f"create {n}": timed(lambda: cli("mkdir many; cd many; prompt off; mput f*",
                                         cwd=local)),
        f"list+stat {n}": timed(lambda: cli("cd many; ls")),
        "delete all": timed(lambda: cli("cd many; del f*; cd ..; rmdir many; del big.bin")),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rtt-ms", type=float, default=0)
    ap.add_argument("--clients", default="smbfuse,smbclient,rclone,smbnetfs",
                    help="comma-separated subset to run")
    ap.add_argument("--opts", default="", help="extra smbfuse -o options")
    a = ap.parse_args()
    global EXTRA_OPTS
    EXTRA_OPTS = a.opts
    want = set(a.clients.split(","))
    global PORT
    base = tempfile.mkdtemp(prefix="smbfuse-bench.", dir="/tmp")
    src = os.path.join(base, "src.bin")
    with open(src, "wb") as f:
        for _ in range(a.size_mib):
            f.write(os.urandom(1 << 20))
    results = {}
    with SmbServer(name="bench") as srv:
        delay = DelayProxy(srv.port, a.rtt_ms / 2).start() if a.rtt_ms else None
        PORT = delay.port if delay else srv.port
        if delay:
            print(f"every client through a proxy adding {a.rtt_ms / 2:g} ms each way",
                  file=sys.stderr)
        for name, start in (("smbfuse", lambda: mount_smbfuse(srv, a.build, base)),
                            ("rclone mount", lambda: mount_rclone(srv, base)),
                            ("smbnetfs", lambda: mount_smbnetfs(srv, base))):
            if name.split()[0] not in want:
                continue
            c = start()
            if not c:
                print(f"{name}: could not mount, skipped", file=sys.stderr)
                continue
            try:
                results[name] = run_mount(c, src, a.files)
            except Exception as e:  # a peer failing a workload is reported, not fatal
                print(f"{name}: {e}", file=sys.stderr)
            finally:
                c.stop()
        try:
            if "smbclient" in want:
                results["smbclient"] = run_smbclient(srv, base, src, a.files)
        except subprocess.CalledProcessError as e:
            print(f"smbclient: {e.stderr.strip()[:200]}", file=sys.stderr)
    shutil.rmtree(base, ignore_errors=True)
    if "smbfuse" not in results:
        sys.exit("smbfuse did not run")
    peers = [p for p in ("smbclient", "rclone mount", "smbnetfs") if results.get(p)]
    work = list(results["smbfuse"])
    print(f"\n{a.size_mib} MiB sequential, {a.files} files of 4 KiB, loopback smbd\n")
    head = f"{'workload':<16}{'smbfuse':>10}" + "".join(f"{p:>14}{'ratio':>7}" for p in peers)
    print(head)
    print("-" * len(head))
    for w in work:
        mine = results["smbfuse"][w]
        row = f"{w:<16}{mine:>9.2f}s"
        for p in peers:
            t = results[p].get(w)
            row += f"{t:>13.2f}s{t / mine:>7.1f}" if t else f"{'n/a':>14}{'':>7}"
        print(row)
    print("\nratio = peer's time / smbfuse's time (above 1: smbfuse is faster)")


if __name__ == "__main__":
    main()
