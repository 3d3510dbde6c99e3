#!/usr/bin/python3
"""make_conn_seeds.py - seeds for fuzz_conn: scripted server answers to
the requests fuzz_conn.c leaves pending (MessageIds in the order it
submits them: ECHO 1, READ on the signing session 2, a compound on it
3-5, READ on the sealing session 6, SESSION_SETUP 7, WRITE on the plain
session 8, a large READ that waits for credits 9). Each seed is records
of [mode][len lo][len hi][bytes]; see fuzz_conn.c for the modes.

    tests/fuzz/make_conn_seeds.py tests/fuzz/corpus/conn
"""
import os
import struct
import sys

ECHO, CREATE, READ, WRITE, SESSION_SETUP, OPLOCK_BREAK = 13, 5, 8, 9, 1, 18
SIGN, SEAL, NONE = 0x11, 0x22, 0x33
PENDING, SUCCESS, ACCESS_DENIED, MORE_PROC = 0x103, 0, 0xC0000022, 0xC0000016
RSP, ASYNC, RELATED = 0x1, 0x2, 0x4


def hdr(cmd, mid, sid=0, status=SUCCESS, credits=8, flags=RSP, nxt=0, async_id=None):
    h = b"\xfeSMB" + struct.pack("<HHIHHII", 64, 1, status, cmd, credits,
                                  flags | (ASYNC if async_id is not None else 0), nxt)
    h += struct.pack("<Q", mid)
    h += struct.pack("<Q", async_id) if async_id is not None else struct.pack("<II", 0, 1)
    return h + struct.pack("<Q", sid) + bytes(16)


def echo():
    return struct.pack("<HH", 4, 0)


def error():
    return struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"


def read(data):
    return struct.pack("<HBBIII", 17, 0x50, 0, len(data), 0, 0) + data


def write(n):
    return struct.pack("<HHIIHH", 17, 0, n, 0, 0, 0)


def create():
    body = struct.pack("<HBBI", 89, 0, 0, 1) + bytes(32) + struct.pack("<QQI", 0, 0, 0x20)
    body += struct.pack("<I", 0) + struct.pack("<QQ", 7, 8) + struct.pack("<II", 0, 0)
    return body


def session_setup():
    return struct.pack("<HHHH", 9, 0, 72, 0)


def pad8(b):
    return b + bytes(-len(b) % 8)


def chain(*pdus):
    """A compound: NextCommand of each but the last is its 8-aligned size."""
    out = b""
    for i, p in enumerate(pdus):
        if i < len(pdus) - 1:
            p = pad8(p)
            p = p[:20] + struct.pack("<I", len(p)) + p[24:]
        out += p
    return out


def rec(mode, b):
    return struct.pack("<BH", mode, len(b)) + b


seeds = {
    "echo": rec(4, hdr(ECHO, 1) + echo()),
    "read-signed": rec(1 | 4, hdr(READ, 2, SIGN) + read(b"signed data")),
    "read-forged-sid0": rec(4, hdr(READ, 2, 0) + read(b"forged")),
    "read-forged-unsigned": rec(4, hdr(READ, 2, SIGN) + read(b"forged")),
    "interim-then-final": rec(4, hdr(READ, 2, SIGN, PENDING, 1, async_id=77) + error())
    + rec(1 | 4, hdr(READ, 2, SIGN, async_id=77) + read(b"late")),
    "compound-signed": rec(1 | 4, chain(hdr(CREATE, 3, SIGN) + create(),
                                        hdr(CREATE, 4, SIGN, flags=RSP | RELATED) + create(),
                                        hdr(CREATE, 5, SIGN, flags=RSP | RELATED) + create())),
    "compound-split": rec(1, hdr(CREATE, 3, SIGN) + create())
    + rec(1 | 4, chain(hdr(CREATE, 4, SIGN, ACCESS_DENIED) + error(),
                       hdr(CREATE, 5, SIGN, ACCESS_DENIED) + error())),
    "read-sealed": rec(2 | 4, hdr(READ, 6, SEAL) + read(b"sealed data")),
    "read-sealed-clear": rec(4, hdr(READ, 6, SEAL) + read(b"clear")),
    "session-setup": rec(4, hdr(SESSION_SETUP, 7, 0x44, MORE_PROC) + session_setup()),
    "write-plain": rec(4, hdr(WRITE, 8, NONE) + write(49)),
    "credits-then-waiting": rec(1 | 4, hdr(READ, 2, SIGN, credits=64) + read(b"x"))
    + rec(1 | 4, hdr(READ, 9, SIGN) + read(b"after the wait")),
    "break": rec(4, hdr(OPLOCK_BREAK, 0xFFFFFFFFFFFFFFFF, 0, credits=0)
                 + struct.pack("<HBBI", 24, 1, 0, 0) + bytes(16)),
    "cancel-then-answer": rec(8 | 4, b"\x02") + rec(8, b"\x08")
    + rec(1 | 4, hdr(READ, 2, SIGN, 0xC0000120) + error()),
    "all": b"".join([
        rec(4, hdr(ECHO, 1) + echo()),
        rec(1, hdr(READ, 2, SIGN) + read(b"a")),
        rec(1, chain(hdr(CREATE, 3, SIGN) + create(),
                     hdr(CREATE, 4, SIGN, flags=RSP | RELATED) + create(),
                     hdr(CREATE, 5, SIGN, flags=RSP | RELATED) + create())),
        rec(2, hdr(READ, 6, SEAL) + read(b"b")),
        rec(4, hdr(SESSION_SETUP, 7, 0x44) + session_setup()),
        rec(4, hdr(WRITE, 8, NONE) + write(49)),
        rec(1 | 4, hdr(READ, 9, SIGN) + read(b"c")),
    ]),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "conn")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
