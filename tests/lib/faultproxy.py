"""A framing-aware TCP proxy that injects connection faults.

It sits between an SMB client and a real server on loopback, like
proxy.Proxy (whose API it keeps: to_server/to_client frame hooks, port,
start/stop, a context manager), and splits both byte streams into
direct-TCP frames (MS-SMB2 2.1: one byte, 0 for SMB, and a 24-bit
big-endian length). On demand, or when a chosen frame arrives, it:

  cut()            closes both sides with a FIN (shutdown(SHUT_WR); what
                   either peer still sends is read and thrown away, so the
                   close does not turn into a reset)
  reset()          closes both sides with a RST (SO_LINGER 0, then close)
  stall(s)/stall() stops forwarding in both directions, sockets kept open
  resume()         (bytes queue up in the kernel's buffers); after s
                   seconds, or at resume(), every held frame goes on in order
  refuse_new(True) accepts new client connections and closes them at once:
                   a server that is down while the proxy's port stays up

A scripted fault fires when the n-th frame in one direction arrives:
cut_at(n) cuts the connection that frame came on, and the frame is dropped
(never forwarded). Frames are counted from the moment the fault is armed
across every connection (count="global"), or from the first frame of each
connection (count="connection"); once=True fires one time only, so the
client's reconnection is left alone.

After a fault the proxy accepts new connections on the same port: the
client reconnects to where it was. Counters: accepted, refused,
upstream_failures, frames_c2s, frames_s2c, bytes_c2s, bytes_s2c, and a
record of the faults applied (faults).

Everything runs on one asyncio loop in a background thread; the public
methods may be called from any thread and return once the fault is in
effect (cut() returns once both FINs are sent).
"""

import asyncio
import socket
import struct
import threading
import time

from smbserver import free_port

ACTIONS = ("cut", "reset", "stall")


class Conn:
    """One proxied client connection."""

    def __init__(self, cid, csock, client_port):
        self.id = cid
        self.csock = csock
        self.ssock = None
        self.client_port = client_port  # the client's port, as the proxy sees it
        self.upstream_port = None  # the proxy's port toward the server (what smbd sees)
        self.frames_c2s = 0
        self.frames_s2c = 0
        self.bytes_c2s = 0
        self.bytes_s2c = 0
        self.state = "connecting"  # open, closed, cut, reset
        self.stall_exempt = False
        self.serve_task = None
        self.to_client_lock = asyncio.Lock()
        self.opened = time.monotonic()

    def snapshot(self):
        return {k: getattr(self, k) for k in (
            "id", "client_port", "upstream_port", "frames_c2s", "frames_s2c", "bytes_c2s",
            "bytes_s2c", "state")}


class Trigger:
    """A fault armed for the n-th frame; fired is a threading.Event."""

    def __init__(self, n, action, count, direction, once, seconds):
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} not in {ACTIONS}")
        if count not in ("global", "connection"):
            raise ValueError("count is 'global' or 'connection'")
        if direction not in ("c2s", "s2c"):
            raise ValueError("direction is 'c2s' or 's2c'")
        if n < 1:
            raise ValueError("frames are counted from 1")
        self.n = n
        self.action = action
        self.count = count
        self.direction = direction
        self.once = once
        self.seconds = seconds
        self.seen = 0
        self.active = True
        self.fired = threading.Event()
        self.fired_on = []  # connection ids

    def matches(self, conn, direction):
        if not self.active or direction != self.direction:
            return False
        if self.count == "global":
            self.seen += 1
            hit = self.seen == self.n
        else:
            hit = (conn.frames_c2s if direction == "c2s" else conn.frames_s2c) == self.n
        if hit:
            self.fired_on.append(conn.id)
            if self.once:
                self.active = False
        return hit


