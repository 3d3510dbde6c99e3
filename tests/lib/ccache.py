"""Edit Kerberos FILE credential caches (format version 4, as Heimdal and
MIT write them) for error tests: make every ticket look expired, or record
a KDC clock offset in the header (the DeltaTime tag, which Heimdal applies
to the requests it makes with the cache: a skewed client clock without
touching the machine's clock).

Format: a big-endian u16 version (0x0504), a u16 header length and tags
(tag 1 = DeltaTime: s32 seconds, s32 microseconds), the default
principal, then credentials: client and server principals, keyblock,
times (authtime, starttime, endtime, renew_till, u32 each), is_skey,
flags, addresses, authdata, ticket, second ticket.
"""

import struct


class _Reader:
    def __init__(self, data, pos=0):
        self.d = data
        self.p = pos

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError("truncated credential cache")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def data(self):
        return self.take(self.u32())

    def principal(self):
        self.u32()  # name type
        n = self.u32()
        self.data()  # realm
        for _ in range(n):
            self.data()


def _body_start(d):
    if d[:2] != b"\x05\x04":
        raise ValueError("not a version 4 credential cache")
    hlen = struct.unpack(">H", d[2:4])[0]
    return 4 + hlen


def _creds(d):
    """(offset of the times block) for each credential."""
    r = _Reader(d, _body_start(d))
    r.principal()  # default principal
    out = []
    while r.p < len(d):
        r.principal()  # client
        r.principal()  # server
        r.u16()  # enctype
        r.data()  # key
        out.append(r.p)
        r.take(16)  # authtime starttime endtime renew_till
        r.u8()  # is_skey
        r.u32()  # flags
        for _ in range(r.u32()):  # addresses
            r.u16()
            r.data()
        for _ in range(r.u32()):  # authdata
            r.u16()
            r.data()
        r.data()  # ticket
        r.data()  # second ticket
    return out


def expire(path, seconds_ago=3600):
    """Make every credential in the cache end seconds_ago in the past."""
    import time
    with open(path, "rb") as f:
        d = bytearray(f.read())
    now = int(time.time())
    for off in _creds(bytes(d)):
        auth, start, end, renew = struct.unpack(">IIII", d[off:off + 16])
        if end == 0:  # configuration entries carry no times
            continue
        end = now - seconds_ago
        d[off:off + 16] = struct.pack(">IIII", end - 7200, end - 7200, end, 0)
    with open(path, "wb") as f:
        f.write(d)


def set_kdc_offset(path, seconds):
    """Record a client-to-KDC clock offset (the DeltaTime header tag)."""
    with open(path, "rb") as f:
        d = f.read()
    body = d[_body_start(d):]
    tag = struct.pack(">HHii", 1, 8, seconds, 0)
    with open(path, "wb") as f:
        f.write(b"\x05\x04" + struct.pack(">H", len(tag)) + tag + body)
