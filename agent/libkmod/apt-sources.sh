#!/bin/sh
# apt-sources.sh: the system's own binary apt sources, one entry a line, as
#   OPTIONS|URI|SUITE|COMPONENTS
# (OPTIONS: the one-line format's bracket options, e.g. "signed-by=/usr/share/keyrings/x.gpg",
# or empty). It reads what apt reads: Dir::Etc::SourceList and the *.list and *.sources
# files of Dir::Etc::SourceParts, both formats, skipping "Enabled: no" stanzas and
# deb-src entries. So whatever mirror or proxy a host uses, the build and the tests use
# it too, and no archive address is written into the project.
#
# usage: apt-sources.sh [ROOT]     ROOT: read ROOT/etc/apt instead of apt's own folders
# Exit status: 0 (prints nothing when there is no entry), 2 usage error.
[ $# -le 1 ] || { echo "usage: apt-sources.sh [ROOT]" >&2; exit 2; }

if [ $# -eq 1 ]; then
	list=$1/etc/apt/sources.list
	parts=$1/etc/apt/sources.list.d
elif command -v apt-config >/dev/null; then
	eval "$(apt-config shell list Dir::Etc::SourceList/f parts Dir::Etc::SourceParts/d)"
else
	list=/etc/apt/sources.list
	parts=/etc/apt/sources.list.d
fi

# The one-line format: deb [OPTIONS] URI SUITE COMPONENT...
one_line() {
	awk '{ sub(/#.*/, "") }
	$1 == "deb" {
		opts = ""
		if ($2 ~ /^\[/) {
			line = $0
			sub(/^[ \t]*deb[ \t]+\[/, "", line)
			opts = line; sub(/\].*/, "", opts)
			sub(/^[^\]]*\][ \t]*/, "", line)
			$0 = "deb " line
		}
		if (NF < 3) next
		comps = ""
		for (i = 4; i <= NF; i++) comps = comps (i > 4 ? " " : "") $i
		gsub(/^[ \t]+|[ \t]+$/, "", opts)
		print opts "|" $2 "|" $3 "|" comps
	}' "$1"
}

# The deb822 format: stanzas of Types, URIs, Suites, Components, Signed-By, Enabled.
deb822() {
	awk 'function flush(   nu, ns, u, s, i, j, t, isdeb, opts) {
		if (types != "") {
			isdeb = 0
			t = split(types, tv, /[ \t]+/)
			for (i = 1; i <= t; i++) if (tv[i] == "deb") isdeb = 1
			if (isdeb && tolower(enabled) != "no") {
				opts = (signed ~ /^\//) ? "signed-by=" signed : ""
				nu = split(uris, u, /[ \t]+/)
				ns = split(suites, s, /[ \t]+/)
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
					if (u[i] != "" && s[j] != "") print opts "|" u[i] "|" s[j] "|" comps
			}
		}
		types = uris = suites = comps = signed = enabled = ""; field = ""
	}
	/^[ \t]*#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { if (field == "signed-by" && signed == "") signed = "(inline)"; next }
	{
		field = tolower($0); sub(/:.*/, "", field)
		v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
		if (field == "types") types = v
		else if (field == "uris") uris = v
		else if (field == "suites") suites = v
		else if (field == "components") comps = v
		else if (field == "signed-by") signed = v
		else if (field == "enabled") enabled = v
	}
	END { flush() }' "$1"
}

[ -r "$list" ] && one_line "$list"
for f in "$parts"/*.list; do
	[ -r "$f" ] && one_line "$f"
done
for f in "$parts"/*.sources; do
	[ -r "$f" ] && deb822 "$f"
done
exit 0
