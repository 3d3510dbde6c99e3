"""multiuser against the Samba AD DC: one mount by root, one SMB session
per local user, each with that user's own Kerberos tickets
(/tmp/krb5cc_<uid>), the server deciding what each may do.

Local users are bare uids (no /etc/passwd entries needed: FUSE passes the
caller's uid): UID1 has krbuser's tickets, UID2 krbuser2's, UID3 none. A
file on the DC carries an NT ACL that lets only krbuser read it."""

import os
import re
import subprocess
import time

import pytest

from conftest import KMount

UID1, UID2, UID3 = 64001, 64002, 64003


def cache_path(uid):
    return f"/tmp/krb5cc_{uid}"


def give_ticket(dc, uid, user, owner=None):
    """A ticket cache for uid, as `kinit` run by that user leaves it."""
    path = cache_path(uid)
    dc.kinit(path, user=user)
    os.chown(path, owner if owner is not None else uid, owner if owner is not None else uid)
    os.chmod(path, 0o600)


def drop_ticket(uid):
    try:
        os.unlink(cache_path(uid))
    except FileNotFoundError:
        pass


def as_user(uid, *argv, input=None):
    """Run argv as uid (gid uid, no supplementary groups)."""
    return subprocess.run(list(argv), user=uid, group=uid, extra_groups=[], capture_output=True,
                          text=True, input=input, timeout=60, cwd="/")


def py_as(uid, code):
    """Python code run as uid; its stdout (stripped), or 'E<errno>' for an OSError."""
    wrapped = ("import os,sys\ntry:\n" + "".join("    " + l + "\n" for l in code.splitlines()) +
               "except OSError as e:\n    print('E%d' % e.errno)\n")
    r = as_user(uid, "/usr/bin/python3", "-c", wrapped)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def session_users(dc):
    """The user of each session the DC's smbd has (smbstatus -b): smbstatus
    run outside the DC names them by their unix ids."""
    return re.findall(r"^\s*\d+\s+(\S+)\s", dc.smbstatus("-b"), re.M)


def unix_id(dc, name):
    """The unix id the DC's smbd gives the user who made this file."""
    return str(os.stat(os.path.join(dc.share_path(), "mu", name)).st_uid)


def user_sid(dc, user):
    out = dc.samba_tool("user", "show", user, "--attributes=objectSid")
    return re.search(r"objectSid: (S-[0-9-]+)", out).group(1)


@pytest.fixture(scope="module")
def mu(dc):
    """The multiuser mount (its own credentials: UID1's cache, cruid=), a
    directory with a file only krbuser may read, and the users' caches."""
    base = os.path.join(dc.share_path(), "mu")
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o777)
    secret = os.path.join(base, "secret.txt")
    # (FA in SDDL gives samba-tool 0x1ff only, without READ_CONTROL and
    # SYNCHRONIZE, which every open asks for: the full mask is written out.)
    with open(secret, "w") as f:
        f.write("for krbuser only\n")
    os.chmod(secret, 0o644)
    sid1 = user_sid(dc, dc.user)
    dc.samba_tool("ntacl", "set", f"O:{sid1}G:DUD:P(A;;0x001f01ff;;;{sid1})(A;;0x001f01ff;;;SY)", secret,
                  "--use-s3fs", "--service=share")
    for uid in (UID1, UID2, UID3):
        drop_ticket(uid)
    give_ticket(dc, UID1, dc.user)
    give_ticket(dc, UID2, dc.user2)
    before = session_users(dc)
    m = KMount(dc, opts=f"multiuser,cruid={UID1}",
               env={"SMBFUSE_TEST_MULTIUSER_IDLE": "3"})
    os.chmod(m.dir, 0o755)  # other users must reach the mount point
    m.start()
    yield m, before
    m.stop()
    for uid in (UID1, UID2, UID3):
        drop_ticket(uid)


