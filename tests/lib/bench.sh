# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# Helpers for the benchmarks in tests/bench/ (scripts, not tests), against nginx-light on loopback.

# bench_start NAME PROGRAM...: strict mode; SRC, BUILD, CACHE and the build's programs as the
# tests have them (paths.sh); exits, asking for a build, when a PROGRAM (its path
# in the build) is not there; nginx-light (need_nginx); T, a temporary folder, and PIDS, the
# servers started, which the exit stops, T removed.
bench_start() {
	local p
	set -euo pipefail
	# shellcheck source-path=SCRIPTDIR source=paths.sh
	. "$(dirname "${BASH_SOURCE[0]}")/paths.sh"
	for p in "${@:2}"; do
		[ -x "$BUILD/$p" ] || { echo "build first: ninja -C $BUILD"; exit 1; }
	done
	need_nginx
	T=$(mktemp -d "/tmp/isoboot-$1-bench-XXXXXX")
	PIDS=()
	trap bench_stop EXIT
}
# shellcheck disable=SC2317  # called from the EXIT trap
bench_stop() {
	local p
	for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}

# need_nginx: installs nginx-light when there is no nginx; exits when that fails.
need_nginx() {
	command -v nginx >/dev/null ||
		apt-get install -y -q nginx-light >/dev/null 2>&1 || { echo "cannot install nginx-light"; exit 1; }
}

# wait_port PORT [TENTHS]: waits until something listens on TCP PORT, at most TENTHS tenths of a
# second (default 50).
wait_port() {
	for _ in $(seq 1 "${2:-50}"); do ss -Hltn "sport = :$1" | grep -q . && return; sleep 0.1; done
}

# bench_iso FILE MIB: an ISO of MIB MiB of real bytes (random: nothing compresses or is a hole),
# memtest86+ ($CACHE/isos, tests/fetch-isos.sh) padded; exits when memtest86+ is not there.
bench_iso() {
	SRC_ISO=$CACHE/isos/memtest86+x64.iso
	[ -s "$SRC_ISO" ] || { echo "run tests/fetch-isos.sh first"; exit 1; }
	cp "$SRC_ISO" "$1"
	head -c $(($2 * 1048576 - $(stat -c %s "$SRC_ISO"))) /dev/urandom >>"$1"
}

# bench_rate URL CLIENTS: the best MB/s of $ROUNDS rounds of CLIENTS whole GETs of URL at once,
# each $SIZE bytes.
bench_rate() {
	local best=0 r s e pids
	for _ in $(seq "$ROUNDS"); do
		s=$(date +%s%N)
		pids=()
		for _ in $(seq "$2"); do
			curl -s -o /dev/null "$1" &
			pids+=($!)
		done
		wait "${pids[@]}"
		e=$(date +%s%N)
		r=$((SIZE * $2 * 1000 / (e - s)))
		[ "$r" -gt "$best" ] && best=$r
	done
	echo "$best"
}

# bench_vs_nginx FORMAT LABEL ISOBOOT_URL NGINX_URL: for 1 and then 4 clients at once, a line
# printed with FORMAT (printf; its arguments: LABEL with each @ made the number of clients,
# isoboot's best MB/s, nginx's, and their ratio).
bench_vs_nginx() {
	local par m n
	for par in 1 4; do
		m=$(bench_rate "$3" "$par")
		n=$(bench_rate "$4" "$par")
		# shellcheck disable=SC2059  # the caller's format
		printf "$1" "${2//@/$par}" "$m" "$n" "$(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.2f", a / b }')"
	done
}
