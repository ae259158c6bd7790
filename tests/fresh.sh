#!/bin/bash
# tests/fresh.sh [-k] [-o demo|test] [-r REV] DIST: the README's two commands, as the
# README writes them, on a bare clone in a fresh Debian root (mmdebstrap --variant=apt
# with git, make and ca-certificates, nothing else; /proc, /run, /sys and /dev mounted),
# as root inside that root, with no
# ../shared beside the clone. DIST: bookworm, trixie, sid, or any suite the archive has.
#   -o CMD  run only the README command that starts with "make CMD" (development)
#   -r REV  the commit to clone (default HEAD); uncommitted changes are not in a clone
#   -k      keep the root afterwards (its path is printed); otherwise it is deleted
# GUIDE=FILE is copied into the root and handed to the commands as GUIDE=, so that the
# comparisons with the seed guide run there too. FRESH_PASS="VAR..." hands those variables
# of the caller's environment to the commands as well (CI uses it to say which boots run
# on which release); nothing else of the caller's environment reaches them. The root gets the host's own archive
# (its apt sources with DIST for their suite) and its apt proxy, if any.
# Logs: build/fresh/DIST/. Last lines: one "fresh DIST: ..." line per command, with its
# exit status and time, and the test summary; then "N passed, N failed" counting each
# command's own summary (make demo counts as one test). Exit 1 if anything failed.
# The host's /etc, /usr and /boot are only read; the root is unmounted and removed on
# every exit, an interrupt included.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
only="" rev=HEAD keep=0
while getopts o:r:k opt; do
	case $opt in
	o) only=$OPTARG ;;
	r) rev=$OPTARG ;;
	k) keep=1 ;;
	*) echo "usage: tests/fresh.sh [-k] [-o demo|test] [-r REV] DIST" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: tests/fresh.sh [-k] [-o demo|test] [-r REV] DIST" >&2; exit 2; }
DIST=$1
LOGS=$REPO/build/fresh/$DIST
CMD_TIMEOUT=${FRESH_TIMEOUT:-3000}
root=""

