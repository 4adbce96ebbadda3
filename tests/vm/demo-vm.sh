#!/bin/bash
# The README's run command with DEMO_VM=1, as a newcomer without a PXE network runs it: the
# demo's services in a namespace of their own, and a QEMU client that network-boots GRUB's
# rescue ISO from them; its console must show the chain from PXE to GRUB's own screen.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd qemu-system-x86_64 dnsmasq systemd-socket-activate in.tftpd iscsi-ls tftp
rc=0
DEMO_VM=1 DEMO_DIR=$TMP/demo DEMO_VM_TIMEOUT=150 timeout 400 bash "$SRC/tests/demo.sh" \
	>"$TMP/demo.out" 2>&1 || rc=$?
sed 's/^/# /' "$TMP/demo.out" | cut -c1-200
check "DEMO_VM=1 ends with success (exit $rc)" test "$rc" = 0
# shellcheck disable=SC2317  # called by check
has() { grep -qF -- "$1" "$TMP/demo.out"; }
check "its console shows the client's DHCP answer" has "Filename: http://192.0.2.1/boot.ipxe"
check "the menu, as the client's iPXE shows it" has "isoboot demo (BIOS)"
check "the iSCSI boot" has "Booting grub-rescue-cdrom over iSCSI"
check "the service's own line for the login" has "isoboot-iscsi: Login from 192.0.2."
# GRUB's title as its own serial terminal draws it, terminal escapes removed. ("Welcome to
# GRUB!", which GRUB writes through SeaBIOS's serial console before it takes the port over, was
# not in the raw log of one CI run.)
check "GRUB's own screen, on the client's serial console" \
	bash -c "tr -d '\r' <'$TMP/demo/vm/serial.log' | sed 's/\x1b\[[0-9;?=]*[A-Za-z]//g' |
		grep -qaE 'GNU GRUB +version'"
check "and as the demo printed it" has "GNU GRUB"
check "the demo says so" has "the client booted grub-rescue-cdrom.iso from isoboot"
check "systemd-socket-activate's own lines are left out" \
	bash -c "! grep -qE '^(Listening on|Execing|Communication attempt)' '$TMP/demo.out'"
check "no namespace of the demo is left" bash -c "! ip netns list | grep -q '^isob-demo-'"
finish
