"""A throw-away Samba AD DC for Kerberos tests (its embedded Heimdal KDC
plus a Kerberos-accepting smbd), after shared/test-infra.md section 4.

    dc = AdDc().start()          # ~20-30 s: provision, user, keytab, start
    env = dc.krb5_env(ccache)    # KRB5_CONFIG and KRB5CCNAME for a client
    dc.kinit(ccache)             # password kinit of the test user (Heimdal)
    dc.stop()                    # the whole process group, then the files

Realm TEST.LAN, domain TEST, DC dc1.test.lan on its own loopback address
(127.0.0.5 unless told otherwise; added to lo, since Samba's interface check
refuses an address lo does not carry), so the fixed LDAP/CLDAP/RPC ports
belong to it alone. SMB and the KDC listen on free high ports of that
address. Users: krbuser / Krb-Passw0rd (keytab in dc.keytab) and a second
user krbuser2. Share: [share], writable by every domain user.

Only one AD DC can run per machine (every DC's winbindd listens on the
compiled-in /run/samba/winbindd), so start() takes an exclusive lock on
/tmp/smbfuse-test/addc.lock until stop(); a second fixture (another test
run) waits for it. Every standalone smbd started while a DC runs needs
_NO_WINBINDD=1 (tests/lib/smbserver.py sets it).
Needs root and the packages samba-ad-dc, samba-ad-provision, winbind and
heimdal-clients (contrib/install-deps.sh).
"""

import atexit
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = "/tmp/smbfuse-test"
REALM = "TEST.LAN"
DOMAIN = "TEST"
HOST = "dc1"
FQDN = "dc1.test.lan"
USER = "krbuser"
USER2 = "krbuser2"
PASSWORD = "Krb-Passw0rd"

_running = []


def _stop_all(*_):
    for d in list(_running):
        d.stop()


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


def available():
    """None when a DC can be started here, else why not (for a skip)."""
    if os.geteuid() != 0:
        return "the Samba AD DC fixture needs root"
    for tool in ("samba", "samba-tool", "kinit", "smbclient"):
        if not shutil.which(tool):
            return f"{tool} is missing (contrib/install-deps.sh)"
    if not os.path.isdir("/usr/share/samba/setup"):
        return "samba-ad-provision is missing (contrib/install-deps.sh)"
    return None


def _free_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


