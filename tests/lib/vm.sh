# shellcheck shell=bash disable=SC2034  # VM_* variables are for the scripts that source this
# Helpers for the QEMU network-boot tests (tests/vm/, and the QEMU boots of tests/system/story.sh,
# tests/bench/live-bench.sh and tests/demo.sh); sourced after tests/lib/common.sh.
#
# The test network is a network namespace of the test's own, with a bridge (192.0.2.1/24 and
# 2001:db8:1::1/64, documentation addresses only) and a tap device that QEMU attaches to. There
# is no uplink and no route out. Every server and every QEMU runs inside that namespace under
# `timeout`, its PID is recorded, and vm_cleanup stops exactly those PIDs (and whatever is left
# inside the namespace, which only this test can have started) before it deletes the namespace.
#
# Every wait is bounded both in iterations and in time.

VM_SRV=192.0.2.1                 # the bridge: DHCP, iSCSI
VM_SRV6=2001:db8:1::1            # the bridge: IPv6 router advertisements only
VM_BR=br0
VM_TAP=tap0
VM_NS=""                         # the namespace, once vm_netns_up has created it
VM_NS_DHCP=""                    # the site DHCP server's, once vm_site_dhcp_up has created it
VM_PIDS=()                       # PIDs of the `timeout` wrappers started by vm_spawn
VM_SRV_TMO=${VM_SRV_TMO:-1800}   # upper bound in seconds for every server process

VM_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
VM_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
# EDK2 for QEMU's ARM64 virt board (package qemu-efi-aarch64).
VM_AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
VM_AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
# QEMU's default option ROM of the e1000 NIC (package ipxe-qemu): iPXE for BIOS and UEFI in one.
VM_NIC_ROM=/usr/lib/ipxe/qemu/efi-e1000.rom

