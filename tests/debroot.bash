# tests/debroot.bash: what tests/package.sh and tests/ansible.sh share: build the .deb
# from a copy of the tree, make a fresh Debian root of the host's release with
# mmdebstrap, run commands in it, and delete it (and the copy) on every exit.
# Source it after setting REPO and LOGS; it sets the EXIT trap and uses work and root.
work="" root="" dist="" deb=""

# in_root COMMAND...: runs a command inside the root, no services, no questions.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# The host's archive for its own release (the system's apt sources, as fresh.sh reads them).
sources() {
	sh "$REPO/agent/libkmod/apt-sources.sh" | awk -F'|' '
		{ o = ($1 == "") ? "" : "[" $1 "] "; line = "deb " o $2 " " $3 " " $4
		  if (!seen[line]++) print line }'
}

mounted_below() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

debroot_cleanup() {
	local p
	if [ -n "$root" ] && [ -d "$root" ]; then
		for p in $(mounted_below "$root"); do umount "$p" 2>/dev/null || umount -l "$p"; done
		if [ -n "$(mounted_below "$root")" ]; then
			echo "# ${0##*/}: cannot unmount below $root; left in place" >&2
		else
			rm -rf --one-file-system "$root"
		fi
	fi
	[ -z "$work" ] || rm -rf "$work"
}
trap debroot_cleanup EXIT
trap 'exit 130' INT TERM HUP

# build_deb NAME: copies the tree as it is (uncommitted changes included, no build
# output) to a new $work/src and builds the package there (dpkg-buildpackage cleans its
# tree and writes the .deb beside it); sets deb to the .deb, or to "" when none came.
# Log: $LOGS/build.log.
build_deb() {
	local f
	deb=""
	work=$(mktemp -d "${TMPDIR:-/tmp}/vfiohost-$1.XXXXXX") || return 1
	mkdir "$work/src"
	tar -C "$REPO" --exclude=./build --exclude=./.git -cf - . | tar -C "$work/src" -xf -
	(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$LOGS/build.log" 2>&1
	for f in "$work"/vfiohost_*.deb; do [ -f "$f" ] && deb=$f; done
	[ -n "$deb" ]
}

# make_root NAME PACKAGE,...: a fresh root of the host's release in a new $root with
# those packages (mmdebstrap --variant=apt, the host's archive and apt proxy), no
# services starting in it; sets dist. Log: $LOGS/mmdebstrap.log.
make_root() {
	local srcs aptopts=() proxy
	mapfile -t srcs < <(sources)
	if ((${#srcs[@]} == 0)); then
		echo "# no apt source of the host's release to take the archive from"
		return 1
	fi
	dist=$(echo "${srcs[0]}" | awk '{ print $(NF - 1) }')
	proxy=$(apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p")
	[ -n "$proxy" ] && aptopts+=(--aptopt="Acquire::http::Proxy \"$proxy\"")
	root=$(mktemp -d "${FRESH_DIR:-/var/tmp}/vfiohost-$1-$dist.XXXXXX") || return 1
	# mmdebstrap wants an empty folder or none.
	rmdir "$root"
	if ! mmdebstrap --variant=apt --include="$2" "${aptopts[@]}" \
		"$dist" "$root" "${srcs[@]}" >"$LOGS/mmdebstrap.log" 2>&1; then
		tail -n 20 "$LOGS/mmdebstrap.log" | sed 's/^/# /'
		return 1
	fi
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
}

# The root's kernel release (the last of /lib/modules), for its image /boot/initrd.img-KVER.
root_kver() {
	local d kver=""
	for d in "$root"/lib/modules/*; do kver=${d##*/}; done
	echo "$kver"
}

# TAP for the suites that source this file: ok NAME, notok NAME, check NAME COMMAND...
# (one test from one command's status); the count is the caller's n.
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
# check NAME COMMAND...: one test from one command's status.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}
