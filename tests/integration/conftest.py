"""Fixtures for the integration suite: real smbd servers shared across
the whole pytest session, started lazily (a run starts only what its
tests use) and always stopped."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))

from harness import binary  # noqa: E402
from smbserver import SmbServer  # noqa: E402


class Servers:
    """Server kinds by key; each started once per session."""

    KINDS = {
        "default": {},
        "signing-mandatory": {"signing": "mandatory"},
        "SMB2_02": {"min_protocol": "SMB2_02", "max_protocol": "SMB2_02"},
        "SMB2_10": {"min_protocol": "SMB2_10", "max_protocol": "SMB2_10"},
        "SMB3_00": {"min_protocol": "SMB3_00", "max_protocol": "SMB3_00"},
        "SMB3_02": {"min_protocol": "SMB3_02", "max_protocol": "SMB3_02"},
        "SMB3_11": {"min_protocol": "SMB3_11", "max_protocol": "SMB3_11"},
        "sign-HMAC-SHA256": {"signing": "mandatory", "signing_algs": "HMAC-SHA256"},
        "sign-AES-128-CMAC": {"signing": "mandatory", "signing_algs": "AES-128-CMAC"},
        "sign-AES-128-GMAC": {"signing": "mandatory", "signing_algs": "AES-128-GMAC"},
        "enc-AES-128-CCM": {"encryption_algs": "AES-128-CCM"},
        "enc-AES-128-GCM": {"encryption_algs": "AES-128-GCM"},
        "enc-AES-256-CCM": {"encryption_algs": "AES-256-CCM"},
        "enc-AES-256-GCM": {"encryption_algs": "AES-256-GCM"},
    }

    def __init__(self):
        self.running = {}

    def get(self, kind):
        if kind not in self.running:
            self.running[kind] = SmbServer(name=kind.lower().replace("_", ""),
                                           **self.KINDS[kind]).start()
        return self.running[kind]

    def stop(self):
        for s in self.running.values():
            s.stop()


@pytest.fixture(scope="session")
def servers():
    s = Servers()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def server(servers):
    return servers.get("default")


@pytest.fixture(scope="session", autouse=True)
def _binaries_built():
    if not os.path.exists(binary("smbfuse-probe")):
        pytest.exit(f"smbfuse-probe is not built at {binary('smbfuse-probe')}", returncode=2)


@pytest.fixture(scope="session")
def cred(server):
    return server.credentials_file()
