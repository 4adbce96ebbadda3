# shellcheck shell=bash
# Sourced by the integration tests. Each test is a bash script that meson runs; exit 0 passes,
# 77 skips (turned into a failure when ISOBOOT_REQUIRE_ALL=1, as in CI), anything else fails.
set -euo pipefail

# SRC, BUILD, CACHE and the build's programs (SCAN, MENU, ISCSI, PD, WEB, PASSWD).
# shellcheck source-path=SCRIPTDIR source=paths.sh
. "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
FAILS=0
TEST_NAME=$(basename "$0" .sh)

log() { printf '# %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILS=$((FAILS + 1)); }
pass() { printf 'ok: %s\n' "$*"; }

# check DESCRIPTION COMMAND...: runs the command, records pass or fail.
check() {
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

skip() {
	if [ "${ISOBOOT_REQUIRE_ALL:-0}" = 1 ]; then
		echo "FAIL: required but unavailable: $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done; }

# need_built PROGRAM...: skips the test when a program of the build is not there.
need_built() { local t; for t in "$@"; do [ -x "$t" ] || skip "$(basename "$t") is not built ($t)"; done; }

# A fresh temporary directory, removed on exit.
TMP=$(mktemp -d "/tmp/isoboot-$TEST_NAME-XXXXXX")
cleanup_tmp() { case $TMP in /tmp/isoboot-*) rm -rf "$TMP" ;; esac; }

# menu_start CONF PORT LOG [ADDR]: isoboot-menu as its socket unit starts it (Accept=no, through
# systemd-socket-activate, which execs it), on ADDR:PORT (default 127.0.0.1), in the background,
# bounded to 900 s. MENU_PID is the `timeout` wrapper (to kill and wait for), MENU_DAEMON the
# process that becomes the daemon at the first connection (to measure; systemd-socket-activate
# execs it then). Returns 1 when it does not listen within 5 s.
MENU_PID=
MENU_DAEMON=
menu_start() {
	local conf=$1 port=$2 log=$3 addr=${4:-127.0.0.1}
	timeout 900 systemd-socket-activate -l "$addr:$port" "$BUILD/src/menu/isoboot-menu" \
		--config "$conf" >"$log" 2>&1 &
	MENU_PID=$!
	for _ in $(seq 1 50); do
		MENU_DAEMON=$(pgrep -P "$MENU_PID" | head -n1)
		[ -n "$MENU_DAEMON" ] && ss -Hltn "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
# shellcheck disable=SC2317  # called from the EXIT trap
menu_stop() { [ -z "$MENU_PID" ] || kill "$MENU_PID" 2>/dev/null || true; }

# serve NAME PORT COMMAND...: runs a daemon (or a test server) in the background, bounded to
# 900 s, its output appended to $TMP/NAME.log, and waits until something listens on TCP PORT;
# if nothing does within 10 s, prints the log, fails and finishes the test. SERVED_PIDS has them
# all (the `timeout` wrappers), LAST_PID the last one; served_stop stops them.
SERVED_PIDS=()
LAST_PID=
serve() {
	local name=$1 port=$2
	shift 2
	timeout 900 "$@" >>"$TMP/$name.log" 2>&1 &
	LAST_PID=$!
	SERVED_PIDS+=("$LAST_PID")
	for _ in $(seq 1 100); do ss -Hltn "sport = :$port" | grep -q . && return 0; sleep 0.1; done
	cat "$TMP/$name.log"
	fail "$name does not listen on $port"
	finish
}
# shellcheck disable=SC2317  # called from the EXIT trap
served_stop() {
	local p
	for p in "${SERVED_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${SERVED_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	SERVED_PIDS=()
}
trap 'served_stop; menu_stop; cleanup_tmp' EXIT

# Third-party ISOs fetched by tests/fetch-isos.sh.
third_party_iso() {
	local f=$CACHE/isos/$1
	[ -s "$f" ] || skip "$1 not fetched (run tests/fetch-isos.sh)"
	echo "$f"
}

# ISOs built by tests/build-test-isos.sh.
built_iso() {
	local f=$CACHE/built/$1
	[ -s "$f" ] || skip "$1 not built (run tests/build-test-isos.sh)"
	echo "$f"
}

# place FROM TO: TO as a hard link to FROM, or a copy (sparse: big.iso is 4.5 GiB apparent, a
# few MB on disk) where a link cannot be made.
place() { ln "$1" "$2" 2>/dev/null || cp --sparse=always "$1" "$2"; }

# free_port [BASE]: the first loopback port from BASE on (200 tried) that no TCP or UDP socket
# uses in any state: a client's connection (an ephemeral port, or one in TIME_WAIT) on it would
# make the bind fail, SO_REUSEADDR or not.
free_port() {
	local p base=${1:-47200}
	for p in $(seq "$base" "$((base + 200))"); do
		if ! ss -Htuan "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
	done
	return 1
}

# write_config FILE ISO_DIR STATE_DIR [extra lines]
write_config() {
	local f=$1 iso=$2 state=$3; shift 3
	{
		printf '[paths]\niso_dir = %s\nstate_dir = %s\n' "$iso" "$state"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$f"
}

# catalog_field CATALOG ID KEY: the first value of KEY in the record of ID.
catalog_field() {
	awk -v id="$2" -v key="$3" '
		$1 == "iso" { cur = $2; next }
		cur == id && $1 == key { sub(/^[^ ]* /, ""); print; exit }' "$1"
}

# catalog_id_of CATALOG PATH: the id whose path is PATH.
catalog_id_of() {
	awk -v p="$2" '$1 == "iso" { cur = $2 } $1 == "path" && substr($0, 6) == p { print cur; exit }' "$1"
}

# guard_isos PATH...: records the SHA-256 of each file (of every regular file under a folder);
# finish checks each is unchanged, as isoboot never writes to an ISO. Files a test changes on
# purpose are left out by guarding before or beside them, never after.
# A file past 64 GiB (a sparse test image) is fingerprinted by its size, its mtime and the
# SHA-256 of its first 64 MiB: hashing terabytes of holes would take hours.
GUARD_FILES=()
GUARD_SUMS=()
iso_sha256() {
	local size
	size=$(stat -c %s "$1") || return 1
	if [ "$size" -gt $((64 << 30)) ]; then
		printf '%s %s ' "$size" "$(stat -c %Y "$1")"
		head -c $((64 << 20)) "$1" | openssl dgst -sha256 -r | cut -d' ' -f1
	else
		openssl dgst -sha256 -r "$1" | cut -d' ' -f1
	fi
}
guard_isos() {
	local p f
	for p in "$@"; do
		while IFS= read -r -d '' f; do
			GUARD_FILES+=("$f")
			GUARD_SUMS+=("$(iso_sha256 "$f")")
		done < <(find "$p" -type f -print0)
	done
}

# guard_mv FROM TO: moves a guarded file (a test removing an ISO from the folder) and keeps
# guarding it at its new path.
guard_mv() {
	local i
	mv "$1" "$2" || return 1
	for i in "${!GUARD_FILES[@]}"; do
		[ "${GUARD_FILES[$i]}" != "$1" ] || GUARD_FILES[i]=$2
	done
}

check_guarded_isos() {
	local i changed=0
	[ "${#GUARD_FILES[@]}" -gt 0 ] || return 0
	for i in "${!GUARD_FILES[@]}"; do
		if [ "$(iso_sha256 "${GUARD_FILES[$i]}" 2>/dev/null)" != "${GUARD_SUMS[$i]}" ]; then
			fail "$(printf '%q' "${GUARD_FILES[$i]}") changed: an ISO was written to"
			changed=1
		fi
	done
	[ "$changed" = 1 ] || pass "the ${#GUARD_FILES[@]} ISO file(s) served have the SHA-256 they had at the start"
}

finish() {
	check_guarded_isos
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS check(s) failed"
		exit 1
	fi
	echo "$TEST_NAME: all checks passed"
	exit 0
}
