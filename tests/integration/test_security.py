"""Issue 3: signing with each algorithm, tamper detection, encryption with
each cipher (checked on the wire), and downgrade refusal."""

import os
import re
import struct

import pytest

from harness import Capture, probe
from proxy import (FlipBitInSigned, Proxy, clear_signing_required, drop_negotiate_contexts,
                   is_negotiate_response, set_negotiate_dialect)

SIGNING = [("sign-HMAC-SHA256", "HMAC-SHA256", "3.1.1"),
           ("sign-AES-128-CMAC", "AES-128-CMAC", "3.1.1"),
           ("sign-AES-128-GMAC", "AES-128-GMAC", "3.1.1"),
           ("signing-mandatory", "HMAC-SHA256", "2.1"),
           ("signing-mandatory", "AES-128-CMAC", "3.0")]


def stats(stderr):
    m = re.search(r"^stats: (.*)$", stderr, re.M)
    assert m, stderr
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def trace(stderr):
    """(direction, command, flags) for each traced message, leaving out
    interim STATUS_PENDING responses: the server does not sign those and
    the client does not verify them (MS-SMB2 3.2.5.1.3)."""
    out = []
    for m in re.finditer(r" ([<>]) ([A-Z_]+) mid=\d+ (.*?)flags=0x([0-9a-f]+)", stderr):
        if "status=STATUS_PENDING" in m.group(3):
            continue
        out.append((m.group(1), m.group(2), int(m.group(4), 16)))
    return out


@pytest.mark.parametrize("kind,alg,vers", SIGNING)
def test_every_message_signed_and_verified(servers, kind, alg, vers, tmp_path):
    s = servers.get(kind)
    c = s.credentials_file()
    r = probe("negotiate", f"//127.0.0.1:{s.port}", "-m", vers, "-M", vers)
    assert f"signing: {alg}" in r.stdout
    src = tmp_path / "f"
    src.write_bytes(os.urandom(300000))
    r = probe("put", str(src), s.unc("share", "signed.bin"), "-o", f"credentials={c},vers={vers}",
              "-d")
    assert r.returncode == 0, r.stderr
    st = stats(r.stderr)
    assert st["signing"] == 1 and st["sealing"] == 0
    msgs = trace(r.stderr.split("\nstats:")[0])  # what the counters cover
    # After the last SESSION_SETUP response every request is signed and every
    # response carried a signature that verified.
    last_setup = max(i for i, m in enumerate(msgs) if m[1] == "SESSION_SETUP")
    after = msgs[last_setup + 1:]
    sent = [m for m in after if m[0] == ">"]
    recv = [m for m in after if m[0] == "<"]
    assert sent and all(m[2] & 0x8 for m in sent), sent
    assert recv and all(m[2] & 0x8 for m in recv), recv
    assert st["signed_sent"] >= len(sent) and st["verified"] >= len(recv)


def test_flipped_bit_in_signed_response_is_rejected(server, cred):
    flip = FlipBitInSigned(nth=2)  # a response after session setup
    with Proxy("127.0.0.1", server.port, to_client=flip) as px:
        r = probe("ls", f"//127.0.0.1:{px.port}/share", "-o", f"credentials={cred}")
    assert flip.flipped
    assert r.returncode != 0
    assert "signature" in r.stderr


CIPHERS = ["AES-128-CCM", "AES-128-GCM", "AES-256-CCM", "AES-256-GCM"]


@pytest.mark.parametrize("cipher", CIPHERS)
def test_seal_round_trip_and_wire_is_opaque(servers, cipher, tmp_path):
    s = servers.get(f"enc-{cipher}")
    c = s.credentials_file()
    marker = b"SMBFUSE-MARKER-" + cipher.encode() + b"-Z"
    data = (marker + os.urandom(1000)) * 10000  # ~10 MiB full of markers
    src = tmp_path / "src"
    src.write_bytes(data)
    back = tmp_path / "back"
    opts = f"credentials={c},seal"
    with Capture(s.port) as cap:
        r1 = probe("put", str(src), s.unc("encrypted", "sealed.bin"), "-o", opts, "-d")
        r2 = probe("get", s.unc("encrypted", "sealed.bin"), str(back), "-o", opts)
    assert r1.returncode == 0, r1.stderr
    assert r2.returncode == 0, r2.stderr
    assert back.read_bytes() == data
    st = stats(r1.stderr)
    assert st["sealing"] == 1 and st["encrypted_sent"] > 0 and st["decrypted"] > 0
    r = probe("negotiate", f"//127.0.0.1:{s.port}")
    assert f"cipher: {cipher}" in r.stdout
    # On the wire: nothing of the file, and no clear SMB2 header after the
    # session was set up (only the transform headers tshark cannot open).
    assert marker not in cap.raw()
    rows = cap.frames()
    # Each session (put, get) starts at a NEGOTIATE; after its last
    # SESSION_SETUP frame only transform frames (no clear command) follow.
    segments, cur = [], []
    for row in rows:
        if row[1] == "0" and cur and any(r[1] == "1" for r in cur):
            segments.append(cur)
            cur = []
        cur.append(row)
    segments.append(cur)
    assert len(segments) == 2, rows[:40]
    clear_after = []
    for seg in segments:
        last_setup = max(i for i, r in enumerate(seg) if r[1] == "1")
        clear_after += [(r[0], r[1]) for r in seg[last_setup + 1:] if r[1]]
    assert not clear_after, clear_after


def test_encrypted_share_is_sealed_without_asking(server, cred, tmp_path):
    src = tmp_path / "x"
    src.write_bytes(b"secret content")
    r = probe("put", str(src), server.unc("encrypted", "x"), "-o", f"credentials={cred}", "-d")
    assert r.returncode == 0, r.stderr
    assert stats(r.stderr)["sealing"] == 1


def test_encrypted_share_refuses_guest(server):
    r = probe("ls", server.unc("encrypted"), "-o", "guest")
    assert r.returncode != 0


# ---- downgrade --------------------------------------------------------

def tampered(server, cred, hook, vers=None):
    def to_client(frame):
        return hook(frame) if is_negotiate_response(frame) else frame
    opts = f"credentials={cred}" + (f",vers={vers}" if vers else "")
    with Proxy("127.0.0.1", server.port, to_client=to_client) as px:
        return probe("ls", f"//127.0.0.1:{px.port}/share", "-o", opts, timeout=60)


def test_untampered_proxy_works(server, cred):
    r = tampered(server, cred, lambda f: f)
    assert r.returncode == 0, r.stderr


def test_removed_negotiate_contexts_refused(server, cred):
    r = tampered(server, cred, drop_negotiate_contexts)
    assert r.returncode != 0
    assert "pre-auth integrity" in r.stderr


def test_dialect_lowered_to_30_refused(server, cred):
    r = tampered(server, cred, lambda f: set_negotiate_dialect(f, 0x0300))
    assert r.returncode != 0, r.stdout


def test_dialect_lowered_to_21_refused(server, cred):
    r = tampered(server, cred, lambda f: set_negotiate_dialect(f, 0x0210))
    assert r.returncode == 3
    assert "outside the allowed range" in r.stderr


def test_signing_required_cleared_refused_311(servers):
    s = servers.get("signing-mandatory")
    r = tampered(s, s.credentials_file(), clear_signing_required)
    assert r.returncode != 0
    assert "pre-auth integrity" in r.stderr


def test_signing_required_cleared_refused_30(servers):
    s = servers.get("signing-mandatory")
    r = tampered(s, s.credentials_file(), clear_signing_required, vers="3.0")
    assert r.returncode != 0
    assert "validation failed" in r.stderr
