#!/bin/bash
# demo.sh - build smbfuse, start a throw-away local Samba share on a free
# port, mount it with smbfuse and list it. Prints how to clean up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
[ "$(id -u)" = 0 ] && contrib/install-deps.sh
[ -d build/meson-private ] || meson setup build >/dev/null
ninja -C build >/dev/null

STATE=$(mktemp -d /tmp/smbfuse-demo.XXXXXX)
MNT=$STATE/mnt
mkdir -p "$MNT"
# A throw-away smbd (tests/lib/smbserver.py: own temp dir, free loopback
# port, nothing under /etc/samba), left running for the demo.
/usr/bin/python3 - "$STATE" <<'PY'
import os, sys
sys.path.insert(0, "tests/lib")
import smbserver
smbserver.atexit.unregister(smbserver._stop_all)  # keep it running after we exit
s = smbserver.SmbServer(name="demo").start()
state = sys.argv[1]
with open(os.path.join(s.share_path(), "README.txt"), "w") as f:
    f.write("Hello from a Samba share mounted with smbfuse.\n")
os.chown(os.path.join(s.share_path(), "README.txt"), smbserver.pwd.getpwnam("smbtest").pw_uid, -1)
with open(os.path.join(state, "server"), "w") as f:
    f.write(f"{s.port} {s.proc.pid} {s.dir}\n")
cred = s.credentials_file(directory=state)
os.rename(cred, os.path.join(state, "cred"))
PY
read -r PORT PID SDIR < "$STATE/server"
build/src/smbfuse "//127.0.0.1:$PORT/share" "$MNT" -o "credentials=$STATE/cred"
echo "== mounted //127.0.0.1:$PORT/share on $MNT"
grep " $MNT " /proc/self/mounts || true
echo "== ls -la $MNT"
ls -la "$MNT"
echo "== cat $MNT/README.txt"
cat "$MNT/README.txt"
echo "== df -h $MNT"
df -h "$MNT"
cat <<EOT

The share stays mounted. When you are done:
  fusermount3 -u $MNT                 # unmount
  kill -TERM -- -$PID                 # stop the demo smbd (its process group)
  rm -rf $STATE $SDIR                 # remove the demo's files
EOT
