"""Kerberos against a real Samba AD DC (realm TEST.LAN): sec=krb5 with a
kinit'ed cache and with a keytab, signing and sealing with Kerberos keys
on 3.1.1 and 3.0, tickets expiring under a running reader, the one-line
errors, and the default choice between Kerberos and NTLMv2.

The expiry runs take the longest (the DC's KDC issues no ticket with less
than about two minutes left, so the shortest usable lifetime is ~2.5 min):
they start in the background with the first test and are checked by the
last one, so the rest of the suite runs meanwhile."""

import errno
import os
import re
import shutil
import threading
import time

import pytest

import ccache as ccfile

LIFETIME = 150  # seconds: the DC refuses TGS requests for TGTs with < 120 s left


def file_ops(m, backing_dir, name="k"):
    """Create, write, read, list, rename, mkdir, unlink through the mount
    and compare with the DC's share directory."""
    p = m.path(f"{name}.txt")
    with open(p, "w") as f:
        f.write("kerberos data\n" * 100)
    with open(os.path.join(backing_dir, f"{name}.txt")) as f:
        assert f.read() == "kerberos data\n" * 100
    os.mkdir(m.path(f"{name}.d"))
    os.rename(p, m.path(f"{name}.d", "moved.txt"))
    assert os.listdir(m.path(f"{name}.d")) == ["moved.txt"]
    assert os.path.exists(os.path.join(backing_dir, f"{name}.d", "moved.txt"))
    with open(m.path(f"{name}.d", "moved.txt")) as f:
        assert f.read().startswith("kerberos data")
    os.unlink(m.path(f"{name}.d", "moved.txt"))
    os.rmdir(m.path(f"{name}.d"))
    assert not os.path.exists(os.path.join(backing_dir, f"{name}.d"))


def sessions(dc):
    """smbstatus -b rows: (protocol, encryption, signing) per session."""
    rows = []
    for line in dc.smbstatus("-b").splitlines():
        m = re.search(r"(SMB[23]_\d\d)\s+(\S+(?: \(\S+\))?)\s+(\S+)\s*$", line)
        if m:
            rows.append(m.groups())
    return rows


# ---- tickets expiring under running readers (background, whole module) ----

class ExpiryRun:
    """A mount whose Kerberos ticket lasts LIFETIME seconds and a reader
    that reads an open file and stats by path every 0.3 s across the
    expiry. refresh(): what renews the credentials (kinit into the cache),
    or None when the mount has a keytab."""

    def __init__(self, mount, sub, refresh_at=None, refresh=None):
        self.m = mount
        self.failures = []  # (seconds, errno) once the credentials ran out
        os.makedirs(mount.path(sub), exist_ok=True)
        self.file = mount.path(sub, "expiry.txt")
        self.refresh_at = refresh_at
        self.refresh = refresh
        self.errors = []
        self.reads = 0
        self.slowest = 0.0  # seconds, the longest read + stat
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        start = time.monotonic()
        refreshed = False
        try:
            with open(self.file, "w") as f:
                f.write("still here\n")
            fd = os.open(self.file, os.O_RDONLY)
        except OSError as e:
            self.errors.append(f"setup: {e}")
            return
        try:
            while not self.stop.is_set():
                if self.refresh and not refreshed and time.monotonic() - start > self.refresh_at:
                    self.refresh()
                    refreshed = True
                try:
                    t = time.monotonic()
                    assert os.pread(fd, 64, 0) == b"still here\n"
                    os.stat(self.file)
                    self.slowest = max(self.slowest, time.monotonic() - t)
                    self.reads += 1
                except OSError as e:
                    self.failures.append((time.monotonic() - start, e.errno))
                    self.errors.append(f"{time.monotonic() - start:.1f} s: {e!r}")
                except AssertionError as e:
                    self.errors.append(f"{time.monotonic() - start:.1f} s: {e!r}")
                time.sleep(0.3)
        finally:
            os.close(fd)


