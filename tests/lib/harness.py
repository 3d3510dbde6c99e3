"""Helpers shared by the integration and mount suites: locating the build,
running our binaries with a timeout, capturing traffic with tshark."""

import os
import re
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    return os.environ.get("SMBFUSE_BUILD_DIR", os.path.join(REPO, "build"))


def binary(name):
    return os.path.join(build_dir(), "src", name)


def run(args, timeout=60, env=None, input=None):
    """Run a command; returns CompletedProcess with text output."""
    e = dict(os.environ)
    e.pop("PASSWD", None)
    e.pop("PASSWD_FD", None)
    if env:
        e.update(env)
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=e,
                          input=input)


def probe(*args, timeout=60, env=None):
    return run([binary("smbfuse-probe"), *args], timeout=timeout, env=env)


class Capture:
    """tshark on lo for one TCP port; stop() returns the pcap path."""

    def __init__(self, port):
        self.port = port
        fd, self.path = tempfile.mkstemp(suffix=".pcapng", dir="/tmp")
        os.close(fd)
        self.err = tempfile.TemporaryFile(mode="w+")

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["tshark", "-q", "-i", "lo", "-f", f"tcp port {self.port}", "-w", self.path],
            stdout=subprocess.DEVNULL, stderr=self.err, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.err.seek(0)
            if re.search(r"Capturing on|Capture started", self.err.read()):
                time.sleep(0.3)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("tshark did not start")

    def __exit__(self, *exc):
        time.sleep(0.5)
        self.proc.terminate()
        self.proc.wait(10)

    def frames(self):
        """(frame number, smb2 commands, is-encrypted) for each SMB frame."""
        out = subprocess.run(
            ["tshark", "-r", self.path, "-d", f"tcp.port=={self.port},nbss", "-T", "fields",
             "-E", "separator=|", "-e", "frame.number", "-e", "smb2.cmd", "-e",
             "smb2.flags.response", "-e", "smb2.protocol_id"],
            capture_output=True, text=True, timeout=60).stdout
        rows = []
        for line in out.splitlines():
            num, cmd, rsp, proto = (line.split("|") + ["", "", "", ""])[:4]
            rows.append((int(num), cmd, rsp, proto))
        return rows

    def raw(self):
        with open(self.path, "rb") as f:
            return f.read()
