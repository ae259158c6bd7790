#!/bin/sh
# Fetch and unpack Debian's kmod source package with apt, from the same archive (mirror,
# proxy) as the system's own binary sources, through a private deb-src list and private
# apt state: the system's apt setup is only read.
#
# usage: fetch.sh [-s SUITE] [-a APTDIR] DEST
#   DEST     folder receiving kmod/ (the unpacked tree) and kmod/.debian-version
#   SUITE    take the source from this suite (default: the version apt-get source picks
#            from the system's own suites, as it would for an install)
#   APTDIR   private apt state: sources list, lists, cache (default DEST/../apt)
# Exit status: 0 unpacked (or already there), 1 failure, 2 usage error.

suite=
aptdir=

usage() {
	echo "usage: fetch.sh [-s SUITE] [-a APTDIR] DEST" >&2
	exit 2
}

die() {
	echo "fetch.sh: $*" >&2
	exit 1
}

while getopts s:a: opt; do
	case $opt in
	s) suite=$OPTARG ;;
	a) aptdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
dest=$1
[ -n "$aptdir" ] || aptdir=$dest/../apt
here=$(dirname "$0")

if [ -f "$dest/kmod/libkmod/libkmod.h" ] && [ -s "$dest/kmod/.debian-version" ]; then
	echo "fetch.sh: $dest/kmod (kmod $(cat "$dest/kmod/.debian-version")) already unpacked"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian system"
command -v dpkg-source >/dev/null || die "dpkg-source not found: install dpkg-dev"

mkdir -p "$dest" "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/parts" ||
	die "cannot create $dest or $aptdir"
# Absolute paths: apt-get source runs in a work folder below.
dest=$(cd "$dest" && pwd) || die "cannot enter $dest"
aptdir=$(cd "$aptdir" && pwd) || die "cannot enter $aptdir"

# deb-src twins of the system's deb entries (with -s, of those entries' archives for SUITE).
sh "$here/apt-sources.sh" | awk -F'|' -v suite="$suite" '
	{ o = ($1 == "") ? "" : "[" $1 "] "; s = (suite == "") ? $3 : suite }
	suite != "" && $3 ~ /-(security|updates|backports)$/ { next }
	!seen[o $2 s]++ { print "deb-src " o $2 " " s " " $4 }' >"$aptdir/sources.list" ||
	die "cannot write $aptdir/sources.list"
[ -s "$aptdir/sources.list" ] ||
	die "the system has no apt source entry (sources.list or sources.list.d) to take the archive from"

# The system's apt configuration (proxy, mirror settings) stays in force; only the
# source list, lists, cache and status are private, and the system's update hooks
# (APT::Update::Post-Invoke...) are cleared for this private update. The lists and cache
# belong to the caller, so apt's _apt sandbox user could not write them: download as the
# calling user instead.
set -- \
	-o "Dir::Etc::SourceList=$aptdir/sources.list" \
	-o "Dir::Etc::SourceParts=$aptdir/parts" \
	-o "Dir::State::Lists=$aptdir/lists" \
	-o Dir::State::Status=/dev/null \
	-o "Dir::Cache=$aptdir/cache" \
	-o APT::Update::Post-Invoke::= \
	-o APT::Update::Post-Invoke-Success::= \
	-o Acquire::GzipIndexes=true \
	-o APT::Sandbox::User="$(id -un)"

echo "fetch.sh: updating the private source index in $aptdir ($(wc -l <"$aptdir/sources.list") entries)"
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

echo "fetch.sh: fetching the kmod source package into $dest"
(cd "$work" && apt-get -q "$@" source kmod) >"$work/source.log" 2>&1 || {
	cat "$work/source.log" >&2
	die "apt-get source kmod failed (sources: $aptdir/sources.list; see above)"
}
set -- "$work"/kmod_*.dsc
dsc=$1
[ -f "$dsc" ] || die "apt-get source kmod left no kmod_*.dsc in $work"
version=$(sed -n 's/^Version: *//p' "$dsc" | head -n 1)
upstream=${version#*:}
tree=$work/kmod-${upstream%-*}
if [ ! -f "$tree/libkmod/libkmod.h" ]; then
	set -- "$work"/kmod-*/
	tree=${1%/}
fi
[ -f "$tree/libkmod/libkmod.h" ] || die "the unpacked kmod $version in $work lacks libkmod/libkmod.h"
echo "$version" >"$tree/.debian-version" || die "cannot write $tree/.debian-version"

rm -rf "${dest:?}/kmod"
mv "$tree" "$dest/kmod" || die "cannot move $tree to $dest/kmod"
echo "fetch.sh: unpacked kmod $version in $dest/kmod"