@pytest.fixture(scope="module")
def expiry_runs(dc, tmp_path_factory):
    from conftest import KMount
    from delayproxy import DelayProxy
    tmp = tmp_path_factory.mktemp("expiry")
    runs = {}
    # 1. A cache renewed by kinit a minute before it runs out (as a user or
    # a renewal daemon would), with the daemon's own early renewal off: the
    # server says the session expired, and the renewed cache is used.
    cc = str(tmp / "cc")
    t0 = time.monotonic()
    dc.kinit(cc, lifetime=f"{LIFETIME}s")
    m = KMount(dc, opts="sec=krb5",
               env={"KRB5CCNAME": "FILE:" + cc, "SMBFUSE_TEST_NO_RENEWAL": "1"}).start()
    runs["expired"] = ExpiryRun(m, "c1", refresh_at=LIFETIME - 60, refresh=lambda: dc.kinit(cc))
    # 2. A cache nobody renews: once it runs out, I/O fails with EKEYEXPIRED
    # and one line says why.
    cc3 = str(tmp / "cc3")
    dc.kinit(cc3, lifetime=f"{LIFETIME}s")
    m = KMount(dc, opts="sec=krb5", env={"KRB5CCNAME": "FILE:" + cc3}).start()
    runs["stale"] = ExpiryRun(m, "c3")
    # 3. A keytab, behind a KDC that answers after 5 s: the next ticket is
    # got before the current one ends, off the main loop, so reads of an
    # open file never wait for the KDC.
    kdc = DelayProxy(dc.kdc_port, 2500, server_host=dc.ip)
    kdc.start()
    conf = str(tmp / "krb5.conf")
    with open(dc.krb5_conf) as f:
        text = f.read()
    text = text.replace("[libdefaults]\n", f"[libdefaults]\n\tticket_lifetime = {LIFETIME}s\n"
                        "\tkdc_timeout = 60\n", 1)
    text = text.replace(f"kdc = {dc.ip}:{dc.kdc_port}", f"kdc = tcp/127.0.0.1:{kdc.port}")
    with open(conf, "w") as f:
        f.write(text)
    m = KMount(dc, opts=f"sec=krb5,krb5_keytab={dc.keytab2}",
               env={"KRB5CCNAME": "FILE:" + str(tmp / "none")})
    m.env["KRB5_CONFIG"] = conf
    runs["slowkdc"] = ExpiryRun(m.start(timeout=120), "c2")
    for run in runs.values():
        run.thread.start()
    yield runs, t0
    for run in runs.values():
        run.stop.set()
        run.thread.join(timeout=30)
    for run in runs.values():
        run.m.stop()
    kdc.stop()


@pytest.fixture(scope="module", autouse=True)
def _start_expiry_early(request):
    """Start the expiry runs with the module's first test (unless only
    other tests were selected, e.g. with -k)."""
    if any(item.name.startswith("test_readers_across") for item in request.session.items):
        request.getfixturevalue("expiry_runs")
    yield


# ---- mounts ---------------------------------------------------------------

def test_kinit_mount_file_ops_and_cifs_ticket(dc, kmount, ccache):
    dc.kinit(ccache)
    assert "cifs/" not in dc.klist(ccache)
    m = kmount(opts="sec=krb5", env={"KRB5CCNAME": "FILE:" + ccache}).start()
    file_ops(m, dc.share_path())
    assert f"cifs/{dc.fqdn}@{dc.realm}" in dc.klist(ccache)


def test_keytab_without_cache(dc, kmount, tmp_path):
    none = str(tmp_path / "no-such-cache")
    m = kmount(opts=f"sec=krb5,krb5_keytab={dc.keytab}",
               env={"KRB5CCNAME": "FILE:" + none}).start()
    file_ops(m, dc.share_path(), name="kt")
    assert not os.path.exists(none)  # the keytab's tickets stay in memory


def test_keytab_principal(dc, kmount, tmp_path):
    none = {"KRB5CCNAME": "FILE:" + str(tmp_path / "none")}
    m = kmount(opts=f"sec=krb5,krb5_keytab={dc.keytab},krb5_principal={dc.user}@{dc.realm}",
               env=none).start()
    assert os.path.isdir(m.dir) and os.listdir(m.dir) is not None
    code, err = kmount(opts=f"sec=krb5,krb5_keytab={dc.keytab},"
                       f"krb5_principal={dc.user2}@{dc.realm}", env=none).fail()
    assert code != 0
    assert "keytab" in one_line(err)


