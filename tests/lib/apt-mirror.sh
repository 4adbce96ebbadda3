# shellcheck shell=bash
# Debian's archive for the tests: sourced by the story tests, the fetch scripts and
# tests/build-live-isos.sh.
# apt_mirror: the first "deb" URI for bookworm/main in this machine's apt configuration (one-line
# and deb822 sources), for debootstrap.
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

# apt_cache_complete CACHE WANT...: true when every WANT (a path relative to CACHE) is a file that
# is not empty: what a fetch script's packages must leave in its cache, so that a half-done run
# is redone.
apt_cache_complete() {
	local cache=$1 w
	shift
	for w in "$@"; do [ -s "$cache/$w" ] || return 1; done
}

# apt_own_state WHO APT ARCH SUITE...: an apt state of its own in APT (the machine's apt
# configuration and dpkg are left alone): a sources.list of each SUITE's main from this
# machine's mirror (apt_mirror; else deb.debian.org), lists and a cache in APT, the packages'
# architectures ARCH (comma-separated); then apt-get update there, its output in APT/update.log.
# Sets APT_OPTS, the options of apt-get for that state. On failure prints the log and why (WHO:
# the script's name) on stderr and exits 1.
apt_own_state() {
	local who=$1 apt=$2 arch mirror suite
	local -a archs
	IFS=, read -r -a archs <<<"$3"
	shift 3
	mirror=$(apt_mirror || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
	for suite in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
	done >"$apt/sources.list"
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	)
	for arch in "${archs[@]}"; do APT_OPTS+=(-o "APT::Architectures::=$arch"); done
	APT_OPTS+=(-o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
	apt-get "${APT_OPTS[@]}" update >"$apt/update.log" 2>&1 || {
		cat "$apt/update.log" >&2
		echo "$who: apt-get update of $* from $mirror failed" >&2
		exit 1
	}
}