say() { echo "fresh $DIST: $*"; }
die() { say "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot and mounts)"
case $DIST in */* | *' '* | '') die "'$DIST' is not a suite name" ;; esac
command -v mmdebstrap >/dev/null || die "mmdebstrap missing: apt-get install mmdebstrap"
rev=$(git -C "$REPO" rev-parse --verify "$rev^{commit}") || die "no commit '$rev' in $REPO"

# The README's two commands: the sh block after the line naming this script.
readme_commands() {
	awk '/tests\/fresh.sh runs the commands of this block/ { want = 1; next }
		want && /^```/ { if (on) exit; on = 1; next }
		on && NF { print }' "$REPO/README.md"
}

# The host's archive entries with DIST in place of the host's own release; the
# security and updates suites follow (sid has neither).
sources_for() {
	local host
	host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
	sh "$REPO/agent/libkmod/apt-sources.sh" | awk -F'|' -v host="$host" -v dist="$1" '
		{ s = $3; suf = ""
		  if (host != "" && index(s, host) == 1) { suf = substr(s, length(host) + 1); s = dist suf }
		  else next
		  if (dist ~ /^(sid|unstable)$/ && suf != "") next
		  o = ($1 == "") ? "" : "[" $1 "] "
		  line = "deb " o $2 " " s " " $4
		  if (!seen[line]++) print line }'
}

# mounted_below DIR: the mount points at or below DIR, deepest first.
mounted_below() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

cleanup() {
	local p tries=0
	[ -n "$root" ] && [ -d "$root" ] || return 0
	# Whatever still runs inside the root (an interrupted boot) holds its mounts.
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	while [ -n "$(mounted_below "$root")" ] && ((tries < 5)); do
		for p in $(mounted_below "$root"); do umount "$p" 2>/dev/null || umount -l "$p"; done
		tries=$((tries + 1))
	done
	if [ -n "$(mounted_below "$root")" ]; then
		say "cannot unmount below $root; left in place" >&2
		return 1
	fi
	if ((keep)); then
		say "root kept in $root"
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$LOGS" || die "cannot create $LOGS"
rm -f "$LOGS"/*.log
mapfile -t cmds < <(readme_commands)
((${#cmds[@]} == 2)) || die "README.md: expected two commands after 'tests/fresh.sh runs the commands of this block', found ${#cmds[@]}"
mapfile -t srcs < <(sources_for "$DIST")
((${#srcs[@]} > 0)) || die "no apt source of the host's own release to take the archive from"

root=$(mktemp -d "${FRESH_DIR:-/var/tmp}/vfiohost-fresh-$DIST.XXXXXX") || die "mktemp failed"
aptopts=()
proxy=$(apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p")
[ -n "$proxy" ] && aptopts+=(--aptopt="Acquire::http::Proxy \"$proxy\"")
# FRESH_APTOPT: one more apt option for the root (mmdebstrap keeps it in the root's apt
# configuration), e.g. 'Acquire::Check-Valid-Until "false"' for an archive snapshot whose
# unstable Release file has expired.
[ -n "${FRESH_APTOPT:-}" ] && aptopts+=(--aptopt="$FRESH_APTOPT")
s=$SECONDS
# mmdebstrap wants an empty folder or none.
rmdir "$root"
mmdebstrap --variant=apt --include=git,make,ca-certificates "${aptopts[@]}" \
	"$DIST" "$root" "${srcs[@]}" >"$LOGS/mmdebstrap.log" 2>&1 ||
	{ tail -n 20 "$LOGS/mmdebstrap.log" >&2; die "mmdebstrap failed (log $LOGS/mmdebstrap.log)"; }
say "root made in $((SECONDS - s)) s ($(printf '%s; ' "${srcs[@]}"))"

# No service starts inside the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
if ! git clone -q --no-hardlinks "$REPO" "$root/root/vfiohost" ||
	! git -C "$root/root/vfiohost" checkout -q "$rev"; then
	die "cannot clone $REPO at $rev"
fi
[ ! -e "$root/root/shared" ] || die "$root/root/shared exists"
guide_env=()
for v in ${FRESH_PASS:-}; do
	[[ $v =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "FRESH_PASS: '$v' is not a variable name"
	[ -n "${!v+set}" ] && guide_env+=("$v=${!v}")
done
if [ -n "${GUIDE:-}" ]; then
	[ -r "$GUIDE" ] || die "GUIDE=$GUIDE is not readable"
	install -m 0444 "$GUIDE" "$root/root/guide.txt"
	guide_env+=(GUIDE=/root/guide.txt)
fi
# /run as on a booted system: dracut --hostonly turns itself off without it.
if ! mount -t proc proc "$root/proc" || ! mount -t tmpfs -o mode=0755 tmpfs "$root/run" ||
	! mount --rbind /sys "$root/sys" ||
	! mount --make-rslave "$root/sys" || ! mount --rbind /dev "$root/dev" ||
	! mount --make-rslave "$root/dev"; then
	die "cannot mount /proc, /run, /sys and /dev into $root"
fi

passed=0 failed=0 skipped=0
for c in "${cmds[@]}"; do
	[ -z "$only" ] || [ "${c#make "$only"}" != "$c" ] || continue
	name=${c//[^A-Za-z0-9._]/-}
	s=$SECONDS
	timeout -k 30 "$CMD_TIMEOUT" chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive CI="${CI:-}" "${guide_env[@]}" \
		/bin/sh -c "cd /root/vfiohost && $c" </dev/null >"$LOGS/$name.log" 2>&1
	rc=$?
	t=$((SECONDS - s))
	sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGS/$name.log" | tail -n 1)
	if [ -n "$sum" ]; then
		read -r np _ nf _ ns _ <<<"${sum//,/}"
		passed=$((passed + np)) failed=$((failed + nf)) skipped=$((skipped + ${ns:-0}))
		# A non-zero exit with "0 failed" still fails.
		((rc == 0 || nf > 0)) || failed=$((failed + 1))
		# Name what failed, with the TAP comment lines after it, where CI shows it.
		awk '/^not ok /{n=12} n&&n--' "$LOGS/$name.log" | head -n 120 |
			sed "s/^/fresh $DIST: $name: /" >&2
	elif ((rc == 0)); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		tail -n 15 "$LOGS/$name.log" | sed "s/^/fresh $DIST: $name: /" >&2
	fi
	((rc == 124)) && say "$c timed out after $CMD_TIMEOUT s"
	say "$c: exit $rc in $t s${sum:+: $sum} (log $LOGS/$name.log)"
done
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
