#!/bin/sh
# Fetch and unpack Debian's kmod source package with apt, using a private
# sources list and private apt state so the system's apt setup is left alone.
#
# usage: fetch.sh [-v VERSION] [-a APTDIR] DEST
#   DEST     folder receiving kmod-<upstream version>/ (e.g. build/kmod-src)
#   VERSION  Debian version to fetch (default 30+20221128-1, bookworm's)
#   APTDIR   private apt state: sources list, lists, cache (default DEST/../apt)
# Exit status: 0 unpacked (or already there), 1 failure, 2 usage error.

version=30+20221128-1
aptdir=

usage() {
	echo "usage: fetch.sh [-v VERSION] [-a APTDIR] DEST" >&2
	exit 2
}

die() {
	echo "fetch.sh: $*" >&2
	exit 1
}

while getopts v:a: opt; do
	case $opt in
	v) version=$OPTARG ;;
	a) aptdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
dest=$1
[ -n "$aptdir" ] || aptdir=$dest/../apt

# dpkg-source names the tree after the upstream version (no Debian revision).
tree=kmod-${version%-*}
if [ -f "$dest/$tree/libkmod/libkmod.h" ]; then
	echo "fetch.sh: $dest/$tree already unpacked"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian system"
command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev"

mkdir -p "$dest" "$aptdir/lists/partial" "$aptdir/cache/archives/partial" ||
	die "cannot create $dest or $aptdir"
# Absolute paths: apt-get source runs in a work folder below.
dest=$(cd "$dest" && pwd) || die "cannot enter $dest"
aptdir=$(cd "$aptdir" && pwd) || die "cannot enter $aptdir"

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "cannot read $keyring: install debian-archive-keyring"
printf 'deb-src [signed-by=%s] http://deb.debian.org/debian bookworm main\n' \
	"$keyring" >"$aptdir/sources.list" || die "cannot write $aptdir/sources.list"

# APT_CONFIG is read before /etc/apt/apt.conf.d, so pointing Dir::Etc::Parts
# at an empty folder keeps the system's hooks (APT::Update::Post-Invoke...)
# from running for our private update. A proxy can still come from http_proxy.
mkdir -p "$aptdir/conf.d" || die "cannot create $aptdir/conf.d"
cat >"$aptdir/apt.conf" <<EOF || die "cannot write $aptdir/apt.conf"
Dir::Etc::Parts "$aptdir/conf.d";
Dir::Etc::Main "/dev/null";
Acquire::GzipIndexes "true";
EOF
APT_CONFIG=$aptdir/apt.conf
export APT_CONFIG

# The private lists and cache belong to root, so apt's _apt sandbox user
# could not write them: download as the calling user instead.
set -- \
	-o "Dir::Etc::SourceList=$aptdir/sources.list" \
	-o Dir::Etc::SourceParts=/dev/null \
	-o "Dir::State::Lists=$aptdir/lists" \
	-o Dir::State::Status=/dev/null \
	-o "Dir::Cache=$aptdir/cache" \
	-o APT::Sandbox::User="$(id -un)"

echo "fetch.sh: updating the private source index in $aptdir"
apt-get -q --error-on=any "$@" update >"$aptdir/update.log" 2>&1 || {
	cat "$aptdir/update.log" >&2
	die "apt-get update failed for the private sources list $aptdir/sources.list"
}

# Unpack in a scratch folder and move the tree into place only when complete,
# so an interrupted run never looks like a finished one.
work=$dest/.fetch.$$
rm -rf "$work"
mkdir "$work" || die "cannot create $work"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

echo "fetch.sh: fetching kmod $version into $dest"
(cd "$work" && apt-get -q "$@" source "kmod=$version") >"$work/source.log" 2>&1 || {
	cat "$work/source.log" >&2
	die "apt-get source kmod=$version failed (is it still in bookworm main? see above)"
}
[ -f "$work/$tree/libkmod/libkmod.h" ] || die "unpacked tree $work/$tree lacks libkmod/libkmod.h"

rm -rf "${dest:?}/$tree"
if ! mv "$work/$tree" "$dest/$tree" || ! mv "$work"/kmod_* "$dest/"; then
	die "cannot move $tree into $dest"
fi
echo "fetch.sh: unpacked $dest/$tree"
