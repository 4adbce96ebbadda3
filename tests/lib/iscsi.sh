# shellcheck shell=bash
# Helpers for tests of isoboot-iscsi: start it exactly as systemd does (one process per
# connection, Accept=yes) with systemd-socket-activate, on a free loopback port.
ISCSI=$BUILD/src/iscsi/isoboot-iscsi
ISCSI_PIDS=()


# start_target CONF LOG [BASE_PORT]: sets TARGET_PORT. The target lives until stop_targets
# (and at most 15 minutes).
start_target() {
	local conf=$1 log=$2 port
	port=$(free_port "${3:-47300}")
	timeout 900 systemd-socket-activate --accept -l "127.0.0.1:$port" \
		"$ISCSI" --config "$conf" >> "$log" 2>&1 &
	ISCSI_PIDS+=($!)
	for _ in $(seq 1 50); do
		ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	# shellcheck disable=SC2034  # for the tests that source this
	TARGET_PORT=$port
}

stop_targets() {
	local p
	for p in "${ISCSI_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${ISCSI_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ISCSI_PIDS=()
}

# iqn_of CATALOG RELPATH
iqn_of() { catalog_field "$1" "$(catalog_id_of "$1" "$2")" iqn; }

# cu_run LOG ARGS...: runs iscsi-test-cu, prints "passed failed" from its summary.
cu_run() {
	local log=$1; shift
	timeout 600 iscsi-test-cu "$@" > "$log" 2>&1 || true
	awk '$1 == "tests" { print $4, $5 }' "$log"
}