def test_cruid_picks_that_users_cache(dc, kmount, tmp_path):
    uid = 47311  # nobody's: /tmp/krb5cc_<uid> is made here and removed
    cache = f"/tmp/krb5cc_{uid}"
    assert not os.path.exists(cache)
    try:
        # Made by root: not that user's, refused in one line.
        dc.kinit(cache)
        code, err = kmount(opts=f"sec=krb5,cruid={uid}",
                           env={"KRB5CCNAME": "FILE:" + str(tmp_path / "none")}).fail()
        assert code != 0 and f"{cache} is not owned by uid {uid}" in one_line(err)
        # The user's own (Heimdal opens only caches of its effective user:
        # the daemon reads a copy, so the user's file is left as it was).
        os.chown(cache, uid, uid)
        m = kmount(opts=f"sec=krb5,cruid={uid}",
                   env={"KRB5CCNAME": "FILE:" + str(tmp_path / "none")}).start()
        with open(m.path("cruid.txt"), "w") as f:
            f.write("x")
        assert os.path.exists(os.path.join(dc.share_path(), "cruid.txt"))
        os.unlink(m.path("cruid.txt"))
        assert os.stat(cache).st_uid == uid
    finally:
        os.unlink(cache)


@pytest.mark.parametrize("vers,seal", [("3.1.1", False), ("3.1.1", True), ("3.0", False),
                                       ("3.0", True)])
def test_signing_and_sealing_with_kerberos_keys(dc, kmount, ccache, vers, seal):
    dc.kinit(ccache)
    opts = f"sec=krb5,vers={vers}" + (",seal" if seal else "")
    m = kmount(opts=opts, env={"KRB5CCNAME": "FILE:" + ccache}).start()
    name = f"sig{vers.replace('.', '')}{int(seal)}"
    data = os.urandom(300000)
    with open(m.path(name), "wb") as f:
        f.write(data)
    with open(m.path(name), "rb") as f:
        assert f.read() == data
    with open(os.path.join(dc.share_path(), name), "rb") as f:
        assert f.read() == data
    proto = {"3.1.1": "SMB3_11", "3.0": "SMB3_00"}[vers]
    rows = [r for r in sessions(dc) if r[0] == proto]
    assert rows, dc.smbstatus("-b")
    if seal:
        assert any(r[1].startswith("AES-") for r in rows), rows
    else:
        assert any(r[2].startswith(("AES-128-GMAC", "AES-128-CMAC")) for r in rows), rows
    os.unlink(m.path(name))


# ---- one clear line per cause ------------------------------------------------

def one_line(err):
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_error_no_ticket(dc, kmount, tmp_path):
    code, err = kmount(opts="sec=krb5",
                       env={"KRB5CCNAME": "FILE:" + str(tmp_path / "none")}).fail()
    assert code != 0
    assert "no ticket in the credential cache" in one_line(err)


def test_error_expired_ticket(dc, kmount, ccache):
    dc.kinit(ccache)
    ccfile.expire(ccache)
    code, err = kmount(opts="sec=krb5", env={"KRB5CCNAME": "FILE:" + ccache}).fail()
    assert code != 0
    line = one_line(err)
    assert "expired at" in line and "krbuser@TEST.LAN" in line


def test_error_wrong_spn(dc, kmount, ccache):
    dc.kinit(ccache)
    code, err = kmount(opts="sec=krb5,spn=cifs/nosuch.test.lan",
                       env={"KRB5CCNAME": "FILE:" + ccache}).fail()
    assert code != 0
    line = one_line(err)
    assert "does not know the service principal cifs/nosuch.test.lan@TEST.LAN" in line


def test_error_clock_skew(dc, kmount, ccache):
    dc.kinit(ccache)
    ccfile.set_kdc_offset(ccache, 3600)  # this client's clock one hour ahead
    code, err = kmount(opts="sec=krb5", env={"KRB5CCNAME": "FILE:" + ccache}).fail()
    assert code != 0
    assert "clock skew" in one_line(err)


