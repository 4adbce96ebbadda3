#!/bin/bash
# Live-ISO benchmark (a script, not a test), against nginx-light in the same run:
#   1. GET throughput of a file inside an ISO (/iso/<id>/files/...) against nginx serving the same
#      file extracted with xorriso, 1 and 4 clients, best of ROUNDS, on loopback;
#   2. PXE power-on to the userland marker of each live test ISO (tests/build-live-isos.sh):
#      through isoboot (iPXE ROM -> isoboot-menu's default entry, the ISO's boot recipe, files
#      from inside the ISO) against the same ISO unpacked and served by nginx, booted with the
#      same kernel parameters by a one-entry iPXE script (what netboot.xyz users do by hand).
#      QEMU TCG, SeaBIOS, 2 GiB, 2 CPUs, in a network namespace of its own.
# Usage: live-bench.sh [ROUNDS] [ISO...]   (default 3 rounds; debian-live.iso dracut-live.iso)
# PARTS="throughput boot" (the default) chooses the parts to run.
# Needs root; installs nginx-light when missing.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$SRC/tests/lib/vm.sh"
# shellcheck source=../lib/bench.sh
. "$SRC/tests/lib/bench.sh"
need_root
ROUNDS=${1:-3}
shift || true
ISOS=("$@")
[ ${#ISOS[@]} -gt 0 ] || ISOS=(debian-live.iso dracut-live.iso)
LIVE_DIR=${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live
MENU=$BUILD/src/menu/isoboot-menu
[ -x "$MENU" ] || { echo "build first: ninja -C $BUILD"; exit 1; }
need_nginx
trap 'vm_cleanup; cleanup_tmp' EXIT

# nginx_conf ROOT ADDR:PORT: a foreground nginx serving ROOT with sendfile, as menu-bench does.
nginx_conf() {
	cat <<-NGX
		daemon off;
		worker_processes 1;
		pid $TMP/nginx-$2.pid;
		error_log $TMP/nginx-error.log;
		user root;
		events { worker_connections 64; }
		http {
			access_log off;
			sendfile on;
			tcp_nopush on;
			server { listen $2; root $1; }
		}
	NGX
}

PARTS=${PARTS:-throughput boot}

# --- 1. Throughput of a file inside an ISO.
if [[ " $PARTS " == *" throughput "* ]]; then
	mkdir -p "$TMP/tree" "$TMP/iso" "$TMP/state" "$TMP/www"
	head -c $((1024 * 1024 * 1024)) /dev/urandom >"$TMP/tree/data.bin"
	xorriso -as mkisofs -R -J -o "$TMP/iso/bench.iso" "$TMP/tree" >/dev/null 2>&1
	rm -f "$TMP/tree/data.bin"
	xorriso -osirrox on -indev "$TMP/iso/bench.iso" -extract /data.bin "$TMP/www/data.bin" >/dev/null 2>&1
	write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
	"$SCAN" --config "$TMP/c.conf" 2>/dev/null
	ID=$(awk '$1 == "iso" { print $2; exit }' "$TMP/state/catalog")
	MP=$(free_port 48700)
	timeout 3600 "$MENU" --config "$TMP/c.conf" --listen "127.0.0.1:$MP" 2>/dev/null &
	VM_PIDS+=($!)
	NP=$(free_port $((MP + 1)))
	nginx_conf "$TMP/www" "127.0.0.1:$NP" >"$TMP/nginx-tp.conf"
	timeout 3600 nginx -c "$TMP/nginx-tp.conf" -p "$TMP" &
	VM_PIDS+=($!)
	wait_port "$MP"
	wait_port "$NP"
	cat "$TMP/iso/bench.iso" "$TMP/www/data.bin" >/dev/null # both in the page cache
	SIZE=$(stat -c %s "$TMP/www/data.bin")
	echo "=== GET of a 1 GiB file inside an ISO, loopback, best of $ROUNDS"
	printf '%-12s %16s %16s %7s\n' clients "isoboot-menu" "nginx-light" ratio
	bench_vs_nginx '%-12s %11s MB/s %11s MB/s %7s\n' @ "http://127.0.0.1:$MP/iso/$ID/files/data.bin" \
		"http://127.0.0.1:$NP/data.bin"

fi

# --- 2. Power-on to userland.
[[ " $PARTS " == *" boot "* ]] || exit 0
NS=isob-bench-$$
vm_netns_up "$NS" || { echo "cannot create network namespace $NS"; exit 1; }
mkdir -p "$TMP/live" "$TMP/lstate"
write_config "$TMP/l.conf" "$TMP/live" "$TMP/lstate"
for iso in "${ISOS[@]}"; do
	[ -s "$LIVE_DIR/$iso" ] || { echo "$LIVE_DIR/$iso missing (run tests/build-live-isos.sh)"; exit 1; }
	ln "$LIVE_DIR/$iso" "$TMP/live/$iso" 2>/dev/null || cp "$LIVE_DIR/$iso" "$TMP/live/$iso"
done
"$SCAN" --config "$TMP/l.conf" 2>/dev/null
CAT=$TMP/lstate/catalog
# dnsmasq sends iPXE to the URL in $TMP/next-url: the menu, or nginx's one-entry script.
boot_with() { # URL NAME: boots; BOOT_RESULT is the seconds to the marker (or FAIL)
	[ -z "${VM_DNSMASQ_PID:-}" ] || vm_stop "$VM_DNSMASQ_PID"
	{
		vm_dnsmasq_conf "$TMP/leases" "$TMP/dnsmasq.pid"
		echo "dhcp-boot=tag:ipxe,$1"
	} >"$TMP/dnsmasq.conf"
	vm_dnsmasq_start "$TMP/dnsmasq.conf" "$TMP/dnsmasq.log" >/dev/null
	VM_BOOT_MEM=2048 VM_BOOT_SMP=2
	if vm_boot "$2" bios 52:54:00:be:00:01 600 "$TMP/run-$2" "ISOBOOT-LIVE-USERLAND"; then
		BOOT_RESULT=$(vm_secs 0 "$VM_BOOT_MS")
	else
		BOOT_RESULT="FAIL($VM_BOOT_END)"
	fi
}
NGP=8080
results=()
for iso in "${ISOS[@]}"; do
	id=$(catalog_id_of "$CAT" "$iso")
	[ -n "$(catalog_field "$CAT" "$id" recipe)" ] || { echo "$iso has no recipe"; exit 1; }
	# The same ISO unpacked for nginx, and a script with the recipe's own parameters.
	www=$TMP/www-$id
	xorriso -osirrox on -indev "$TMP/live/$iso" -extract / "$www" >/dev/null 2>&1
	chmod -R a+rX "$www"
	base=http://$VM_SRV:$NGP
	kernel=$(catalog_field "$CAT" "$id" kernel)
	mapfile -t initrds < <(awk -v id="$id" '$1 == "iso" { c = $2 } c == id && $1 == "initrd" { print $2 }' "$CAT")
	append=$(catalog_field "$CAT" "$id" append)
	append=${append//\{files\}/$base}
	{
		echo '#!ipxe'
		printf 'kernel %s/%s' "$base" "$kernel"
		for i in "${initrds[@]}"; do printf ' initrd=%s' "${i##*/}"; done
		printf ' %s\n' "$append"
		for i in "${initrds[@]}"; do printf 'initrd %s/%s\n' "$base" "$i"; done
		echo boot
	} >"$www/boot.ipxe"
	nginx_conf "$www" "$VM_SRV:$NGP" >"$TMP/nginx-$id.conf"
	vm_spawn "$TMP/nginx-$id.log" nginx -c "$TMP/nginx-$id.conf" -p "$TMP"
	ngx=$VM_LAST_PID
	vm_wait_listen t "$NGP" 10
	# isoboot-menu as its socket unit runs it, with this ISO as the menu's default.
	write_config "$TMP/m.conf" "$TMP/live" "$TMP/lstate" "[menu]" "timeout = 1" "default = $iso"
	vm_spawn "$TMP/menu.log" systemd-socket-activate -l "$VM_SRV:80" "$MENU" --config "$TMP/m.conf"
	menu=$VM_LAST_PID
	vm_wait_listen t 80 10
	boot_with "http://$VM_SRV/boot.ipxe" "isoboot-$id"
	t_isoboot=$BOOT_RESULT
	boot_with "$base/boot.ipxe" "nginx-$id"
	t_nginx=$BOOT_RESULT
	vm_stop "$ngx"
	vm_stop "$menu"
	results+=("$(printf '%-18s %12s s %12s s' "$iso" "$t_isoboot" "$t_nginx")")
	rm -rf "$www"
done
echo "=== PXE power-on to the userland marker (QEMU TCG, SeaBIOS, 2 GiB, 2 CPUs)"
printf '%-18s %14s %14s\n' ISO isoboot "nginx (unpacked)"
printf '%s\n' "${results[@]}"
