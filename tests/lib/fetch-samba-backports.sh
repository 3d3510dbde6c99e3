#!/bin/sh
# fetch-samba-backports.sh - a second, newer Samba for the tests that need
# a server feature Debian 12's Samba 4.17 lacks: reparse points
# (FSCTL_SET/GET_REPARSE_POINT, the native symbolic links of SMB), which
# Samba has since 4.21. It takes Debian's own bookworm-backports packages
# and unpacks them into a private tree; the system's Samba stays as it is
# and nothing is installed. Idempotent; prints the tree on success.
#
#   tests/lib/fetch-samba-backports.sh [DEST]   (default below)
set -eu

DEST=${1:-/var/cache/smbfuse-test/samba-backports}
# The Debian archive this machine already uses, from its apt sources (the
# project names no mirror of its own): the first URI that serves the
# bookworm suite, in deb822 .sources or one-line .list form.
machine_mirror() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case $f in
        *.sources)
            # deb822 stanzas: remember URIs, print it when Suites has bookworm.
            awk 'BEGIN { IGNORECASE = 1 }
                 /^[[:space:]]*$/ { uris = ""; types = "" }
                 /^Types:/ { types = $0 }
                 /^URIs:/ { uris = $2 }
                 /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") ok = 1 }
                 ok && uris != "" && types ~ /deb([^-]|$)/ { print uris; exit }
                 /^[[:space:]]*$/ { ok = 0 }' "$f" ;;
        *)
            awk '$1 == "deb" {
                     i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
                     if ($i ~ /^\[/ || $i ~ /\]$/) i++
                     if ($(i + 1) == "bookworm") { print $i; exit } }' "$f" ;;
        esac
    done | head -n 1
}
MIRROR=${SMBFUSE_DEBIAN_MIRROR:-$(machine_mirror)}
if [ -z "$MIRROR" ]; then
    echo "fetch-samba-backports: no Debian bookworm archive in this machine's apt sources" \
         "(set SMBFUSE_DEBIAN_MIRROR)" >&2
    exit 1
fi
PKGS="samba samba-libs samba-common-bin smbclient libsmbclient libwbclient0 libldb2 libtalloc2
      libtevent0 libtdb1"
LIBDIR=$DEST/usr/lib/x86_64-linux-gnu

works() {
    [ -f "$DEST/.complete" ] &&
        LD_LIBRARY_PATH=$LIBDIR:$LIBDIR/samba "$DEST/usr/sbin/smbd" --version >/dev/null 2>&1
}

if works; then
    echo "$DEST"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
cat >"$work/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-backports main
SRC
# A private apt state: the machine's sources and lists are not touched.
APT="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache
     -o APT::Sandbox::User=root -o Debug::NoLocking=1"
# shellcheck disable=SC2086
apt-get $APT update -qq >/dev/null
list=""
for p in $PKGS; do list="$list $p/bookworm-backports"; done
# shellcheck disable=SC2086
(cd "$work/debs" && apt-get $APT download $list >/dev/null)

rm -rf "$DEST.new"
mkdir -p "$DEST.new"
for d in "$work"/debs/*.deb; do dpkg-deb -x "$d" "$DEST.new"; done
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
touch "$DEST/.complete"
works || { echo "fetch-samba-backports: the unpacked smbd does not run" >&2; exit 1; }
echo "$DEST"
