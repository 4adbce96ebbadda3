#!/bin/bash
# Benchmark: isoboot-iscsi against tgt (Debian's tgtd serving the same file read-only), with
# libiscsi's iscsi-perf as the initiator, and iperf3 on loopback as the ceiling, in one run.
# Not a test: it prints a table. Needs root (tgtd), tgt, libiscsi-bin and iperf3.
# Usage: tests/bench/iscsi-bench.sh [SECONDS_PER_CASE]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ISOBOOT_BUILD:-$SRC/build}
SECS=${1:-8}
[ "$(id -u)" = 0 ] || { echo "iscsi-bench: needs root for tgtd"; exit 1; }
# The peers are installed here, not by tests/install-deps.sh: on a host where systemd runs,
# installing tgt also starts tgt.service on port 3260.
missing=()
for p in tgt libiscsi-bin iperf3 bc; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
W=$(mktemp -d /tmp/isoboot-bench-XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT

# The same 1 GiB of real (not sparse) data for both targets, warm in the page cache.
mkdir -p "$W/iso" "$W/state"
head -c 1G /dev/urandom > "$W/iso/data.iso.raw"
# isoboot only serves ISO 9660 images: put a real ISO header in front of the data.
cp "$SRC/.cache/built/plain.iso" "$W/iso/bench.iso" 2>/dev/null || bash "$SRC/tests/build-test-isos.sh" >/dev/null
cp "$SRC/.cache/built/plain.iso" "$W/iso/bench.iso"
cat "$W/iso/data.iso.raw" >> "$W/iso/bench.iso"
rm "$W/iso/data.iso.raw"
cat "$W/iso/bench.iso" > /dev/null
printf '[paths]\niso_dir = %s\nstate_dir = %s\n[iscsi]\ndevice_type = disk\n' "$W/iso" "$W/state" > "$W/c.conf"
"$BUILD/src/scan/isoboot-scan" --config "$W/c.conf" 2>/dev/null
IQN=$(awk '$1 == "iqn" { print $2; exit }' "$W/state/catalog")

P1=13260 P2=13261 CTL=13261
"$BUILD/src/iscsi/isoboot-iscsi" --config "$W/c.conf" --listen "127.0.0.1:$P1" 2> "$W/isoboot.log" &
PIDS+=($!)
ISOBOOT_PID=$!
# tgtd: own control port, own portal, the same file read-only on LUN 1 (LUN 0 is tgt's controller).
if tgtadm -C "$CTL" --op show --mode target >/dev/null 2>&1; then
	echo "iscsi-bench: a tgtd already answers on control port $CTL"; exit 1
fi
tgtd -f -C "$CTL" --iscsi "portal=127.0.0.1:$P2" > "$W/tgtd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do tgtadm -C "$CTL" --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done
tgtadm -C "$CTL" --lld iscsi --op new --mode target --tid 1 -T iqn.2025-01.org.isoboot.bench:tgt
tgtadm -C "$CTL" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$W/iso/bench.iso" \
	--bstype rdwr
tgtadm -C "$CTL" --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params readonly=1
tgtadm -C "$CTL" --lld iscsi --op bind --mode target --tid 1 -I ALL
iperf3 -s -1 -B 127.0.0.1 -p 13262 > /dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

# perf URL BLOCKS QD: prints bytes per second
perf() {
	local out iops
	out=$(timeout $((SECS + 30)) iscsi-perf -b "$2" -m "$3" -t "$SECS" "$1" 2>&1 | tr '\r' '\n')
	iops=$(echo "$out" | grep -o 'iops average [0-9]*' | tail -n1 | awk '{ print $3 }')
	echo $(( ${iops:-0} * $2 * 512 ))
}

# The resident memory of the process serving a connection, sampled mid-run.
sample_rss() {
	sleep $((SECS / 2))
	local child
	child=$(pgrep -P "$ISOBOOT_PID" | head -n1)
	[ -n "$child" ] && awk '/^VmRSS/ { print $2 }' "/proc/$child/status" > "$W/rss"
	[ -n "$child" ] && awk '/^RssAnon/ { print $2 }' "/proc/$child/status" > "$W/rssanon"
}

printf '%-14s %14s %14s %8s\n' case "isoboot MB/s" "tgt MB/s" ratio
declare -A R
for c in "4KiB QD1:8:1" "64KiB QD1:128:1" "64KiB QD16:128:16" "1MiB QD16:2048:16"; do
	IFS=: read -r name blocks qd <<< "$c"
	sampler=
	if [ "$name" = "1MiB QD16" ]; then
		sample_rss &
		sampler=$!
	fi
	a=$(perf "iscsi://127.0.0.1:$P1/$IQN/0" "$blocks" "$qd")
	[ -z "$sampler" ] || wait "$sampler" 2>/dev/null || true
	b=$(perf "iscsi://127.0.0.1:$P2/iqn.2025-01.org.isoboot.bench:tgt/1" "$blocks" "$qd")
	R[$name]=$a
	printf '%-14s %14.1f %14.1f %7.2fx\n' "$name" "$(echo "$a / 1000000" | bc -l)" \
		"$(echo "$b / 1000000" | bc -l)" "$(echo "$a / ($b + 1)" | bc -l)"
done
ip=$(iperf3 -c 127.0.0.1 -p 13262 -t "$SECS" -J 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8))')
printf '%-14s %14.1f\n' "iperf3 ceiling" "$(echo "$ip / 1000000" | bc -l)"
printf '1MiB QD16 against the iperf3 ceiling: %.0f %%\n' "$(echo "100 * ${R[1MiB QD16]} / $ip" | bc -l)"
printf 'resident memory of one connection process at 1MiB QD16: %s KiB (anonymous: %s KiB)\n' \
	"$(cat "$W/rss" 2>/dev/null || echo ?)" "$(cat "$W/rssanon" 2>/dev/null || echo ?)"
