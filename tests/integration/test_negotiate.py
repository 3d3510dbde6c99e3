"""Issue 2: dialect negotiation against real smbd, and hostile peers."""

import socket
import struct
import threading
import time

import pytest

from harness import probe

PINNED = [("SMB2_02", "2.0.2"), ("SMB2_10", "2.1"), ("SMB3_00", "3.0"), ("SMB3_02", "3.0.2"),
          ("SMB3_11", "3.1.1")]


def fields(out):
    return dict(l.split(": ", 1) for l in out.splitlines() if ": " in l)


@pytest.mark.parametrize("kind,dialect", PINNED)
def test_pinned_dialect_is_negotiated_exactly(servers, kind, dialect):
    s = servers.get(kind)
    r = probe("negotiate", f"//127.0.0.1:{s.port}", "-m", "2.0.2", "-M", "3.1.1", timeout=30)
    assert r.returncode == 0, r.stderr
    assert fields(r.stdout)["dialect"] == dialect


def test_default_picks_311_and_reports_algorithms(server):
    r = probe("negotiate", f"//127.0.0.1:{server.port}", timeout=30)
    assert r.returncode == 0, r.stderr
    f = fields(r.stdout)
    assert f["dialect"] == "3.1.1"
    assert f["cipher"] == "AES-128-GCM"  # Samba 4.17's first choice among ours
    assert f["signing"] == "AES-128-GMAC"
    assert f["preauth"] == "SHA-512"
    assert int(f["max_read"]) >= 65536
    assert len(f["server_guid"]) == 36
    assert f["server_time"].endswith("Z")


@pytest.mark.parametrize("kind,alg", [("enc-AES-256-GCM", "AES-256-GCM"),
                                      ("enc-AES-128-CCM", "AES-128-CCM")])
def test_reports_cipher_the_server_chose(servers, kind, alg):
    s = servers.get(kind)
    r = probe("negotiate", f"//127.0.0.1:{s.port}", timeout=30)
    assert r.returncode == 0, r.stderr
    assert fields(r.stdout)["cipher"] == alg


def test_range_excluding_server_fails_with_one_line(servers):
    s = servers.get("SMB2_10")
    r = probe("negotiate", f"//127.0.0.1:{s.port}", timeout=30)  # default 3.0-3.1.1
    assert r.returncode == 4
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "2.1" in lines[0] and "3.0-3.1.1" in lines[0]
    r = probe("negotiate", f"//127.0.0.1:{servers.get('SMB3_11').port}", "-M", "3.0.2",
              timeout=30)
    assert r.returncode == 4
    assert "3.1.1" in r.stderr and "3.0-3.0.2" in r.stderr


class BadPeer:
    """A listener that answers the first request with canned bytes."""

    def __init__(self, reply, close_after=True, delay=0):
        self.reply = reply
        self.close_after = close_after
        self.delay = delay
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        with c:
            c.recv(65536)
            time.sleep(self.delay)
            if self.reply:
                c.sendall(self.reply)
            if not self.close_after:
                time.sleep(30)

    def close(self):
        self.sock.close()


def negotiate_rsp(dialect=0x0311, ctx_count=1, ctx_off=0x80, ctx=None):
    """A NEGOTIATE response PDU with the given context area."""
    hdr = bytearray(64)
    hdr[0:4] = b"\xfeSMB"
    struct.pack_into("<HH", hdr, 4, 64, 1)
    struct.pack_into("<I", hdr, 16, 1)  # response
    body = bytearray(64)
    struct.pack_into("<HHHH", body, 0, 65, 1, dialect, ctx_count)
    struct.pack_into("<III", body, 24, 65536, 65536, 65536)
    struct.pack_into("<HHI", body, 56, 0, 0, ctx_off)
    pdu = bytes(hdr + body) + (ctx or b"")
    return struct.pack(">I", len(pdu)) + pdu


GARBAGE = {
    "garbage": (b"\x00\x00\x00\x10" + b"\x99" * 16, 3),
    "http": (b"HTTP/1.1 400 Bad Request\r\n\r\n", 3),
    "truncated-then-close": (b"\x00\x00\x01\x00\xfeSMB@\x00", 2),
    "oversized-frame": (b"\x00\xff\xff\xff" + b"\x00" * 64, 3),
    "close-immediately": (b"", 2),
    "contexts-overrun": (negotiate_rsp(ctx_count=3, ctx=struct.pack("<HHI", 1, 400, 0) + b"\x01"
                                       * 10), 3),
    "context-offset-past-end": (negotiate_rsp(ctx_off=0x1000), 3),
    "dialect-not-offered": (negotiate_rsp(dialect=0x0222), 3),
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_hostile_peer_gives_clear_error(name):
    reply, code = GARBAGE[name]
    peer = BadPeer(reply)
    t0 = time.monotonic()
    try:
        r = probe("negotiate", f"//127.0.0.1:{peer.port}", "-o", "timeout=5", timeout=30)
    finally:
        peer.close()
    assert time.monotonic() - t0 < 20
    assert r.returncode == code, (r.returncode, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("smbfuse-probe: ")
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr


def test_silent_peer_times_out():
    peer = BadPeer(b"", close_after=False)
    t0 = time.monotonic()
    try:
        r = probe("negotiate", f"//127.0.0.1:{peer.port}", "-o", "timeout=2", timeout=30)
    finally:
        peer.close()
    assert r.returncode == 10, r.stderr
    assert "timed out" in r.stderr or "TIMEOUT" in r.stderr
    assert time.monotonic() - t0 < 15