class FaultProxy:
    def __init__(self, server_host, server_port, to_server=None, to_client=None,
                 host="127.0.0.1", port=None):
        self.server = (server_host, server_port)
        self.to_server = to_server or (lambda f: f)
        self.to_client = to_client or (lambda f: f)
        self.host = host
        self.port = port or free_port(host)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True, name="faultproxy")
        self.started = threading.Event()
        self._lock = threading.Lock()
        self.conns = []  # every connection ever accepted and forwarded
        self.triggers = []
        self.faults = []  # (monotonic time, kind, connection id or None)
        self._refusing = False
        self._stall_handle = None
        self._stall_new = True
        self.reset_counters()

    # ---- counters ----------------------------------------------------
    def reset_counters(self):
        self.accepted = 0  # every connection accepted, refused ones included
        self.refused = 0
        self.upstream_failures = 0  # accepted, but the server could not be reached
        self.frames_c2s = 0
        self.frames_s2c = 0
        self.bytes_c2s = 0
        self.bytes_s2c = 0

    @property
    def frames_to_client(self):  # proxy.Proxy's name
        return self.frames_s2c

    def live(self):
        """Snapshots of the connections currently forwarding."""
        with self._lock:
            return [c.snapshot() for c in self.conns if c.state in ("connecting", "open")]

    def upstream_ports(self):
        """The proxy's ports toward the server for live connections (the
        client port smbd sees: kill_serving_child(client_port=...))."""
        return [c["upstream_port"] for c in self.live() if c["upstream_port"]]

    @property
    def stalled(self):
        return not self._flowing.is_set()

    # ---- lifecycle -----------------------------------------------------
    def _run(self):
        asyncio.set_event_loop(self.loop)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((self.host, self.port))
        self.lsock.listen(64)
        self.lsock.setblocking(False)
        self._accept_task = self.loop.create_task(self._accept_loop())
        self.started.set()
        self.loop.run_forever()

    def start(self):
        self.thread.start()
        if not self.started.wait(10):
            raise RuntimeError("faultproxy did not start")
        return self

    def stop(self):
        if not self.thread.is_alive():
            return

        async def _close():
            self._accept_task.cancel()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for c in self.conns:
                if c.state in ("connecting", "open"):
                    c.state = "closed"
                for sock in (c.csock, c.ssock):
                    if sock is not None:
                        sock.close()
            self.lsock.close()
            self.loop.stop()
        asyncio.run_coroutine_threadsafe(_close(), self.loop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- thread plumbing -----------------------------------------------
    def _in_loop(self, fn, *args, timeout=10):
        """Run fn (a coroutine function or a plain one) on the loop; wait
        for it unless we are the loop (a hook calling in)."""
        if threading.current_thread() is self.thread:
            r = fn(*args)
            if asyncio.iscoroutine(r):
                self.loop.create_task(r)
            return None

        async def call():
            r = fn(*args)
            if asyncio.iscoroutine(r):
                r = await r
            return r
        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    # ---- faults, on demand ---------------------------------------------
    def cut(self):
        """FIN both sides of every live connection; returns the number cut."""
        return self._in_loop(self._fault_all, "cut")

    def reset(self):
        """RST both sides of every live connection; returns the number reset."""
        return self._in_loop(self._fault_all, "reset")

    def stall(self, seconds=None, new_connections=True):
        """Stop forwarding (both directions) until resume(), or for seconds.
        new_connections=False lets connections made during the stall pass."""
        self._in_loop(self._stall, seconds, new_connections)

    def resume(self):
        self._in_loop(self._resume)

    def refuse_new(self, refuse=True):
        self._refusing = bool(refuse)
        self.faults.append((time.monotonic(), f"refuse_new={self._refusing}", None))

    # ---- faults, scripted ----------------------------------------------
    def at_frame(self, n, action="cut", count="global", direction="c2s", once=True,
                 seconds=None):
        """Arm a fault for the n-th frame (from 1) in direction; returns the
        Trigger (trigger.fired.wait(t)). cut/reset drop that frame and end
        its connection; stall holds it (for seconds, or until resume())."""
        t = Trigger(n, action, count, direction, once, seconds)
        self._in_loop(self.triggers.append, t)
        return t

    def cut_at(self, n, **kw):
        return self.at_frame(n, "cut", **kw)

    def reset_at(self, n, **kw):
        return self.at_frame(n, "reset", **kw)

    def stall_at(self, n, seconds=None, **kw):
        return self.at_frame(n, "stall", seconds=seconds, **kw)

    def disarm(self):
        def clear():
            for t in self.triggers:
                t.active = False
            self.triggers.clear()
        self._in_loop(clear)

    # ---- implementation (loop thread) ----------------------------------
    def _stall(self, seconds, new_connections):
        if self._stall_handle is not None:
            self._stall_handle.cancel()
            self._stall_handle = None
        self._stall_new = new_connections
        self._flowing.clear()
        self.faults.append((time.monotonic(), f"stall {seconds}", None))
        if seconds is not None:
            self._stall_handle = self.loop.call_later(seconds, self._resume)

    def _resume(self):
        if self._stall_handle is not None:
            self._stall_handle.cancel()
            self._stall_handle = None
        if not self._flowing.is_set():
            self.faults.append((time.monotonic(), "resume", None))
        self._flowing.set()
        for c in self.conns:
            c.stall_exempt = False

    async def _fault_all(self, how):
        victims = [c for c in self.conns if c.state in ("connecting", "open")]
        await asyncio.gather(*(self._fault(c, how) for c in victims))
        return len(victims)

    def _begin_fault(self, conn, how):
        """Mark conn as ended by a fault (from now on nothing more is
        forwarded on it); returns the task that closes its sockets."""
        if conn.state not in ("connecting", "open"):
            return None
        conn.state = how
        self.faults.append((time.monotonic(), how, conn.id))
        return self.loop.create_task(self._finish_fault(conn, how))

    async def _fault(self, conn, how):
        t = self._begin_fault(conn, how)
        if t is not None:
            await t

    async def _finish_fault(self, conn, how):
        """End a connection with a FIN (cut) or a RST (reset) on both sides."""
        if conn.serve_task is not None and not conn.serve_task.done():
            conn.serve_task.cancel()
            await asyncio.gather(conn.serve_task, return_exceptions=True)
        socks = [s for s in (conn.csock, conn.ssock) if s is not None]
        if how == "reset":
            for s in socks:
                _linger0(s)
                s.close()
            return
        for s in socks:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        self.loop.create_task(self._drain_and_close(socks))

    async def _drain_and_close(self, socks):
        """Read and drop what the peers still send until they close too, so
        that closing our ends sends no RST (Linux resets a socket closed
        with unread data)."""
        async def drain(s):
            try:
                while await self.loop.sock_recv(s, 65536):
                    pass
            except OSError:
                pass
        try:
            await asyncio.wait_for(asyncio.gather(*(drain(s) for s in socks)), 5)
        except asyncio.TimeoutError:
            pass
        for s in socks:
            s.close()

    async def _accept_loop(self):
        cid = 0
        while True:
            try:
                csock, addr = await self.loop.sock_accept(self.lsock)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            self.accepted += 1
            if self._refusing:
                self.refused += 1
                csock.close()
                continue
            cid += 1
            conn = Conn(cid, csock, addr[1])
            conn.stall_exempt = not self._flowing.is_set() and not self._stall_new
            with self._lock:
                self.conns.append(conn)
            conn.serve_task = self.loop.create_task(self._serve(conn))

    async def _serve(self, conn):
        csock = conn.csock
        csock.setblocking(False)
        ssock = socket.socket(socket.AF_INET6 if ":" in self.server[0] else socket.AF_INET,
                              socket.SOCK_STREAM)
        ssock.setblocking(False)
        conn.ssock = ssock
        try:
            await asyncio.wait_for(self.loop.sock_connect(ssock, self.server), 10)
        except (OSError, asyncio.TimeoutError):
            self.upstream_failures += 1  # the server is down: so is this connection
            conn.state = "closed"
            csock.close()
            ssock.close()
            return
        conn.upstream_port = ssock.getsockname()[1]
        for s in (csock, ssock):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.state = "open"
        pumps = [self.loop.create_task(self._pump(conn, csock, ssock, "c2s")),
                 self.loop.create_task(self._pump(conn, ssock, csock, "s2c"))]
        try:
            results = await asyncio.gather(*pumps, return_exceptions=True)
        except asyncio.CancelledError:  # a fault, or stop()
            for t in pumps:
                t.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            raise
        if conn.state != "open":
            return  # a fault owns the sockets
        conn.state = "closed"
        if any(isinstance(r, ConnectionResetError) for r in results):
            for s in (csock, ssock):  # a reset is passed on as a reset
                _linger0(s)
        csock.close()
        ssock.close()

    def _count(self, conn, direction, nbytes):
        if direction == "c2s":
            conn.frames_c2s += 1
            conn.bytes_c2s += nbytes
            self.frames_c2s += 1
            self.bytes_c2s += nbytes
        else:
            conn.frames_s2c += 1
            conn.bytes_s2c += nbytes
            self.frames_s2c += 1
            self.bytes_s2c += nbytes

    async def _pump(self, conn, src, dst, direction):
        """Forward frames src -> dst. Ends at EOF (passed on as a FIN toward
        dst, the other direction goes on), raises on a socket error."""
        hook = self.to_server if direction == "c2s" else self.to_client
        buf = bytearray()
        loop = self.loop
        while True:
            while len(buf) >= 4:
                n = int.from_bytes(buf[1:4], "big")
                if len(buf) < 4 + n:
                    break
                kind = buf[0]
                frame = bytes(buf[4:4 + n])
                del buf[:4 + n]
                self._count(conn, direction, n + 4)
                for t in list(self.triggers):
                    if t.matches(conn, direction):
                        if not t.active and t in self.triggers:
                            self.triggers.remove(t)
                        t.fired.set()
                        if t.action == "stall":
                            self._stall(t.seconds, True)
                        else:  # the frame is dropped, the connection ends
                            self._begin_fault(conn, t.action)
                            return
                while not self._flowing.is_set() and not conn.stall_exempt:
                    await self._flowing.wait()
                if conn.state != "open":
                    return
                out = hook(frame)
                if out is None:
                    continue
                if out is frame:
                    hdr = bytes([kind]) + n.to_bytes(3, "big")
                else:
                    hdr = bytes([kind]) + len(out).to_bytes(3, "big")
                if direction == "s2c":
                    async with conn.to_client_lock:
                        await loop.sock_sendall(dst, hdr + out)
                else:
                    await loop.sock_sendall(dst, hdr + out)
            data = await loop.sock_recv(src, 262144)
            if not data:
                if buf:
                    self.faults.append((time.monotonic(), f"eof mid-frame {direction}",
                                        conn.id))
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            buf += data

    # ---- proxy.Proxy compatibility -------------------------------------
    def send_to_client(self, frame, conn=None):
        """Inject a frame toward the client of conn (default: the newest
        live connection); from a hook or from any thread. It is queued
        behind whatever frame toward the client is being sent."""
        live = [c for c in self.conns if c.state == "open"]
        c = conn or (live[-1] if live else None)
        if c is None:
            raise RuntimeError("no live connection")
        data = struct.pack(">I", len(frame)) + frame

        async def send():
            async with c.to_client_lock:
                await self.loop.sock_sendall(c.csock, data)
        self._in_loop(send)


def _linger0(s):
    """Make close() send a RST."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
