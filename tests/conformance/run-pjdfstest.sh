#!/bin/sh
# run-pjdfstest.sh - POSIX conformance of an smbfuse mount with pjdfstest.
# Not part of the test suite (.ci/run): it takes half an hour or more.
#
#   sudo PJDFSTEST=/path/to/built/pjdfstest tests/conformance/run-pjdfstest.sh [GROUP...]
#
# pjdfstest (https://github.com/pjd/pjdfstest, BSD-licensed) is built
# outside this tree: autoreconf -ifs && ./configure && make, in its
# checkout; PJDFSTEST names that directory (holding `pjdfstest` and
# `tests/`). The script starts its own Samba (Debian's bookworm-backports
# build that tests/lib/fetch-samba-backports.sh unpacks, with
# `smb3 unix extensions = yes`, the test user in `admin users` so that
# chown works as for root), mounts the share as root with allow_other
# (which implies default_permissions, so the kernel checks modes for
# pjdfstest's unprivileged children) once with `posix` and once with
# `noposix`, runs every test file of each group in a fresh directory on
# the mount and prints, per group, the assertions that passed out of
# those planned (a test file that stops early counts its missing
# assertions as failed). SMBFUSE_BUILD_DIR picks the build (default
# ./build); RUNS="posix" runs one mount only; SMBFUSE_PJD_TIMEOUT bounds
# each test file (seconds, default 600).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${PJDFSTEST:?set PJDFSTEST to a built pjdfstest checkout (pjdfstest binary and tests/)}"
[ -x "$PJDFSTEST/pjdfstest" ] && [ -d "$PJDFSTEST/tests" ] ||
    { echo "run-pjdfstest: $PJDFSTEST has no built pjdfstest and tests/" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run-pjdfstest: must run as root" >&2; exit 1; }
command -v prove >/dev/null || { echo "run-pjdfstest: needs prove (perl)" >&2; exit 1; }
sh "$top/tests/lib/fetch-samba-backports.sh" >/dev/null
export SMBFUSE_BUILD_DIR="${SMBFUSE_BUILD_DIR:-$top/build}"
exec /usr/bin/python3 "$here/pjdfstest_run.py" "$@"
