"""The fault-injection infrastructure itself: faultproxy.FaultProxy (cut,
reset, stall, refuse_new, faults at the n-th frame, counters) and
SmbServer's kill_serving_child() and restart(). Shown with plain sockets
against a framed echo server, and with smbclient against a real smbd; no
smbfuse involved, so these pass whatever state the engine is in."""

import os
import socket
import struct
import subprocess
import threading
import time

import pytest

from faultproxy import FaultProxy
from smbserver import SmbServer, pid_alive

# ---- plain sockets: a framed echo server ----------------------------------


class EchoServer:
    """Echoes every direct-TCP frame back; remembers what each connection
    sent and how it ended ('eof' or 'reset')."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.conns = []  # [{"frames": [...], "end": None}]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            rec = {"frames": [], "end": None}
            with self.lock:
                self.conns.append(rec)
            threading.Thread(target=self._serve, args=(s, rec), daemon=True).start()

    def _serve(self, s, rec):
        try:
            while True:
                hdr = recv_exact(s, 4)
                if hdr is None:
                    rec["end"] = "eof"
                    return
                body = recv_exact(s, int.from_bytes(hdr[1:], "big"))
                rec["frames"].append(body)
                s.sendall(hdr + body)
        except ConnectionResetError:
            rec["end"] = "reset"
        finally:
            s.close()

    def close(self):
        self.lsock.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def client(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(5)
    return s


def echo(s, payload):
    s.sendall(frame(payload))
    hdr = recv_exact(s, 4)
    assert hdr is not None, "connection closed instead of an echo"
    return recv_exact(s, int.from_bytes(hdr[1:], "big"))


def how_closed(s, timeout=5):
    """'fin' (orderly EOF) or 'rst' for a socket the far end closes."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return "fin"
    except ConnectionResetError:
        return "rst"


