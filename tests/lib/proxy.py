"""A framing-aware TCP proxy for tampering tests.

Sits between a client and a real server on loopback, splits the byte
streams into direct-TCP frames (MS-SMB2 2.1: a zero byte and a 24-bit
big-endian length) and passes every frame through a hook that may rewrite
it. Runs its own asyncio loop in a background thread.
"""

import asyncio
import struct
import threading

from smbserver import free_port

SMB2_MAGIC = b"\xfeSMB"


def frame_header(pdu):
    """(command, flags, status, message_id) of the first SMB2 header in a
    frame, or None for non-SMB2 (e.g. encrypted) frames."""
    if len(pdu) < 64 or pdu[:4] != SMB2_MAGIC:
        return None
    status, command = struct.unpack_from("<IH", pdu, 8)
    flags, = struct.unpack_from("<I", pdu, 16)
    mid, = struct.unpack_from("<Q", pdu, 24)
    return command, flags, status, mid


class Proxy:
    """to_server(frame) and to_client(frame) hooks return the frame to
    forward (bytes) or None to drop it."""

    def __init__(self, server_host, server_port, to_server=None, to_client=None):
        self.server = (server_host, server_port)
        self.to_server = to_server or (lambda f: f)
        self.to_client = to_client or (lambda f: f)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()
        self.frames_to_client = 0

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.srv = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port))
        self.started.set()
        self.loop.run_forever()

    async def _pump(self, reader, writer, hook, count=False):
        try:
            while True:
                hdr = await reader.readexactly(4)
                n = struct.unpack(">I", hdr)[0] & 0xFFFFFF
                body = await reader.readexactly(n)
                if count:
                    self.frames_to_client += 1
                out = hook(body)
                if out is None:
                    continue
                writer.write(struct.pack(">I", len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def send_to_client(self, frame):
        """Inject a frame toward the client (from inside a hook, which runs
        on the proxy's loop)."""
        self.cwriter.write(struct.pack(">I", len(frame)) + frame)

    async def _client(self, creader, cwriter):
        self.cwriter = cwriter
        try:
            sreader, swriter = await asyncio.open_connection(*self.server)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(
            self._pump(creader, swriter, self.to_server),
            self._pump(sreader, cwriter, self.to_client, count=True))

    def start(self):
        self.thread.start()
        self.started.wait(10)
        return self

    def stop(self):
        async def _close():
            self.srv.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()
        asyncio.run_coroutine_threadsafe(_close(), self.loop)
        self.thread.join(5)
        self.loop.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- tampering helpers -------------------------------------------------

NEGOTIATE = 0
SIGNED = 0x8


def is_negotiate_response(frame):
    h = frame_header(frame)
    return h is not None and h[0] == NEGOTIATE and h[1] & 1


def set_negotiate_dialect(frame, dialect):
    """Rewrite DialectRevision in a NEGOTIATE response."""
    b = bytearray(frame)
    struct.pack_into("<H", b, 64 + 4, dialect)
    return bytes(b)


def clear_signing_required(frame):
    b = bytearray(frame)
    mode, = struct.unpack_from("<H", b, 64 + 2)
    struct.pack_into("<H", b, 64 + 2, mode & ~0x2)
    return bytes(b)


def drop_negotiate_contexts(frame):
    """Remove every negotiate context except pre-auth integrity (so the
    client sees no cipher/signing choice) by rewriting the count and
    truncating after the first context."""
    b = bytearray(frame)
    off, = struct.unpack_from("<I", b, 64 + 60)
    count, = struct.unpack_from("<H", b, 64 + 6)
    if count <= 1 or off + 8 > len(b):
        return frame
    first_len, = struct.unpack_from("<H", b, off + 2)
    struct.pack_into("<H", b, 64 + 6, 1)
    return bytes(b[:off + 8 + first_len])


class FlipBitInSigned:
    """Flip one bit in the body of the n-th signed response from the
    server (counting from 1)."""

    def __init__(self, nth=1, command=None):
        self.nth = nth
        self.command = command
        self.seen = 0
        self.flipped = False

    def __call__(self, frame):
        h = frame_header(frame)
        if h is None or not (h[1] & SIGNED) or self.flipped:
            return frame
        if self.command is not None and h[0] != self.command:
            return frame
        self.seen += 1
        if self.seen != self.nth or len(frame) <= 66:
            return frame
        b = bytearray(frame)
        b[len(b) - 1] ^= 0x01
        self.flipped = True
        return bytes(b)