class AdDc:
    def __init__(self, ip="127.0.0.5", name="addc"):
        self.ip = ip
        self.realm = REALM
        self.domain = DOMAIN
        self.fqdn = FQDN
        self.user = USER
        self.user2 = USER2
        self.password = PASSWORD
        self.share = "share"
        self.proc = None
        self.port = None
        self.kdc_port = None
        self._lock = None
        self._added_ip = False
        os.makedirs(ROOT, exist_ok=True)
        os.chmod(ROOT, 0o755)
        self.dir = tempfile.mkdtemp(prefix=name + ".", dir=ROOT)
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "etc", "smb.conf")
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        self.keytab = os.path.join(self.dir, USER + ".keytab")
        self.keytab2 = os.path.join(self.dir, USER2 + ".keytab")
        self.startup_seconds = None

    # -- paths and environments ------------------------------------------
    def share_path(self, share="share"):
        return os.path.join(self.dir, "shares", share)

    def log(self, name="samba.out"):
        return os.path.join(self.dir, "log", name)

    def log_text(self, tail=60):
        try:
            with open(self.log()) as f:
                return "".join(f.readlines()[-tail:])
        except OSError:
            return ""

    def krb5_env(self, ccache=None, **extra):
        """os.environ plus KRB5_CONFIG (and KRB5CCNAME when given)."""
        env = dict(os.environ, KRB5_CONFIG=self.krb5_conf, **extra)
        if ccache:
            env["KRB5CCNAME"] = ccache if ":" in ccache else "FILE:" + ccache
        return env

    def unc(self, share="share"):
        return f"//{self.fqdn}:{self.port}/{share}"

    # -- Kerberos client helpers (Heimdal's kinit/klist) ------------------
    def kinit(self, ccache, user=None, password=None, lifetime=None, keytab=None):
        """Get a TGT for user into ccache, by password or from keytab."""
        args = ["kinit"]
        if lifetime:
            args.append(f"--lifetime={lifetime}")
        if keytab:
            args += ["-k", "-t", keytab]
        else:
            args.append("--password-file=STDIN")
        args.append(f"{user or self.user}@{self.realm}")
        r = subprocess.run(args, input=None if keytab else (password or self.password) + "\n",
                           capture_output=True, text=True, env=self.krb5_env(ccache),
                           timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"kinit failed: {r.stderr.strip()}")

    def klist(self, ccache):
        r = subprocess.run(["klist"], capture_output=True, text=True,
                           env=self.krb5_env(ccache), timeout=30)
        return r.stdout + r.stderr

    def samba_tool(self, *args, check=True):
        r = subprocess.run(["samba-tool", *args, "-s", self.conf], capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, _NO_WINBINDD="1"))
        if check and r.returncode != 0:
            raise RuntimeError(f"samba-tool {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def smbstatus(self, *args):
        r = subprocess.run(["smbstatus", "-s", self.conf, *args], capture_output=True,
                           text=True, timeout=30)
        return r.stdout

    # -- lifecycle ---------------------------------------------------------
    def _ensure_ip(self):
        out = subprocess.run(["ip", "-4", "addr", "show", "dev", "lo"], capture_output=True,
                             text=True).stdout
        if not re.search(rf"inet {re.escape(self.ip)}/", out):
            subprocess.run(["ip", "addr", "add", f"{self.ip}/8", "dev", "lo"], check=True)
            self._added_ip = True

    def _provision(self):
        for d in ("log", "pid", "ncalrpc", "shares/share"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        os.chmod(self.share_path(), 0o1777)
        opts = {
            "interfaces": self.ip,
            "bind interfaces only": "yes",
            "disable netbios": "yes",
            "smb ports": str(self.port),
            "krb5 port": str(self.kdc_port),
            "kpasswd port": str(self.kpasswd_port),
            "pid directory": os.path.join(self.dir, "pid"),
            "ncalrpc dir": os.path.join(self.dir, "ncalrpc"),
            "log file": os.path.join(self.dir, "log", "log.%m"),
            "server services": "s3fs, rpc, ldap, cldap, kdc, winbindd",
            "load printers": "no",
            "printing": "bsd",
            "printcap name": "/dev/null",
            "disable spoolss": "yes",
        }
        args = ["samba-tool", "domain", "provision", f"--realm={self.realm}",
                f"--domain={self.domain}", "--server-role=dc", "--dns-backend=NONE",
                "--use-rfc2307", f"--host-name={HOST}", f"--host-ip={self.ip}",
                f"--adminpass={self.password}", f"--targetdir={self.dir}"]
        args += [f"--option={k} = {v}" for k, v in opts.items()]
        with open(self.log("provision.log"), "w") as out:
            r = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, timeout=300,
                               env=dict(os.environ, _NO_WINBINDD="1"))
        if r.returncode != 0:
            with open(self.log("provision.log")) as f:
                raise RuntimeError("provision failed:\n" + f.read()[-3000:])
        with open(self.conf) as f:
            s = f.read()
        # drop the template [homes]/[printers]/[print$], add the test share
        s = re.sub(r"\n\[(homes|printers|print\$)\]\n(?:\t[^\n]*\n)*", "\n", s)
        s += f"\n[share]\n\tpath = {self.share_path()}\n\tread only = no\n"
        with open(self.conf, "w") as f:
            f.write(s)
        dnsdom = self.realm.lower()
        with open(self.krb5_conf, "w") as f:
            f.write(f"""[libdefaults]
\tdefault_realm = {self.realm}
\tdns_lookup_realm = false
\tdns_lookup_kdc = false
\trdns = false
\tignore_acceptor_hostname = true
[realms]
\t{self.realm} = {{
\t\tkdc = {self.ip}:{self.kdc_port}
\t\tkpasswd_server = {self.ip}:{self.kpasswd_port}
\t\tadmin_server = {self.ip}:{self.kpasswd_port}
\t}}
[domain_realm]
\t.{dnsdom} = {self.realm}
\t{dnsdom} = {self.realm}
""")
        os.chmod(self.krb5_conf, 0o644)
        for user, keytab in ((USER, self.keytab), (USER2, self.keytab2)):
            self.samba_tool("user", "create", user, self.password)
            self.samba_tool("user", "setexpiry", user, "--noexpiry")
            self.samba_tool("domain", "exportkeytab", keytab, f"--principal={user}@{self.realm}")

    def _ready(self):
        """KDC and SMB both answer: a keytab kinit and a Kerberos smbclient ls."""
        try:
            with socket.create_connection((self.ip, self.port), timeout=0.5):
                pass
        except OSError:
            return False
        cc = os.path.join(self.dir, "ccache.probe")
        env = self.krb5_env(cc)
        try:
            r = subprocess.run(["kinit", "-k", "-t", self.keytab, f"{USER}@{self.realm}"],
                               env=env, capture_output=True, timeout=20)
            if r.returncode != 0:
                return False
            r = subprocess.run(["smbclient", f"//{self.fqdn}/share", "-I", self.ip, "-p",
                                str(self.port), "--use-kerberos=required", "-N", "-c", "ls"],
                               env=env, capture_output=True, timeout=20)
            return r.returncode == 0
        except subprocess.TimeoutExpired:
            return False
        finally:
            try:
                os.unlink(cc)
            except OSError:
                pass

    def start(self, timeout=180):
        t0 = time.monotonic()
        self._lock = open(os.path.join(ROOT, "addc.lock"), "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # one AD DC per machine
        _running.append(self)
        try:
            self._ensure_ip()
            self.port = _free_port(self.ip)
            self.kdc_port = _free_port(self.ip)
            self.kpasswd_port = _free_port(self.ip)
            self._provision()
            out = open(self.log(), "a")
            self.proc = subprocess.Popen(
                ["samba", "--foreground", "--no-process-group", "--debug-stdout", "-s",
                 self.conf], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
            out.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self._ready():
                    self.startup_seconds = time.monotonic() - t0
                    return self
                time.sleep(0.3)
            raise RuntimeError("samba AD DC did not come up; log:\n" + self.log_text())
        except BaseException:
            self.stop()
            raise

    def processes(self):
        """Pids still in the DC's process group."""
        if self.proc is None:
            return []
        pids = []
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if int(fields[2]) == self.proc.pid:  # pgrp
                        pids.append(int(p))
                except (OSError, IndexError, ValueError):
                    pass
        return pids

    def stop(self, remove=True):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for _ in range(100):  # samba's children share the process group
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self._added_ip:
            subprocess.run(["ip", "addr", "del", f"{self.ip}/8", "dev", "lo"],
                           stderr=subprocess.DEVNULL)
            self._added_ip = False
        if self in _running:
            _running.remove(self)
        if self._lock:
            self._lock.close()  # releases the flock
            self._lock = None
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