def test_sec_krb5_never_falls_back(dc, kmount, tmp_path):
    cred = tmp_path / "cred"
    cred.write_text(f"username={dc.user}\npassword={dc.password}\ndomain={dc.domain}\n")
    os.chmod(cred, 0o600)
    code, err = kmount(opts=f"sec=krb5,credentials={cred}",
                       env={"KRB5CCNAME": "FILE:" + str(tmp_path / "none")}).fail()
    assert code != 0 and "no ticket" in err


# ---- no sec=: Kerberos with a ticket, else NTLMv2 ------------------------------

def test_default_without_ticket_is_ntlmv2(dc, kmount, tmp_path):
    cred = tmp_path / "cred"
    cred.write_text(f"username={dc.user}\npassword={dc.password}\n")
    os.chmod(cred, 0o600)
    none = str(tmp_path / "none")
    m = kmount(opts=f"credentials={cred},domain={dc.domain}",
               env={"KRB5CCNAME": "FILE:" + none}).start()
    file_ops(m, dc.share_path(), name="ntlm")
    assert not os.path.exists(none)


def test_default_with_ticket_is_kerberos(dc, kmount, ccache, tmp_path):
    dc.kinit(ccache)
    cred = tmp_path / "cred"  # a wrong password: only Kerberos can succeed
    cred.write_text(f"username={dc.user}\npassword=not-the-password\ndomain={dc.domain}\n")
    os.chmod(cred, 0o600)
    m = kmount(opts=f"credentials={cred}", env={"KRB5CCNAME": "FILE:" + ccache}).start()
    assert os.listdir(m.dir) is not None
    assert f"cifs/{dc.fqdn}@{dc.realm}" in dc.klist(ccache)


def test_default_kerberos_refused_falls_back_to_ntlmv2(dc, kmount, ccache, tmp_path):
    dc.kinit(ccache)
    cred = tmp_path / "cred"
    cred.write_text(f"username={dc.user}\npassword={dc.password}\ndomain={dc.domain}\n")
    os.chmod(cred, 0o600)
    # the ticket cannot get us in (no such service principal): NTLMv2 can
    m = kmount(opts=f"credentials={cred},spn=cifs/nosuch.test.lan",
               env={"KRB5CCNAME": "FILE:" + ccache}).start()
    file_ops(m, dc.share_path(), name="fallback")
    assert "trying NTLMv2" in m.stderr()


# ---- last: the readers across expiry ----------------------------------------------

def test_readers_across_ticket_expiry(expiry_runs):
    runs, t0 = expiry_runs
    # past the first expiry, with time for re-authentication and some reads
    while time.monotonic() - t0 < LIFETIME + 30:
        assert all(r.thread.is_alive() for r in runs.values())
        time.sleep(1)
    for r in runs.values():
        r.stop.set()
        r.thread.join(timeout=30)
    expired, stale, slow = runs["expired"], runs["stale"], runs["slowkdc"]
    for r in (expired, slow):
        assert not r.errors, (r.errors, r.m.stderr()[-20000:])
        assert r.reads > 100
    # the server said the session expired, and the renewed cache was used
    assert "session expired: re-authenticating" in expired.m.stderr(), expired.m.stderr()
    # the keytab's next ticket came before the end, and the 5 s KDC never
    # held up a read of the open file
    assert "renewed before it ran out" in slow.m.stderr(), slow.m.stderr()
    assert "session expired" not in slow.m.stderr(), slow.m.stderr()
    assert slow.slowest < 5.0, slow.slowest
    # Nobody renewed this one: reads worked until the ticket ran out, then
    # failed with EKEYEXPIRED, and one line named the cause.
    assert stale.reads > 100
    assert stale.failures, stale.m.stderr()[-3000:]
    assert {e for _, e in stale.failures} == {errno.EKEYEXPIRED}, stale.failures
    assert min(t for t, _ in stale.failures) > LIFETIME - 60
    lines = [x for x in stale.m.stderr().splitlines() if "re-authentication failed" in x]
    assert len(lines) == 1 and "expired at" in lines[0], stale.m.stderr()[-3000:]
