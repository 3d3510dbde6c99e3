"""Throw-away Samba smbd instances for tests.

Each SmbServer lives in its own temp dir under /tmp/smbfuse-test with its
own smb.conf, tdbsam, locks and logs (nothing under /etc/samba), listens
on a free loopback port, and runs in its own process group so that stop()
takes smbd and every child with it, even when a test fails or is
interrupted (atexit and SIGTERM handlers stop whatever is still running).
"""

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

USER = "smbtest"
PASSWORD = "TestPass123"
ROOT = "/tmp/smbfuse-test"

_running = []


def _stop_all(*_):
    for s in list(_running):
        s.stop()


atexit.register(_stop_all)


def _on_signal(signum, frame):
    _stop_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:  # not the main thread
        pass


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ensure_unix_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name],
                       check=False, stderr=subprocess.DEVNULL)
        pwd.getpwnam(name)


class SmbServer:
    """A standalone smbd with the test shares.

    Shares: share (user only), encrypted (smb encrypt = required),
    readonly (hello.txt), streams, guest (guest only), dfsroot, resilience
    (what Samba needs before it grants durable handles: no kernel oplocks,
    no kernel share modes, no POSIX locking).
    Users: smbtest/TestPass123, alice/AlicePass1 (second user),
    disabled/DisabledPass1 (account disabled).
    """

    def __init__(self, min_protocol=None, max_protocol=None, signing=None,
                 encryption_algs=None, signing_algs=None, extra_global=(),
                 addr="127.0.0.1", name=None, samba_root=None, extra_shares=None):
        self.min_protocol = min_protocol
        self.max_protocol = max_protocol
        self.signing = signing
        self.encryption_algs = encryption_algs
        self.signing_algs = signing_algs
        self.extra_global = list(extra_global)
        # More shares: {name: [smb.conf lines]}; a share without a
        # "path =" line gets a directory of its own under shares/.
        self.extra_shares = dict(extra_shares or {})
        self.addr = addr
        self.host = addr
        self.user = USER
        self.password = PASSWORD
        self.name = name or "smbfuse"
        # A private Samba tree (fetch-samba-backports.sh) instead of the
        # system's: its smbd, smbpasswd and smbclient, with its libraries.
        self.samba_root = samba_root
        self.proc = None
        self.port = None
        os.makedirs(ROOT, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=self.name + ".", dir=ROOT)
        os.chmod(self.dir, 0o755)  # share users must be able to reach their share
        os.chmod(ROOT, 0o755)

    # -- paths ---------------------------------------------------------
    def share_path(self, share="share"):
        return os.path.join(self.dir, "shares", share)

    @property
    def conf(self):
        return os.path.join(self.dir, "etc", "smb.conf")

    def log_text(self):
        out = []
        logdir = os.path.join(self.dir, "log")
        for f in sorted(os.listdir(logdir)):
            if not os.path.isfile(os.path.join(logdir, f)):
                continue
            with open(os.path.join(logdir, f), errors="replace") as fh:
                out.append(f"== {f}\n" + fh.read()[-4000:])
        return "\n".join(out)

    # -- the Samba programs ---------------------------------------------
    def tool(self, name):
        """argv[0] for a Samba program of this server's Samba."""
        if not self.samba_root:
            return name
        for d in ("usr/sbin", "usr/bin"):
            p = os.path.join(self.samba_root, d, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(name)

    def tool_env(self, **extra):
        env = dict(os.environ, _NO_WINBINDD="1", **extra)
        if self.samba_root:
            lib = os.path.join(self.samba_root, "usr/lib/x86_64-linux-gnu")
            env["LD_LIBRARY_PATH"] = f"{lib}:{lib}/samba"
        return env

    def smbclient(self, command, share="share", max_protocol="SMB3"):
        """Run smbclient commands as the test user; (returncode, output)."""
        r = subprocess.run(
            [self.tool("smbclient"), f"//{self.host}/{share}", "-p", str(self.port),
             "-U", f"{self.user}%{self.password}", "-m", max_protocol, "-c", command],
            capture_output=True, text=True, env=self.tool_env(), timeout=60)
        return r.returncode, r.stdout + r.stderr

    # -- setup ---------------------------------------------------------
    def _write_conf(self):
        d = self.dir
        for sub in ("etc", "private", "lock", "state", "cache", "pid", "log", "ncalrpc",
                    "binddns"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for share in ("share", "encrypted", "readonly", "streams", "guest", "dfsroot",
                      "resilience"):
            os.makedirs(self.share_path(share), exist_ok=True)
        with open(os.path.join(self.share_path("readonly"), "hello.txt"), "w") as f:
            f.write("hello from readonly\n")
        link = os.path.join(self.share_path("dfsroot"), "remote")
        if not os.path.lexists(link):
            os.symlink("msdfs:127.0.0.1\\share", link)
        uid = pwd.getpwnam(USER).pw_uid
        for root, dirs, files in os.walk(os.path.join(d, "shares")):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), uid, -1)
        os.chmod(os.path.join(d, "shares"), 0o755)
        os.chmod(self.share_path("guest"), 0o1777)
        g = [
            f"netbios name = {self.name[:15].upper()}",
            "workgroup = TESTGROUP",
            "server role = standalone server",
            "security = user",
            f"passdb backend = tdbsam:{d}/private/passdb.tdb",
            f"smb ports = {self.port}",
            f"interfaces = {self.addr}",
            "bind interfaces only = yes",
            "disable netbios = yes",
            f"lock directory = {d}/lock",
            f"state directory = {d}/state",
            f"cache directory = {d}/cache",
            f"pid directory = {d}/pid",
            f"private dir = {d}/private",
            f"ncalrpc dir = {d}/ncalrpc",
            f"binddns dir = {d}/binddns",
            f"log file = {d}/log/log.%m",
            "max log size = 0",
            "log level = 1",
            "load printers = no",
            "printing = bsd",
            "printcap name = /dev/null",
            "disable spoolss = yes",
            "usershare path =",
            "map to guest = Bad User",
            "guest account = nobody",
            "host msdfs = yes",
            "ea support = yes",
            "store dos attributes = yes",
            "create mask = 0644",
            "directory mask = 0755",
        ]
        if self.min_protocol:
            g.append(f"server min protocol = {self.min_protocol}")
        if self.max_protocol:
            g.append(f"server max protocol = {self.max_protocol}")
        if self.signing:
            g.append(f"server signing = {self.signing}")
        if self.encryption_algs:
            g.append(f"server smb3 encryption algorithms = {self.encryption_algs}")
        if self.signing_algs:
            g.append(f"server smb3 signing algorithms = {self.signing_algs}")
        g += self.extra_global
        shares = {
            "share": [f"path = {self.share_path('share')}", "read only = no",
                      f"valid users = {USER} alice disabled"],
            "encrypted": [f"path = {self.share_path('encrypted')}", "read only = no",
                          "smb encrypt = required"],
            "readonly": [f"path = {self.share_path('readonly')}", "read only = yes"],
            "streams": [f"path = {self.share_path('streams')}", "read only = no",
                        "vfs objects = streams_xattr"],
            "guest": [f"path = {self.share_path('guest')}", "read only = no",
                      "guest ok = yes", "guest only = yes"],
            "dfsroot": [f"path = {self.share_path('dfsroot')}", "read only = no",
                        "msdfs root = yes"],
            # Durable handles (reconnect and replay tests): Samba grants
            # them only with all four of these.
            "resilience": [f"path = {self.share_path('resilience')}", "read only = no",
                           f"valid users = {USER}", "durable handles = yes",
                           "kernel oplocks = no", "kernel share modes = no",
                           "posix locking = no"],
        }
        for name, lines in self.extra_shares.items():
            if not any(l.replace(" ", "").startswith("path=") for l in lines):
                os.makedirs(self.share_path(name), exist_ok=True)
                os.lchown(self.share_path(name), uid, -1)
                lines = [f"path = {self.share_path(name)}"] + list(lines)
            shares[name] = lines
        with open(self.conf, "w") as f:
            f.write("[global]\n" + "".join(f"    {l}\n" for l in g))
            for name, lines in shares.items():
                f.write(f"\n[{name}]\n" + "".join(f"    {l}\n" for l in lines))

    def _add_user(self, name, password, disable=False):
        ensure_unix_user(name)
        env = self.tool_env()
        subprocess.run([self.tool("smbpasswd"), "-c", self.conf, "-s", "-a", name],
                       input=f"{password}\n{password}\n", text=True, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if disable:
            subprocess.run([self.tool("smbpasswd"), "-c", self.conf, "-d", name], env=env,
                           check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, timeout=30):
        ensure_unix_user(USER)
        for attempt in range(5):
            self.port = free_port(self.addr)
            self._write_conf()
            if attempt == 0:
                self._add_user(USER, PASSWORD)
                self._add_user("alice", "AlicePass1")
                self._add_user("disabled", "DisabledPass1", disable=True)
            if self._launch(timeout):
                return self
            self.stop(remove=False)  # port taken in a race, or a slow start: retry
        raise RuntimeError(f"smbd did not start; log:\n{self.log_text()}")

    def _launch(self, timeout):
        """Start smbd on self.port with the written config; True once it
        accepts connections, False if it exited or never accepted."""
        out = open(os.path.join(self.dir, "log", "smbd.out"), "a")
        env = self.tool_env()
        self.proc = subprocess.Popen(
            [self.tool("smbd"), "--foreground", "--no-process-group", "--debug-stdout", "-s",
             self.conf],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        out.close()
        if self not in _running:
            _running.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.addr, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    # -- faults: killing and restarting smbd ------------------------------
    def smbd_children(self):
        """Pids of the processes smbd forked (per-connection smbd, and its
        helpers smbd-notifyd and smbd-cleanupd)."""
        if self.proc is None:
            return []
        return [pid for pid, ppid in _ppids().items() if ppid == self.proc.pid]

    def serving_children(self):
        """{pid: [client ports]} for the smbd children holding an
        established connection to this server's port. The client port is
        the peer's: for a client behind a proxy, the proxy's upstream port."""
        conns = _established_to(self.port)  # inode -> client port
        out = {}
        for pid in self.smbd_children():
            for inode in _socket_inodes(pid):
                if inode in conns:
                    out.setdefault(pid, []).append(conns[inode])
        return out

    def kill_serving_child(self, client_port=None, timeout=10, sig=signal.SIGKILL):
        """SIGKILL the smbd child serving the connection from client_port
        (with one connection served, client_port may be omitted). The
        parent smbd goes on and accepts new connections. The child's open
        records stay in the tdb files, but Samba treats the opens of an
        smbd that died without disconnecting them as gone (its
        smbXsrv_open_global_verify_record: "did not clean up record"), so
        its durable handles cannot be reclaimed: a client has to open by
        name again (and take its locks again). A cut connection, by
        contrast, leaves them disconnected and reclaimable. Returns the
        pid, once that process is gone (or a zombie)."""
        serving = self.serving_children()
        if client_port is not None:
            pids = [pid for pid, ports in serving.items() if client_port in ports]
        else:
            pids = list(serving)
        if len(pids) != 1:
            raise RuntimeError(f"kill_serving_child(client_port={client_port}): "
                               f"serving children {serving}")
        pid = pids[0]
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return pid
            time.sleep(0.02)
        raise RuntimeError(f"smbd child {pid} still alive after signal {sig}")

    def restart(self, down_seconds=0, sig=signal.SIGKILL, timeout=30):
        """Kill the whole smbd (parent and children, SIGKILL unless told)
        and start it again on the same port and directory, with the same
        users, after down_seconds. Returns once it accepts connections."""
        port = self.port
        self._kill_group(sig)
        self._kill_rpc_helpers()  # a restarted smbd starts its own
        if down_seconds:
            time.sleep(down_seconds)
        for _ in range(10):
            self.port = port
            if self._launch(timeout):
                return self
            self._kill_group(signal.SIGKILL)  # the old socket not free yet: again
            time.sleep(0.5)
        raise RuntimeError(f"smbd did not restart on port {port}; log:\n{self.log_text()}")

    def _kill_group(self, sig):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        # Children (per-connection smbd) share the process group.
        for _ in range(100):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        self.proc = None

    def _kill_rpc_helpers(self):
        """Samba 4.17 serves RPC through samba-dcerpcd and rpcd_* helpers
        that smbd starts on demand in a session of their own, outside the
        process group: found by the config file on their command line."""
        needle = self.conf.encode()
        for _ in range(50):
            pids = []
            for d in os.listdir("/proc"):
                if not d.isdigit() or int(d) == os.getpid():
                    continue
                try:
                    with open(f"/proc/{d}/cmdline", "rb") as f:
                        args = f.read().split(b"\0")
                except OSError:
                    continue
                if any(needle == a or a.endswith(b"=" + needle) for a in args):
                    pids.append(int(d))
            pids = [p for p in pids if pid_alive(p)]
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)

    def stop(self, remove=True):
        self._kill_group(signal.SIGTERM)
        self._kill_rpc_helpers()
        if self in _running:
            _running.remove(self)
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def credentials_file(self, user=None, password=None, directory=None):
        """A 0600 mount.cifs-style credentials file for a user."""
        fd, path = tempfile.mkstemp(prefix="cred.", dir=directory or self.dir)
        with os.fdopen(fd, "w") as f:
            f.write(f"username={user or self.user}\npassword={password or self.password}\n")
        os.chmod(path, 0o600)
        return path

    def unc(self, share="share", path=""):
        tail = f"/{path}" if path else ""
        return f"//{self.host}:{self.port}/{share}{tail}"


def is_mounted_path(path):
    """True when path is a mount point (per /proc/self/mountinfo)."""
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


# -- processes and sockets, from /proc -------------------------------------

def _ppids():
    """{pid: parent pid} of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after it
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(d)] = int(fields[1])
    return out


def pid_alive(pid):
    """False once pid is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] not in ("Z", "X")


def _established_to(port):
    """{socket inode: peer port} for established TCP connections whose
    local port is port (IPv4 and IPv6)."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                out[inode] = int(remote.rsplit(":", 1)[1], 16)
    return out


def _socket_inodes(pid):
    inodes = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.append(int(target[8:-1]))
    return inodes