def test_each_user_sees_the_share_with_their_own_rights(dc, mu):
    m, before = mu
    secret = m.path("mu", "secret.txt")
    # UID1 (krbuser, the ACL's only reader) reads it; UID2 (krbuser2) may not.
    assert py_as(UID1, f"print(open({secret!r}).read(), end='')") == "for krbuser only"
    assert py_as(UID2, f"print(open({secret!r}).read(), end='')") == "E13"
    # Both list the directory and write files of their own there; the
    # server's disk shows two different owners, neither of them root.
    for uid, name in ((UID1, "by1.txt"), (UID2, "by2.txt")):
        path = m.path("mu", name)
        assert py_as(uid, f"open({path!r}, 'w').write('{uid}')\nprint('ok')") == "ok"
        assert "secret.txt" in py_as(uid, f"print(sorted(os.listdir({m.path('mu')!r})))")
    st1 = os.stat(os.path.join(dc.share_path(), "mu", "by1.txt"))
    st2 = os.stat(os.path.join(dc.share_path(), "mu", "by2.txt"))
    assert st1.st_uid != st2.st_uid and 0 not in (st1.st_uid, st2.st_uid)
    # The server has one session per user: the mount's own (krbuser, for
    # UID1) and UID2's (krbuser2).
    now = session_users(dc)
    for who in (str(st1.st_uid), str(st2.st_uid)):
        assert now.count(who) - before.count(who) == 1, (before, now)


def test_user_without_ticket_gets_eacces_never_the_mounters_identity(dc, mu):
    m, _ = mu
    secret = m.path("mu", "secret.txt")
    # The names UID1 looked up are in the kernel's and the daemon's caches:
    # UID3 still gets EACCES from the daemon for every by-name request.
    assert py_as(UID1, f"print(len(open({secret!r}).read()))") == "17"
    assert py_as(UID3, f"print(open({secret!r}).read())") == "E13"
    assert py_as(UID3, f"print(os.listdir({m.path('mu')!r}))") == "E13"
    assert py_as(UID3, f"open({m.path('mu', 'by3.txt')!r}, 'w')") == "E13"
    assert not os.path.exists(os.path.join(dc.share_path(), "mu", "by3.txt"))
    # A cache named for UID3 but made by someone else (root here; any
    # user can create /tmp/krb5cc_<uid> first) is not UID3's: refused.
    give_ticket(dc, UID3, dc.user, owner=0)
    time.sleep(2.1)  # past the retry interval of a refused user
    assert py_as(UID3, f"print(open({secret!r}).read())") == "E13"
    err = m.stderr()
    assert f"uid {UID3}: no Kerberos ticket cache" in err
    assert f"/tmp/krb5cc_{UID3} is not a file owned by uid {UID3}: not used" in err
    # Once UID3 has tickets of its own (krbuser2's here), it gets in at
    # its next request, with that user's rights.
    drop_ticket(UID3)
    give_ticket(dc, UID3, dc.user2)
    listing = py_as(UID3, f"print(sorted(os.listdir({m.path('mu')!r})))")
    assert "secret.txt" in listing
    assert py_as(UID3, f"print(open({secret!r}).read())") == "E13"
    drop_ticket(UID3)


def test_idle_sessions_are_logged_off_and_come_back(dc, mu):
    m, before = mu
    u1, u2 = unix_id(dc, "by1.txt"), unix_id(dc, "by2.txt")
    assert py_as(UID2, f"print(len(os.listdir({m.path('mu')!r})) > 0)") == "True"
    assert u2 in session_users(dc)
    # Idle for 3 s (SMBFUSE_TEST_MULTIUSER_IDLE), checked every 1.5 s.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if session_users(dc).count(u2) == before.count(u2):
            break
        time.sleep(0.5)
    assert session_users(dc).count(u2) == before.count(u2)
    assert f"uid {UID2}: idle for 3 s: logged off" in m.stderr()
    # The mount's own session stays; UID2's next request sets one up again.
    assert session_users(dc).count(u1) - before.count(u1) >= 1
    assert py_as(UID2, f"print(open({m.path('mu', 'by2.txt')!r}).read())") == str(UID2)


def test_multiuser_refusals_are_one_line(dc):
    for opts, why in (("multiuser,sec=ntlmssp", "multiuser needs Kerberos (sec=krb5)"),
                      ("multiuser,guest", "multiuser needs Kerberos (sec=krb5)")):
        code, err = KMount(dc, opts=opts).fail()
        assert code == 1 and why in err and len(err.strip().splitlines()) == 1, err
