#!/bin/bash
# run-tests.sh - the whole test suite on a fresh Debian 12 machine:
# installs what it needs, builds twice (plain with -Dwerror, then with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs every suite in both, and
# ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" = 0 ]; then
    contrib/install-deps.sh || exit 1
    # Samba 4.17 has no reparse points; native symlink tests use Debian's
    # backported Samba, unpacked privately (test_symlinks.py skips without).
    tests/lib/fetch-samba-backports.sh >/dev/null ||
        echo "warning: no backports Samba: the native symlink tests will be skipped" >&2
fi

setup() { # dir, extra meson args...
    local dir=$1; shift
    if [ -d "$dir/meson-private" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

status=0
rm -f build/*-junit.xml build-san/*-junit.xml
echo "== build (gcc, -Dwerror=true)"
setup build -Dwerror=true && ninja -C build || exit 1
echo "== tests: unit, fuzz replay, integration, mount"
meson test -C build --print-errorlogs --suite unit --suite fuzz --suite integration \
    --suite mount || status=1

echo "== build with clang (-Dwerror=true): warning-free with both compilers"
CC=clang setup build-clang -Dwerror=true && ninja -C build-clang >/dev/null || exit 1

echo "== build with -Db_sanitize=address,undefined"
setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false &&
    ninja -C build-san || exit 1
echo "== tests under ASan/UBSan (LeakSanitizer on): unit, fuzz replay, integration, mount"
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp:print_suppressions=0 \
    meson test -C build-san --print-errorlogs --suite unit --suite fuzz --suite integration \
    --suite mount || status=1

/usr/bin/python3 tests/summarize.py build build-san || status=1
exit $status
