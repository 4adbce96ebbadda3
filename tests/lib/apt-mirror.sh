# shellcheck shell=bash
# apt_mirror: the first "deb" URI for bookworm/main in this machine's apt configuration (one-line
# and deb822 sources), for debootstrap. Sourced by the story test. (tests/build-live-isos.sh
# keeps a copy of its own: its sha256 is the stamp of the live ISO cache, and a change of it
# rebuilds the live ISOs, 16 minutes.)
apt_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
		[ -f "$f" ] || continue
		case $f in
		*.list)
			awk '$1 == "deb" { sub(/\[[^]]*\]/, "");
				if ($3 == "bookworm") for (i = 4; i <= NF; i++) if ($i == "main") { print $2; next } }' "$f"
			;;
		*.sources)
			awk 'BEGIN { RS = ""; FS = "\n" }
			{
				delete v
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/ || !index($i, ":")) continue
					k = tolower(substr($i, 1, index($i, ":") - 1))
					v[k] = " " substr($i, index($i, ":") + 1) " "
				}
				if (v["enabled"] ~ / no /) next
				if (v["types"] !~ / deb / || v["suites"] !~ / bookworm / || v["components"] !~ / main /) next
				n = split(v["uris"], u, " ")
				for (j = 1; j <= n; j++) print u[j]
			}' "$f"
			;;
		esac
	done | grep -m1 -E '^(https?|file)://'
}