# Milliseconds since the epoch, and a duration in seconds with one decimal.
vm_ms() { echo $(($(date +%s%N) / 1000000)); }
vm_secs() { # START_MS [END_MS]
	local d=$((${2:-$(vm_ms)} - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# True while PID exists and is not a zombie.
vm_running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# vm_missing_tools CMD|/FILE...: prints those that are missing (commands looked up in PATH, and
# absolute paths as files).
vm_missing_tools() {
	local t
	for t in "$@"; do
		case $t in
		/*) [ -e "$t" ] || echo "$t" ;;
		*) command -v "$t" >/dev/null 2>&1 || echo "$t" ;;
		esac
	done
}

# vm_need_tools [--hint TEXT] CMD|/FILE...: skips the test, naming what is missing (and TEXT, in
# parentheses), when any is.
vm_need_tools() {
	local hint="" missing
	if [ "$1" = --hint ]; then
		hint=" ($2)"
		shift 2
	fi
	missing=$(vm_missing_tools "$@")
	[ -z "$missing" ] || skip "needs ${missing//$'\n'/ }$hint"
}

# vm_test_start NAME [LEFTOVER...]: sets LOGS ($ISOBOOT_VM_LOGS, default
# $BUILD/tests/vm-logs/NAME), makes it, removes the LEFTOVERs of an earlier run there (names or
# globs, relative to LOGS), and sets the traps: vm_cleanup and cleanup_tmp on exit.
vm_test_start() {
	local g
	LOGS=${ISOBOOT_VM_LOGS:-$BUILD/tests/vm-logs/$1}
	shift
	mkdir -p "$LOGS"
	# shellcheck disable=SC2086  # the globs are meant to expand
	for g in "$@"; do rm -rf "${LOGS:?}"/$g; done
	trap 'exit 130' INT TERM
	trap 'vm_cleanup; cleanup_tmp' EXIT
}

# vm_scan CONF: isoboot-scan on CONF (whose state_dir is $TMP/state), its output in
# $LOGS/scan.log and a copy of the catalog in $LOGS/catalog; fails and finishes the test when it
# fails.
vm_scan() {
	"$SCAN" --config "$1" >"$LOGS/scan.log" 2>&1 || { cat "$LOGS/scan.log"; fail "isoboot-scan"; finish; }
	cp "$TMP/state/catalog" "$LOGS/catalog"
}

# vm_tftp_root DIR NAME=FILE...: a TFTP root of the boot chain: each FILE as DIR/NAME, and
# assets/tftp's chain.ipxe and pxelinux.cfg/default, readable by in.tftpd.
vm_tftp_root() {
	local d=$1 f
	shift
	mkdir -p "$d/pxelinux.cfg"
	for f in "$@"; do cp "${f#*=}" "$d/${f%%=*}"; done
	cp "$SRC/assets/tftp/chain.ipxe" "$d/"
	cp "$SRC/assets/tftp/pxelinux.cfg/default" "$d/pxelinux.cfg/"
	chmod -R a+rX "$d"
}

# vm_cell_mac BYTE ID: the MAC address of a cell's VM, 52:54:00:BYTE:00:NN, NN the cell's letter
# ID as a number (a = 01).
vm_cell_mac() { printf '52:54:00:%s:00:%02x' "$1" "$(($(printf '%d' "'$2") - 96))"; }

# vm_netns_up NAME: creates the namespace with the bridge and the tap; fails if NAME exists.
vm_netns_up() {
	local ns=$1
	if [ -e "/run/netns/$ns" ]; then
		echo "netns $ns already exists" >&2
		return 1
	fi
	ip netns add "$ns" || return 1
	VM_NS=$ns
	ip -n "$ns" link set lo up &&
		ip -n "$ns" link add "$VM_BR" type bridge stp_state 0 forward_delay 0 &&
		ip -n "$ns" addr add "$VM_SRV/24" dev "$VM_BR" &&
		# For the IPv6 RA: without it, iPXE's "Configuring" waits ~16 s per boot for IPv6.
		# nodad: usable at once, so the first RA is not delayed.
		ip -n "$ns" addr add "$VM_SRV6/64" dev "$VM_BR" nodad &&
		ip -n "$ns" link set "$VM_BR" up &&
		ip -n "$ns" tuntap add "$VM_TAP" mode tap &&
		ip -n "$ns" link set "$VM_TAP" master "$VM_BR" &&
		ip -n "$ns" link set "$VM_TAP" up
}

# vm_test_netns: the test's namespace isob-PID (NS) with the bridge and the tap; skips the test
# when it cannot be made.
vm_test_netns() {
	NS=isob-$$
	vm_netns_up "$NS" || skip "cannot create network namespace $NS with a bridge and a tap"
}

# vm_spawn LOG CMD...: runs CMD in the namespace under `timeout $VM_SRV_TMO`, in the background,
# stdout and stderr appended to LOG. Sets VM_LAST_PID (the `timeout` wrapper) and records it.
vm_spawn() {
	local log=$1
	shift
	ip netns exec "$VM_NS" timeout -k 5 "$VM_SRV_TMO" "$@" >>"$log" 2>&1 </dev/null &
	VM_LAST_PID=$!
	VM_PIDS+=("$VM_LAST_PID")
}

# vm_stop PID: SIGTERM (`timeout` passes it on), SIGKILL after 5 s, then reaps it.
vm_stop() {
	local p=$1 i
	vm_running "$p" || { wait "$p" 2>/dev/null || true; return 0; }
	kill "$p" 2>/dev/null || true
	for i in $(seq 50); do
		vm_running "$p" || break
		sleep 0.1
	done
	vm_running "$p" && kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null || true
}

# vm_wait_listen PROTO PORT [SECONDS]: waits until something in the namespace listens there
# (PROTO t for TCP, u for UDP).
vm_wait_listen() {
	local proto=$1 port=$2 tmo=${3:-10} end i
	end=$(($(date +%s) + tmo))
	for i in $(seq $((tmo * 10))); do
		ip netns exec "$VM_NS" ss -Hln"$proto" "sport = :$port" 2>/dev/null | grep -q . && return 0
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.1
	done
	return 1
}

# vm_wait_closed PROTO PORT: waits (up to 5 s) until nothing in the namespace listens there.
vm_wait_closed() {
	for _ in $(seq 50); do
		ip netns exec "$VM_NS" ss -Hln"$1" "sport = :$2" | grep -q . || break
		sleep 0.1
	done
}

# vm_dnsmasq_start CONF LOG: dnsmasq in the foreground in the namespace; waits for port 67.
vm_dnsmasq_start() {
	vm_spawn "$2" dnsmasq --keep-in-foreground --user=root --conf-file="$1" --log-facility=-
	VM_DNSMASQ_PID=$VM_LAST_PID
	vm_wait_listen u 67 10
}

# vm_dnsmasq_conf LEASES PIDFILE: prints the common part of a dnsmasq configuration for the
# bridge: DHCP 192.0.2.100-199 (no DNS: port=0), IPv6 RA only, tag "ipxe" for iPXE clients.
vm_dnsmasq_conf() {
	cat <<-EOF
		port=0
		interface=$VM_BR
		bind-interfaces
		dhcp-range=192.0.2.100,192.0.2.199,255.255.255.0,10m
		dhcp-leasefile=$1
		pid-file=$2
		no-ping
		log-dhcp
		enable-ra
		dhcp-range=2001:db8:1::,ra-only,64
		dhcp-userclass=set:ipxe,iPXE
	EOF
}

# vm_dnsmasq_boot_lines: the dhcp-boot lines of the boot chain, one per client class, each class
# matching exactly one: a plain BIOS PXE ROM (or an iPXE tagged "pxerom", standing in for one)
# gets pxelinux.0, UEFI PXE (tag efi64) snponly.efi, iPXE the menu.
vm_dnsmasq_boot_lines() {
	cat <<-EOF
		dhcp-boot=tag:!ipxe,tag:!efi64,pxelinux.0,,$VM_SRV
		dhcp-boot=tag:ipxe,tag:pxerom,tag:!efi64,pxelinux.0,,$VM_SRV
		dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi,,$VM_SRV
		dhcp-boot=tag:ipxe,tag:!pxerom,http://$VM_SRV/boot.ipxe,,$VM_SRV
	EOF
}

# vm_dnsmasq_efi64: the dnsmasq lines that tag UEFI x86-64 PXE clients (architecture 7 or 9)
# efi64.
vm_dnsmasq_efi64() {
	echo "dhcp-match=set:efi64,option:client-arch,7"
	echo "dhcp-match=set:efi64,option:client-arch,9"
}

# vm_site_dhcp_up CONF LOG: the site's DHCP server of the ProxyDHCP tests, another host of the
# LAN that knows nothing about PXE: a namespace $VM_NS-dhcp joined to the bridge by a veth (dh0,
# 192.0.2.2/24 and 2001:db8:1::2/64), and in it dnsmasq with a dhcp-range and nothing else (no
# boot file, no next-server, no PXE option, no user-class match; an IPv6 RA, which saves iPXE
# ~13 s per boot). Writes its configuration to CONF, appends its output to LOG, leases to
# $TMP/dnsmasq.leases. Returns 2 when the namespace cannot be made (a reason to skip), 1 when
# dnsmasq does not listen within 10 s. vm_cleanup removes the namespace.
vm_site_dhcp_up() {
	local conf=$1 log=$2 ns=$VM_NS-dhcp i
	if [ -e "/run/netns/$ns" ]; then
		echo "netns $ns already exists" >&2
		return 2
	fi
	ip netns add "$ns" || return 2
	VM_NS_DHCP=$ns
	{ ip link add vdhcp netns "$VM_NS" type veth peer name dh0 netns "$ns" &&
		ip -n "$VM_NS" link set vdhcp master "$VM_BR" &&
		ip -n "$VM_NS" link set vdhcp up &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add 192.0.2.2/24 dev dh0 &&
		ip -n "$ns" addr add 2001:db8:1::2/64 dev dh0 nodad &&
		ip -n "$ns" link set dh0 up; } || return 2
	cat >"$conf" <<-EOF
		# The site's DHCP server: addresses only. Nothing here knows about PXE or isoboot.
		port=0
		interface=dh0
		bind-interfaces
		dhcp-range=192.0.2.100,192.0.2.199,255.255.255.0,10m
		dhcp-leasefile=$TMP/dnsmasq.leases
		pid-file=$TMP/dnsmasq.pid
		no-ping
		log-dhcp
		enable-ra
		dhcp-range=2001:db8:1::,ra-only,64
	EOF
	ip netns exec "$ns" timeout -k 5 "$VM_SRV_TMO" dnsmasq --keep-in-foreground --user=root \
		--conf-file="$conf" --log-facility=- >>"$log" 2>&1 </dev/null &
	VM_PIDS+=("$!")
	for i in $(seq 100); do
		ip netns exec "$ns" ss -Hlnu 'sport = :67' | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# vm_site_dhcp CONF LOG: vm_site_dhcp_up for a test that needs it: skips when the namespace cannot
# be made, fails and finishes the test when dnsmasq does not start.
vm_site_dhcp() {
	local rc=0
	vm_site_dhcp_up "$1" "$2" || rc=$?
	[ "$rc" != 2 ] || skip "cannot create the DHCP server's namespace $VM_NS-dhcp"
	[ "$rc" = 0 ] || { cat "$2"; fail "dnsmasq did not start"; finish; }
}

# vm_proxydhcp_start CONF LOG: isoboot-proxydhcp as its socket unit starts it (67 and 4011/udp,
# systemd-socket-activate), with --debug, then one datagram of ours: the one that starts a
# socket-activated daemon comes before its IP_PKTINFO (systemd's PassPacketInfo=yes would set
# it, systemd-socket-activate cannot), so this makes the VMs' first requests count. Sets
# VM_PROXYDHCP_PID. Returns 1, LOG printed and the failure recorded, when it does not start.
vm_proxydhcp_start() {
	local conf=$1 log=$2
	vm_spawn "$log" systemd-socket-activate --datagram -l 0.0.0.0:67 -l 0.0.0.0:4011 \
		"$PD" --config "$conf" --debug
	VM_PROXYDHCP_PID=$VM_LAST_PID
	vm_wait_listen u 4011 10 || { cat "$log"; fail "nothing listens on 4011/udp"; return 1; }
	ip netns exec "$VM_NS" bash -c 'printf x >/dev/udp/127.0.0.1/67' 2>/dev/null || true
	for _ in $(seq 50); do
		grep -q 'Answering PXE clients' "$log" && return 0
		sleep 0.1
	done
	cat "$log"
	fail "isoboot-proxydhcp did not start"
	return 1
}

# vm_tftpd_start ROOT LOG: tftp-hpa's in.tftpd on ROOT as isoboot-tftp.socket starts it
# (systemd-socket-activate --datagram --inetd, $VM_SRV:69), its log in LOG; waits for the port.
# in.tftpd logs only to syslog (/dev/log, opened before it chroots), so it runs in a mount
# namespace of its own whose /dev is a folder of the test's: /dev/log there is a socket that a
# small listener writes to LOG, /dev/null and friends are the real ones. Needs python3, unshare
# and mount. Returns 1, LOG saying why, when something does not start.
vm_tftpd_start() {
	local root=$1 log=$2 dev=$TMP/dev i
	local lis=${log%.log}-listener.log act=${log%.log}-activate.log
	: >"$log"
	mkdir -p "$dev"
	vm_spawn "$lis" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(65536).decode("utf-8", "replace").rstrip("\n\0") + "\n")
' "$dev/log" "$log"
	for i in $(seq 50); do
		[ -S "$dev/log" ] && break
		sleep 0.1
	done
	[ -S "$dev/log" ] || { echo "the syslog listener for in.tftpd did not start" >>"$log"; return 1; }
	# shellcheck disable=SC2016  # the sh -c script expands its own arguments
	vm_spawn "$act" unshare -m --propagation private sh -ec '
		d=$1
		shift
		for f in null zero urandom; do
			: >"$d/$f"
			mount --bind "/dev/$f" "$d/$f"
		done
		mount --rbind "$d" /dev
		exec "$@"' sh "$dev" \
		systemd-socket-activate --datagram --inetd -l "$VM_SRV:69" in.tftpd -v -s "$root"
	vm_wait_listen u 69 10 && return 0
	cat "$act" >>"$log" 2>/dev/null || true
	echo "nothing listens on $VM_SRV:69/udp" >>"$log"
	return 1
}

# vm_iscsi_start CONF LOG [OPTION...]: isoboot-iscsi as its socket unit starts it (Accept=yes:
# systemd-socket-activate --accept -l $VM_SRV:3260), with --config CONF and the OPTIONs; fails and
# finishes the test when nothing listens within 10 s.
vm_iscsi_start() {
	local conf=$1 log=$2
	shift 2
	vm_spawn "$log" systemd-socket-activate --accept -l "$VM_SRV:3260" "$ISCSI" \
		--config "$conf" "$@"
	vm_wait_listen t 3260 10 || { cat "$log"; fail "nothing listens on $VM_SRV:3260"; finish; }
}

# vm_iscsi_hangup: ends the target's side of the established iSCSI connections in the namespace
# (ss -K): a VM that is gone did not log out. Prints ss's complaints (a kernel without
# CONFIG_INET_DIAG_DESTROY says "not supported").
vm_iscsi_hangup() {
	# shellcheck disable=SC2069  # its stderr to the caller, its stdout to nowhere
	ip netns exec "$VM_NS" ss -K state established '( sport = :3260 )' 2>&1 >/dev/null || true
}

# vm_iscsi_logins LOG IP ISO: how many logins of IP to ISO isoboot-iscsi's LOG has, after waiting
# up to 3 s for the first (the log may lag behind the boot).
vm_iscsi_logins() {
	for _ in $(seq 30); do
		[ "$(vm_lines "$1" "Login from $2 (" "normal session to $3")" -ge 1 ] && break
		sleep 0.1
	done
	vm_lines "$1" "Login from $2 (" "normal session to $3"
}

# vm_menu_start CONF LOG: isoboot-menu as its socket unit starts it (Accept=no,
# systemd-socket-activate -l $VM_SRV:80); waits for the port. Sets VM_MENU_PID.
# vm_menu_stop: stops it, if it runs, and waits until port 80 is free.
VM_MENU_PID=
vm_menu_start() {
	vm_spawn "$2" systemd-socket-activate -l "$VM_SRV:80" "$MENU" --config "$1"
	VM_MENU_PID=$VM_LAST_PID
	vm_wait_listen t 80 10
}
vm_menu_stop() {
	[ -z "$VM_MENU_PID" ] || vm_stop "$VM_MENU_PID"
	VM_MENU_PID=
	vm_wait_closed t 80
}

# vm_ip_of MAC [LEASES]: the address dnsmasq leased to MAC (LEASES: $TMP/dnsmasq.leases).
vm_ip_of() { awk -v m="$1" '$2 == m { print $3; exit }' "${2:-$TMP/dnsmasq.leases}" 2>/dev/null; }

# vm_lines LOG PATTERN...: how many lines of LOG contain every PATTERN (fixed strings).
vm_lines() {
	local f=$1
	shift
	awk 'BEGIN { for (i = 1; i < ARGC; i++) pat[i] = ARGV[i]; n = ARGC - 1; ARGC = 1 }
		{ for (i = 1; i <= n; i++) if (index($0, pat[i]) == 0) next; c++ }
		END { print c + 0 }' "$@" <"$f"
}

# vm_boot NAME FW MAC TIMEOUT DIR STRING...: boots QEMU (TCG) from its e1000 NIC (iPXE option ROM)
# on the tap, serial console to DIR/serial.log, and waits until every STRING appears on the
# serial console, QEMU exits, or TIMEOUT seconds pass. FW is bios (SeaBIOS; graphics=off puts
# its console, and iPXE's, on the serial port), efi (OVMF, which mirrors its console to the
# serial port) or arm64 (qemu-system-aarch64's virt board, a Cortex-A57, with AAVMF, whose
# console is the board's PL011 UART, the serial port; give it a VM_BOOT_NIC, as the e1000's ROM
# is x86 code). Returns 0 only when every STRING was seen. Sets VM_BOOT_MS (time from the start
# of QEMU until the last STRING was seen, or until it gave up), VM_BOOT_END (all, exited,
# timeout) and VM_BOOT_HALTED (1 when QEMU exited by itself within VM_BOOT_GRACE seconds, default
# 0, after the last STRING).
# Optional settings, for the boot matrix:
#   VM_BOOT_NIC      the NIC model and its options instead of the e1000 with the iPXE ROM, e.g.
#                    "virtio-net-pci,romfile=" (no option ROM: OVMF's own PXE)
#   VM_BOOT_MONITOR  path of a QEMU monitor socket to open (for vm_screendump)
#   VM_BOOT_CHECK    a command run as `CMD DIR STRING...` instead of the serial match (e.g. OCR
#                    of the screen); vm_boot is done when it returns 0
#   VM_BOOT_MEM      the guest's RAM in MiB (default 512)
#   VM_BOOT_SMP      its CPUs (default 1)
#   VM_BOOT_EXTRA    an array of further QEMU options (e.g. -fw_cfg for OVMF)
vm_boot() {
	local name=$1 fw=$2 mac=$3 tmo=$4 dir=$5
	shift 5
	local fwopt=() start qpid end i check=(vm_serial_has "$dir/serial.log") mon=()
	local qemu=(qemu-system-x86_64)
	local nic=${VM_BOOT_NIC:-e1000,romfile=$VM_NIC_ROM}
	[ -z "${VM_BOOT_CHECK:-}" ] || check=("$VM_BOOT_CHECK" "$dir")
	[ -z "${VM_BOOT_MONITOR:-}" ] || mon=(-monitor "unix:$VM_BOOT_MONITOR,server,nowait")
	mkdir -p "$dir"
	: >"$dir/serial.log"
	case $fw in
	bios)
		fwopt=(-machine graphics=off)
		;;
	efi)
		cp "$VM_OVMF_VARS" "$dir/vars.fd"
		fwopt=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd")
		;;
	arm64)
		# 64 MiB of mostly zeros (pflash's size), kept with the logs: sparse.
		cp --sparse=always "$VM_AAVMF_VARS" "$dir/vars.fd"
		qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57)
		fwopt=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_AAVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd")
		;;
	*)
		echo "vm_boot: unknown firmware $fw" >&2
		return 2
		;;
	esac
	start=$(vm_ms)
	ip netns exec "$VM_NS" timeout -k 5 $((tmo + 15)) \
		"${qemu[@]}" -name "$name" -accel tcg -smp "${VM_BOOT_SMP:-1}" -m "${VM_BOOT_MEM:-512}" \
		-display none -no-reboot \
		"${fwopt[@]}" "${mon[@]}" ${VM_BOOT_EXTRA[@]+"${VM_BOOT_EXTRA[@]}"} \
		-netdev "tap,id=n0,ifname=$VM_TAP,script=no,downscript=no" \
		-device "$nic,netdev=n0,mac=$mac,bootindex=1" \
		-serial "file:$dir/serial.log" >"$dir/qemu.log" 2>&1 </dev/null &
	qpid=$!
	VM_PIDS+=("$qpid")
	VM_BOOT_END=timeout
	VM_BOOT_HALTED=0
	end=$((start + tmo * 1000))
	for i in $(seq $((tmo * 5 + 5))); do
		if "${check[@]}" "$@"; then
			VM_BOOT_END=all
			break
		fi
		if ! vm_running "$qpid"; then
			VM_BOOT_END=exited
			break
		fi
		[ "$(vm_ms)" -lt "$end" ] || break
		sleep 0.2
	done
	VM_BOOT_MS=$(($(vm_ms) - start))
	# QEMU may have printed the last strings just before it exited.
	if [ "$VM_BOOT_END" != all ] && [ -z "${VM_BOOT_CHECK:-}" ] &&
		vm_serial_has "$dir/serial.log" "$@"; then
		VM_BOOT_END=all
	fi
	# A guest that powers off by itself once done: give it VM_BOOT_GRACE seconds, so that it
	# ends its I/O (and its TCP acknowledgements) cleanly.
	if [ "$VM_BOOT_END" = all ]; then
		for i in $(seq $((${VM_BOOT_GRACE:-0} * 10))); do
			vm_running "$qpid" || break
			sleep 0.1
		done
		vm_running "$qpid" || VM_BOOT_HALTED=1
	fi
	vm_stop "$qpid"
	[ "$VM_BOOT_END" = all ]
}

# vm_serial_text LOG: the serial log as text (no CR, no NUL, no ANSI escapes).
vm_serial_text() {
	tr -d '\r\000' <"$1" 2>/dev/null | sed 's/\x1b\[[0-9;?=]*[A-Za-z]//g'
}

# vm_serial_has LOG STRING...: true when every STRING is in the serial log.
vm_serial_has() {
	local log=$1 text s
	shift
	text=$(vm_serial_text "$log")
	for s in "$@"; do
		[[ $text == *"$s"* ]] || return 1
	done
}

# vm_serial_missing LOG STRING...: the STRINGs not on the serial console, each quoted, on one
# line (for a failure message).
vm_serial_missing() {
	local log=$1 s
	shift
	for s in "$@"; do
		vm_serial_has "$log" "$s" || printf ' "%s"' "$s"
	done
}

# vm_serial_tail LOG: the last 25 non-empty lines of the serial console, framed.
vm_serial_tail() {
	echo "--- last lines of $1"
	vm_serial_text "$1" | grep -v '^[[:space:]]*$' | tail -n 25 || true
	echo "---"
}

# vm_boot_failed WHAT LOG STRING...: the failure of a vm_boot: "WHAT: how it ended after how many
# seconds; missing on serial: the STRINGs not on the serial console LOG", then its last lines.
vm_boot_failed() {
	local what=$1 log=$2
	shift 2
	fail "$what: $VM_BOOT_END after $(vm_secs 0 "$VM_BOOT_MS") s; missing on serial:$(vm_serial_missing "$log" "$@")"
	vm_serial_tail "$log"
}

# The checks of a VM's chain in the servers' logs.
# ck WHAT CMD...: passes or fails "$CK_CELL: WHAT" (WHAT alone while CK_CELL is empty) as CMD
# returns; a failure also sets verdict=FAIL (the verdict of the cell, or of the test's boot).
CK_CELL=
ck() {
	local what=${CK_CELL:+$CK_CELL: }$1
	if "${@:2}"; then pass "$what"; else fail "$what"; verdict=FAIL; fi
}
ge1() { [ "$1" -ge 1 ]; }
is0() { [ "$1" -eq 0 ]; }
# tftp_has FILE: in.tftpd served FILE to $ip, by its lines in $tnew (those of the cell's boot).
# shellcheck disable=SC2154  # the cell sets ip and tnew
tftp_has() { grep -qF "RRQ from $ip filename $1" <<<"$tnew"; }
# menu_has WHAT CODE: isoboot-menu answered $ip's GET WHAT with CODE, by its lines in $mnew
# (those of the cell's boot). Not grep -q in a pipeline: with pipefail, the first grep's SIGPIPE
# would fail it.
# shellcheck disable=SC2154  # the cell sets ip and mnew
menu_has() { grep -F "$ip GET $1" <<<"$mnew" | grep -F ": $2" >/dev/null; }

# vm_screendump SOCKET FILE: has QEMU write its screen to FILE (PPM) through the monitor at
# SOCKET; true when FILE is complete (its size matches its PPM header).
vm_screendump() {
	local sock=$1 f=$2 i w h want
	rm -f "$f"
	[ -S "$sock" ] || return 1
	printf 'screendump %s\n' "$f" | timeout 5 socat -t 1 - "UNIX-CONNECT:$sock" >/dev/null 2>&1 || true
	for i in $(seq 30); do
		if [ -s "$f" ]; then
			# P6\nW H\n255\n, then W*H*3 bytes
			read -r w h < <(head -c 32 "$f" | sed -n 2p) || true
			want=$(($(head -c 32 "$f" | head -n 3 | wc -c) + ${w:-0} * ${h:-0} * 3))
			[ "${w:-0}" -gt 0 ] && [ "$(stat -c %s "$f")" -ge "$want" ] && return 0
		fi
		sleep 0.1
	done
	return 1
}

# vm_ocr PPM: the text tesseract reads on a screendump, scaled up twice first (the 8x16 VGA font is
# small for it), on stdout.
vm_ocr() {
	local big=${1%.ppm}-x2.ppm
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
f = d.split(b"\n", 3)
w, h = map(int, f[1].split())
px = f[3]
out = [b"P6\n%d %d\n255\n" % (2 * w, 2 * h)]
for y in range(h):
    row = px[y * w * 3:(y + 1) * w * 3]
    wide = b"".join(row[x:x + 3] * 2 for x in range(0, w * 3, 3))
    out += [wide, wide]
open(sys.argv[2], "wb").write(b"".join(out))
' "$1" "$big" 2>/dev/null || big=$1
	timeout 60 tesseract "$big" - 2>/dev/null
	[ "$big" = "$1" ] || rm -f "$big"
}

# vm_cleanup: stops every process we started (newest first), then anything left in our
# namespace, then deletes the namespace. Safe to call more than once.
vm_cleanup() {
	local i p
	for ((i = ${#VM_PIDS[@]} - 1; i >= 0; i--)); do
		vm_stop "${VM_PIDS[$i]}"
	done
	VM_PIDS=()
	if [ -n "$VM_NS_DHCP" ] && [ -e "/run/netns/$VM_NS_DHCP" ]; then
		# Only dnsmasq, started (and by now stopped) by the test, ran there.
		for p in $(ip netns pids "$VM_NS_DHCP" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "$VM_NS_DHCP" 2>/dev/null || true
	fi
	VM_NS_DHCP=""
	[ -n "$VM_NS" ] && [ -e "/run/netns/$VM_NS" ] || return 0
	# Only this test runs processes in its own namespace (e.g. the per-connection
	# isoboot-iscsi processes that systemd-socket-activate forked).
	for p in $(ip netns pids "$VM_NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	for i in $(seq 20); do
		[ -z "$(ip netns pids "$VM_NS" 2>/dev/null)" ] && break
		sleep 0.1
	done
	for p in $(ip netns pids "$VM_NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$VM_NS" 2>/dev/null || true
	VM_NS=""
}