def wait_until(pred, timeout=10, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


@pytest.fixture
def echo_px():
    up = EchoServer()
    px = FaultProxy("127.0.0.1", up.port).start()
    yield up, px
    px.stop()
    up.close()


def test_forwards_and_counts(echo_px):
    up, px = echo_px
    s = client(px.port)
    for i in range(3):
        assert echo(s, b"frame%d" % i * 100) == b"frame%d" % i * 100
    big = os.urandom(1 << 20)  # one frame larger than any single recv
    assert echo(s, big) == big
    s.close()
    assert px.accepted == 1
    assert px.frames_c2s == 4 and px.frames_s2c == 4
    assert px.bytes_c2s == px.bytes_s2c == 3 * 4 + 3 * 600 + 4 + (1 << 20)
    assert [len(f) for f in up.conns[0]["frames"]] == [600, 600, 600, 1 << 20]
    assert wait_until(lambda: up.conns[0]["end"] == "eof")


def test_cut_is_a_fin_on_both_sides_and_new_connections_work(echo_px):
    up, px = echo_px
    s = client(px.port)
    assert echo(s, b"before") == b"before"
    assert px.cut() == 1
    assert how_closed(s) == "fin"
    assert wait_until(lambda: up.conns[0]["end"] == "eof")
    s2 = client(px.port)  # the same port takes the reconnection
    assert echo(s2, b"after") == b"after"
    assert px.accepted == 2
    assert [k for _, k, _ in px.faults] == ["cut"]
    s.close()
    s2.close()


def test_reset_is_a_rst_on_both_sides(echo_px):
    up, px = echo_px
    s = client(px.port)
    assert echo(s, b"before") == b"before"
    assert px.reset() == 1
    assert how_closed(s) == "rst"
    assert wait_until(lambda: up.conns[0]["end"] == "reset")
    s2 = client(px.port)
    assert echo(s2, b"after") == b"after"


def test_stall_holds_both_directions_until_resume(echo_px):
    up, px = echo_px
    s = client(px.port)
    assert echo(s, b"one") == b"one"
    px.stall()
    assert px.stalled
    s.sendall(frame(b"held"))
    s.settimeout(1.0)
    with pytest.raises(socket.timeout):
        s.recv(100)
    assert len(up.conns[0]["frames"]) == 1  # not even the server saw it
    new = client(px.port)  # connections made during a stall are stalled too
    new.sendall(frame(b"new"))
    time.sleep(0.5)
    assert len(up.conns) == 2 and up.conns[1]["frames"] == []
    px.resume()
    s.settimeout(5)
    assert recv_exact(s, 8) == frame(b"held")
    assert recv_exact(new, 7) == frame(b"new")
    assert echo(s, b"two") == b"two"  # and the connection lives on


def test_timed_stall_delays_by_its_seconds(echo_px):
    up, px = echo_px
    s = client(px.port)
    assert echo(s, b"warm") == b"warm"
    px.stall(1.5)
    t0 = time.monotonic()
    assert echo(s, b"late") == b"late"
    took = time.monotonic() - t0
    assert 1.4 <= took < 3.0, took
    assert not px.stalled


def test_stall_can_let_new_connections_pass(echo_px):
    up, px = echo_px
    old = client(px.port)
    assert echo(old, b"x") == b"x"
    px.stall(new_connections=False)
    new = client(px.port)
    assert echo(new, b"fresh") == b"fresh"
    old.sendall(frame(b"held"))
    old.settimeout(0.7)
    with pytest.raises(socket.timeout):
        old.recv(100)
    px.resume()
    old.settimeout(5)
    assert recv_exact(old, 8) == frame(b"held")


def test_refuse_new_accepts_and_closes_at_once(echo_px):
    up, px = echo_px
    live = client(px.port)
    assert echo(live, b"up") == b"up"
    px.refuse_new(True)
    s = client(px.port)
    assert how_closed(s) in ("fin", "rst")
    assert px.refused == 1 and px.accepted == 2
    assert len(up.conns) == 1  # the server never saw it
    assert echo(live, b"still") == b"still"  # only new connections are refused
    px.refuse_new(False)
    s2 = client(px.port)
    assert echo(s2, b"back") == b"back"


def test_server_down_closes_the_client_connection():
    px = FaultProxy("127.0.0.1", socket_port_nobody_listens_on()).start()
    try:
        s = client(px.port)
        assert how_closed(s) in ("fin", "rst")
        assert wait_until(lambda: px.upstream_failures == 1)
    finally:
        px.stop()


def socket_port_nobody_listens_on():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cut_at_drops_the_nth_frame_and_fires_once(echo_px):
    up, px = echo_px
    s = client(px.port)
    assert echo(s, b"0") == b"0"  # frames before arming do not count
    trig = px.cut_at(3)
    assert echo(s, b"1") == b"1"
    assert echo(s, b"2") == b"2"
    s.sendall(frame(b"3-dropped"))
    assert trig.fired.wait(5)
    assert how_closed(s) == "fin"
    assert up.conns[0]["frames"] == [b"0", b"1", b"2"]
    assert trig.fired_on == [1]
    s2 = client(px.port)  # once: the reconnection is left alone
    for i in range(5):
        assert echo(s2, b"r%d" % i) == b"r%d" % i


def test_cut_at_counts_across_connections(echo_px):
    up, px = echo_px
    trig = px.cut_at(3)  # count="global"
    a = client(px.port)
    assert echo(a, b"a1") == b"a1"
    b = client(px.port)
    assert echo(b, b"b1") == b"b1"
    b.sendall(frame(b"b2"))  # the third frame overall
    assert trig.fired.wait(5)
    assert how_closed(b) == "fin"
    assert echo(a, b"a2") == b"a2"  # the other connection is untouched


def test_fault_at_each_connections_nth_frame(echo_px):
    up, px = echo_px
    trig = px.reset_at(2, count="connection", once=False)
    for i in range(3):
        s = client(px.port)
        assert echo(s, b"first") == b"first"
        s.sendall(frame(b"second"))
        assert how_closed(s) == "rst"
    assert trig.fired_on == [1, 2, 3]
    assert all(c["frames"] == [b"first"] for c in up.conns)


def test_cut_at_a_server_frame(echo_px):
    up, px = echo_px
    s = client(px.port)
    trig = px.cut_at(2, direction="s2c")
    assert echo(s, b"1") == b"1"
    s.sendall(frame(b"2"))  # reaches the server; its answer is dropped
    assert trig.fired.wait(5)
    assert how_closed(s) == "fin"
    assert up.conns[0]["frames"] == [b"1", b"2"]


def test_stall_at_holds_from_that_frame(echo_px):
    up, px = echo_px
    s = client(px.port)
    px.stall_at(2, seconds=1.0)
    assert echo(s, b"1") == b"1"
    t0 = time.monotonic()
    assert echo(s, b"2") == b"2"
    assert time.monotonic() - t0 >= 0.9


def test_hooks_rewrite_like_proxy_py(echo_px):
    up, px0 = echo_px
    px0.stop()
    px = FaultProxy("127.0.0.1", up.port, to_server=lambda f: f.upper(),
                    to_client=lambda f: None if f == b"DROP" else f).start()
    try:
        s = client(px.port)
        assert echo(s, b"abc") == b"ABC"
        s.sendall(frame(b"drop"))
        assert echo(s, b"x") == b"X"  # the DROP answer never came
        assert px.frames_to_client == 3  # counted before the hook
    finally:
        px.stop()


# ---- smbclient against a real smbd -------------------------------------


@pytest.fixture(scope="module")
def own():
    """A server of our own: these tests kill and restart it."""
    s = SmbServer(name="faults").start()
    with open(os.path.join(s.share_path("resilience"), "marker.txt"), "w") as f:
        f.write("marker\n")
    yield s
    s.stop()


def smbclient(server, port, command, timeout=60):
    """(rc, output, seconds) of one smbclient run to port (a proxy's)."""
    t0 = time.monotonic()
    r = subprocess.run(
        [server.tool("smbclient"), f"//127.0.0.1/resilience", "-p", str(port),
         "-U", f"{server.user}%{server.password}", "-c", command],
        capture_output=True, text=True, env=server.tool_env(), timeout=timeout)
    return r.returncode, r.stdout + r.stderr, time.monotonic() - t0


_sessions = []


@pytest.fixture(autouse=True)
def _no_session_left():
    yield
    while _sessions:
        p = _sessions.pop()
        if p.poll() is None:
            p.kill()
        p.wait()


class Session:
    """An smbclient kept connected: commands go in on stdin at finish()."""

    def __init__(self, server, port):
        self.proc = subprocess.Popen(
            [server.tool("smbclient"), "//127.0.0.1/resilience", "-p", str(port),
             "-U", f"{server.user}%{server.password}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=server.tool_env())
        _sessions.append(self.proc)

    def finish(self, commands, timeout=30):
        out, _ = self.proc.communicate(commands + "\nquit\n", timeout=timeout)
        return self.proc.returncode, out


def helpers(server):
    """smbd's helper children (smbd-notifyd, cleanupd)."""
    out = []
    for pid in server.smbd_children():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "smbd":
                    out.append(pid)
        except OSError:
            pass
    return out


def serving_pid(server, client_port, timeout=15):
    assert wait_until(lambda: any(client_port in p
                                  for p in server.serving_children().values()), timeout), \
        f"no smbd child serves port {client_port}: {server.serving_children()}"
    return [pid for pid, ports in server.serving_children().items() if client_port in ports][0]


def test_smbclient_works_through_the_proxy(own):
    with FaultProxy("127.0.0.1", own.port) as px:
        rc, out, _ = smbclient(own, px.port, "ls")
        assert rc == 0 and "marker.txt" in out, out
        assert px.accepted == 1 and px.frames_c2s >= 5 and px.frames_s2c == px.frames_c2s


def test_after_cut_a_new_smbclient_works(own):
    with FaultProxy("127.0.0.1", own.port) as px:
        sess = Session(own, px.port)
        assert wait_until(lambda: px.upstream_ports(), 15)
        pid = serving_pid(own, px.upstream_ports()[0])
        assert px.cut() == 1
        rc, out = sess.finish("ls")
        assert "marker.txt" not in out, out  # the cut session is gone
        assert "NT_STATUS" in out, out
        assert wait_until(lambda: not pid_alive(pid), 10), \
            "smbd's child did not see the FIN"
        rc, out, _ = smbclient(own, px.port, "ls")
        assert rc == 0 and "marker.txt" in out, out
        assert px.accepted == 2


def test_stall_2s_delays_a_listing_by_2s(own):
    with FaultProxy("127.0.0.1", own.port) as px:
        rc, out, base = smbclient(own, px.port, "ls")
        assert rc == 0, out
        px.stall(2)
        rc, out, took = smbclient(own, px.port, "ls")
        assert rc == 0 and "marker.txt" in out, out
        print(f"listing: {base:.2f} s plain, {took:.2f} s with stall(2)")
        assert 1.9 <= took <= base + 2 + 3, (base, took)


def test_refuse_new_makes_smbclient_fail(own):
    with FaultProxy("127.0.0.1", own.port) as px:
        px.refuse_new(True)
        rc, out, _ = smbclient(own, px.port, "ls", timeout=60)
        assert rc != 0, out
        assert "marker.txt" not in out
        assert px.refused >= 1 and px.frames_c2s == 0
        px.refuse_new(False)
        rc, out, _ = smbclient(own, px.port, "ls")
        assert rc == 0 and "marker.txt" in out, out


def test_kill_serving_child_kills_only_that_child(own):
    parent = own.proc.pid
    helpers_before = set(helpers(own))
    assert len(helpers_before) == 2  # smbd-notifyd and cleanupd
    with FaultProxy("127.0.0.1", own.port) as px:
        a = Session(own, px.port)  # through the proxy: the victim
        b = Session(own, own.port)  # directly: must survive
        assert wait_until(lambda: px.upstream_ports(), 15)
        victim = serving_pid(own, px.upstream_ports()[0])
        assert wait_until(lambda: len(own.serving_children()) == 2, 15), own.serving_children()
        other = [p for p in own.serving_children() if p != victim][0]

        assert own.kill_serving_child(client_port=px.upstream_ports()[0]) == victim
        assert not pid_alive(victim)
        assert list(own.serving_children()) == [other]
        assert own.proc.poll() is None and own.proc.pid == parent
        assert set(helpers(own)) == helpers_before  # notifyd, cleanupd live on

        rc, out = b.finish("ls")
        assert rc == 0 and "marker.txt" in out, out
        rc, out = a.finish("ls")
        assert "marker.txt" not in out, out
        rc, out, _ = smbclient(own, own.port, "ls")  # the parent still accepts
        assert rc == 0 and "marker.txt" in out, out
        rc, out, _ = smbclient(own, px.port, "ls")  # so does the proxy's path
        assert rc == 0 and "marker.txt" in out, out


def test_kill_serving_child_needs_a_port_when_ambiguous(own):
    a = Session(own, own.port)
    b = Session(own, own.port)
    try:
        assert wait_until(lambda: len(own.serving_children()) == 2, 15)
        with pytest.raises(RuntimeError):
            own.kill_serving_child()
    finally:
        a.finish("")
        b.finish("")


def test_restart_comes_back_on_the_same_port(own):
    port, parent = own.port, own.proc.pid
    rc, out, _ = smbclient(own, port, "put /etc/hostname before-restart.txt")
    assert rc == 0, out
    refused = []

    def probe():  # the server is really down during the pause
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not refused:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except ConnectionRefusedError:
                refused.append(time.monotonic())
            time.sleep(0.05)
    t = threading.Thread(target=probe)
    t.start()
    t0 = time.monotonic()
    own.restart(down_seconds=2)
    took = time.monotonic() - t0
    t.join()
    assert refused, "the port never refused a connection during the restart"
    assert 2 <= took < 30
    assert own.port == port
    assert own.proc.pid != parent and not pid_alive(parent)
    rc, out, _ = smbclient(own, port, "ls")  # same users, same directory
    assert rc == 0 and "before-restart.txt" in out and "marker.txt" in out, out
    with FaultProxy("127.0.0.1", port) as px:  # a proxy made before or after: same port
        rc, out, _ = smbclient(own, px.port, "ls")
        assert rc == 0, out


def test_restart_while_a_session_is_open_ends_it(own):
    with FaultProxy("127.0.0.1", own.port) as px:
        sess = Session(own, px.port)
        assert wait_until(lambda: px.upstream_ports(), 15)
        serving_pid(own, px.upstream_ports()[0])
        own.restart()
        rc, out = sess.finish("ls")
        assert "marker.txt" not in out, out
        rc, out, _ = smbclient(own, px.port, "ls")
        assert rc == 0 and "marker.txt" in out, out


def test_resilience_share_grants_durable_handles(own):
    """Samba's own word that the share is set up for durable handles."""
    want = {"durable handles": "Yes", "kernel oplocks": "No", "kernel share modes": "No",
            "posix locking": "No", "read only": "No"}
    for param, value in want.items():
        r = subprocess.run([own.tool("testparm"), "-s", "--section-name=resilience",
                            f"--parameter-name={param}", own.conf],
                           capture_output=True, text=True, env=own.tool_env())
        assert r.stdout.strip() == value, (param, r.stdout, r.stderr)
