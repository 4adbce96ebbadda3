#!/bin/bash
# isoboot-menu benchmark: GET throughput of one ISO against Debian's nginx-light serving the
# same file with sendfile, on loopback in the same run, and the time to generate the menu for
# N catalogued ISOs. Usage: menu-bench.sh [ROUNDS] [N_ISOS]   (a script, not a test)
# shellcheck source-path=SCRIPTDIR source=../lib/bench.sh
. "$(dirname "$0")/../lib/bench.sh"
bench_start menu src/menu/isoboot-menu
ROUNDS=${1:-5}
N=${2:-1000}

free_port() {
	local p
	for p in $(seq "$1" "$(($1 + 200))"); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# A 1 GiB file of real bytes (not sparse: a hole costs nothing to send).
mkdir -p "$T/iso" "$T/state" "$T/www"
bench_iso "$T/iso/bench.iso" 1024
ln "$T/iso/bench.iso" "$T/www/bench.iso"
SIZE=$(stat -c %s "$T/iso/bench.iso")
printf '[paths]\niso_dir = %s\nstate_dir = %s\n' "$T/iso" "$T/state" > "$T/c.conf"
"$SCAN" --config "$T/c.conf" 2>/dev/null
ID=$(awk '$1 == "iso" { print $2; exit }' "$T/state/catalog")

MP=$(free_port 48500)
"$MENU" --config "$T/c.conf" --listen "127.0.0.1:$MP" 2>/dev/null &
PIDS+=($!)
NP=$(free_port $((MP + 1)))
cat > "$T/nginx.conf" <<NGX
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	server {
		listen 127.0.0.1:$NP;
		root $T/www;
	}
}
NGX
nginx -c "$T/nginx.conf" -p "$T" &
PIDS+=($!)
wait_port "$MP"
wait_port "$NP"

cat "$T/iso/bench.iso" > /dev/null # page cache
printf '%-28s %12s %12s %8s\n' "GET of a 1 GiB ISO" "isoboot-menu" "nginx-light" "ratio"
bench_vs_nginx '%-28s %9s MB/s %9s MB/s %8s\n' "@ client(s)" "http://127.0.0.1:$MP/iso/$ID/bench.iso" \
	"http://127.0.0.1:$NP/bench.iso"

# The menu for N ISOs: a synthetic catalog, as isoboot-scan writes it.
{
	echo "ISOBOOT-CATALOG 1"
	for i in $(seq 1 "$N"); do
		id=$(printf 'iso%05d-%012x' "$i" "$i")
		printf 'iso %s\niqn iqn.2025-01.org.isoboot:%s\npath g%d/iso%05d.iso\ngroup g%d\nname iso %05d\nlabel L\nsize 1000000\nmtime 1700000000\nvolume-size 1000000\nboot bios noemul 20 4\n' \
			"$id" "$id" $((i % 20)) "$i" $((i % 20)) "$i"
		[ $((i % 3)) = 0 ] && echo "boot uefi noemul 30 8192"
	done
	echo "end $N"
} > "$T/state/catalog"
U=http://127.0.0.1:$MP/boot.ipxe
curl -s "$U" > "$T/menu"
grep -c '^item -- bios-iso' "$T/menu" > /dev/null
best=999999
for _ in $(seq 1 20); do
	t=$(curl -s -o /dev/null -w '%{time_total}' "$U")
	best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (b * 1000 < a) ? b * 1000 : a }')
done
printf '%-28s %9.2f ms  (%d bytes, best of 20, over HTTP)\n' "menu for $N ISOs" "$best" "$(stat -c %s "$T/menu")"
