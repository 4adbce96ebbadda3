#!/bin/bash
# isoboot-menu over HTTPS, against curl and GnuTLS's certtool: a site CA signs the menu's
# certificate ([menu] certificate and key); the plain and the HTTPS socket come as systemd passes
# them (systemd-socket-activate, FileDescriptorName http and https). Checks the three
# [menu] https modes in the scripts served (the plain script's HTTPS attempt and its fallback;
# the HTTPS script's URLs: iPXE's fetches over HTTPS, the booted system's over HTTP), ISOs and
# files inside them over HTTPS by ranges, certificate checks (the CA verifies, no CA refuses,
# TLS 1.1 refused), a generated certificate in the state folder, --listen-https, and the
# refusals of a configuration that cannot work.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss certtool cmp
MENU=$BUILD/src/menu/isoboot-menu

# --- A site CA and the menu's certificate, for 127.0.0.1 -------------------------------------
P=$TMP/pki
mkdir -p "$P"
cat >"$P/ca.tmpl" <<-EOF
	cn = "isoboot test site CA"
	ca
	cert_signing_key
	expiration_days = 365
EOF
cat >"$P/srv.tmpl" <<-EOF
	cn = "isoboot test menu"
	ip_address = 127.0.0.1
	tls_www_server
	signing_key
	expiration_days = 365
EOF
if ! { certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/ca.key" 2>/dev/null &&
	certtool --generate-self-signed --load-privkey "$P/ca.key" --template "$P/ca.tmpl" \
		--outfile "$P/ca.pem" 2>/dev/null &&
	certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/srv.key" 2>/dev/null &&
	certtool --generate-certificate --load-privkey "$P/srv.key" --load-ca-certificate "$P/ca.pem" \
		--load-ca-privkey "$P/ca.key" --template "$P/srv.tmpl" --outfile "$P/srv.pem" 2>/dev/null &&
	certtool --generate-privkey --key-type ecdsa --outfile "$P/ec.key" 2>/dev/null &&
	certtool --generate-certificate --load-privkey "$P/ec.key" --load-ca-certificate "$P/ca.pem" \
		--load-ca-privkey "$P/ca.key" --template "$P/srv.tmpl" --outfile "$P/ec.pem" 2>/dev/null; }; then
	fail "certtool cannot make the test CA"
	finish
fi

mkdir -p "$TMP/iso" "$TMP/state"
cp "$(built_iso small.iso)" "$TMP/iso/small.iso"
bash "$SRC/tests/tools/mk-layout-iso.sh" casper "$TMP/iso/ubuntu-24.04.1-desktop-amd64.iso" ||
	{ fail "mk-layout-iso.sh casper"; finish; }
write_config "$TMP/scan.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/scan.conf" 2>/dev/null
CAT=$TMP/state/catalog
SMALL=$(catalog_id_of "$CAT" small.iso)
UBU=$(catalog_id_of "$CAT" ubuntu-24.04.1-desktop-amd64.iso)
{ [ -n "$SMALL" ] && [ -n "$UBU" ]; } || { fail "the scan found small.iso and the casper ISO"; finish; }
check "the casper ISO has a recipe" test "$(catalog_field "$CAT" "$UBU" recipe)" = casper
guard_isos "$TMP/iso"

# start_menu NAME MODE [extra config lines]: the menu on a plain and an HTTPS port, as two socket
# units pass them; HP and SP are the ports.
start_menu() {
	local name=$1 mode=$2
	shift 2
	HP=$(free_port 48500)
	SP=$(free_port $((HP + 1)))
	write_config "$TMP/$name.conf" "$TMP/iso" "$TMP/state" "[menu]" "default = small.iso" \
		"https = $mode" "$@"
	serve "$name" "$SP" systemd-socket-activate -l "127.0.0.1:$HP" -l "127.0.0.1:$SP" \
		--fdname=http:https "$MENU" --config "$TMP/$name.conf"
}
C=(curl -s --max-time 30)
T=(curl -s --max-time 30 --cacert "$P/ca.pem")

# --- prefer, with the site's pair -------------------------------------------------------------
start_menu prefer prefer "certificate = $P/srv.pem" "key = $P/srv.key" "uefi_boot = http"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe" >"$TMP/plain"
# The casper ISO needs a known amount of RAM: the attempt carries iPXE's ${memsize} when set.
# shellcheck disable=SC2016  # iPXE's ${memsize}, literally
check "the plain script first fetches the menu over HTTPS, with the RAM size" \
	grep -qx "isset \${memsize} && chain --replace https://127.0.0.1:$SP/boot.ipxe?memsize=\${memsize} ||" "$TMP/plain"
# shellcheck disable=SC2016
check "… or without it" grep -qx "isset \${memsize} || chain --replace https://127.0.0.1:$SP/boot.ipxe ||" "$TMP/plain"
# shellcheck disable=SC2016
check "after a failure, the HTTP menu is asked for with the RAM size and https=failed" \
	grep -qx "isset \${memsize} && chain --replace http://127.0.0.1:$HP/boot.ipxe?memsize=\${memsize}&https=failed ||" "$TMP/plain"
# shellcheck disable=SC2016  # iPXE's ${errno}, literally
check "then says HTTPS failed and goes on over HTTP" \
	grep -qx 'echo isoboot: HTTPS failed (${errno}); the menu over plain HTTP' "$TMP/plain"
check "the plain script's own entries are plain HTTP" \
	grep -q "^sanboot --no-describe http://127.0.0.1:$HP/iso/$SMALL/small.iso" "$TMP/plain"
check "the HTTPS attempt comes before the menu" \
	test "$(grep -n 'chain --replace https' "$TMP/plain" | tail -n1 | cut -d: -f1)" -lt \
	"$(grep -n '^:start' "$TMP/plain" | cut -d: -f1)"
"${T[@]}" "https://127.0.0.1:$SP/boot.ipxe" >"$TMP/tls"
check "the site CA verifies the menu's certificate (curl)" test -s "$TMP/tls"
check "the HTTPS script does not try HTTPS again" sh -c "! grep -q '^chain --replace https' '$TMP/tls'"
check "the HTTPS script's HTTP SAN boot is over HTTPS" \
	grep -qx "sanboot --no-describe https://127.0.0.1:$SP/iso/$SMALL/small.iso || goto failed" "$TMP/tls"
check "the HTTPS script's kernel comes over HTTPS" \
	grep -q "^kernel https://127.0.0.1:$SP/iso/$UBU/files/casper/vmlinuz " "$TMP/tls"
check "… its initrd too" grep -q "^initrd https://127.0.0.1:$SP/iso/$UBU/files/casper/initrd" "$TMP/tls"
check "… and the booted system fetches the ISO over plain HTTP (url=http://…)" \
	grep -q "^kernel https://.* url=http://127.0.0.1:$HP/iso/$UBU/ubuntu-24.04.1-desktop-amd64.iso" "$TMP/tls"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe?https=failed" >"$TMP/fallback"
check "the plain menu after a failed attempt does not try again (?https=failed)" \
	sh -c "! grep -q 'https://' '$TMP/fallback'"
check "… and is the whole menu" grep -q "^sanboot --no-describe http://127.0.0.1:$HP/iso/$SMALL/" "$TMP/fallback"
"${C[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/boot.ipxe?memsize=512" >"$TMP/code"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe?memsize=512" >"$TMP/mem"
check "a plain request that knows the RAM passes it on over HTTPS" \
	grep -qx "chain --replace https://127.0.0.1:$SP/boot.ipxe?memsize=512 ||" "$TMP/mem"

# The Secure Boot chain's GRUB menu, from the same catalog, over plain HTTP (GRUB has no TLS).
"${C[@]}" "http://127.0.0.1:$HP/grub.cfg" >"$TMP/grub.cfg"
check "GET /grub.cfg: a GRUB menu whose recipe entry loads the ISO's kernel with GRUB's http" \
	grep -q "^	if linux (http,127.0.0.1)/iso/$UBU/files/casper/vmlinuz .* 'netboot=url' 'url=http://127.0.0.1:$HP/iso/$UBU/" "$TMP/grub.cfg"
check "… and lists small.iso as needing Secure Boot off" \
	grep -q "^menuentry 'small (not with Secure Boot on)' --id isoboot-$SMALL {" "$TMP/grub.cfg"

# ISOs and files inside them over HTTPS, by ranges, as iPXE's HTTP SAN and kernel fetches read.
"${T[@]}" -o "$TMP/whole" "https://127.0.0.1:$SP/iso/$SMALL/small.iso"
check "the whole ISO over HTTPS, byte for byte" cmp -s "$TMP/whole" "$TMP/iso/small.iso"
"${T[@]}" -r 32768-33791 -o "$TMP/range" -w '%{http_code}' "https://127.0.0.1:$SP/iso/$SMALL/small.iso" >"$TMP/code"
check "a range over HTTPS: 206" test "$(cat "$TMP/code")" = 206
check "… with the right bytes" cmp -s "$TMP/range" <(dd if="$TMP/iso/small.iso" bs=1024 skip=32 count=1 status=none)
"${T[@]}" -o /dev/null -w '%{http_code} %{size_download}' \
	"https://127.0.0.1:$SP/iso/$UBU/files/casper/vmlinuz" >"$TMP/code"
check "a file inside an ISO over HTTPS: 200, 16384 bytes" test "$(cat "$TMP/code")" = "200 16384"

# The certificate checks that a client makes.
rc=0
"${C[@]}" -o /dev/null "https://127.0.0.1:$SP/boot.ipxe" || rc=$?
check "without the site CA, curl refuses the certificate (exit 60)" test "$rc" = 60
rc=0
"${T[@]}" -o /dev/null --tls-max 1.1 "https://127.0.0.1:$SP/boot.ipxe" || rc=$?
check "TLS 1.1 is refused (exit 35)" test "$rc" = 35
"${T[@]}" -o /dev/null --tlsv1.3 -w '%{http_code}' "https://127.0.0.1:$SP/boot.ipxe" >"$TMP/code"
check "TLS 1.3 works" test "$(cat "$TMP/code")" = 200
"${C[@]}" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP/boot.ipxe" >"$TMP/code" || true
check "plain HTTP on the HTTPS port gets no menu" test "$(cat "$TMP/code")" != 200
check "the access log marks the HTTPS menu" grep -q "GET menu (https): 200" "$TMP/prefer.log"
check "the journal line names the certificate and its fingerprint" \
	grep -q "HTTPS certificate $P/srv.pem, SHA-256 fingerprint $(certtool -i --infile "$P/srv.pem" 2>/dev/null |
		awk '/Fingerprint:/ { f = 1 } f && /sha256:/ { print toupper($2); exit }' | sed 's/../&:/g; s/:$//')" \
	"$TMP/prefer.log"
check "the start line says https = prefer" grep -q "over HTTP and HTTPS, https = prefer" "$TMP/prefer.log"
served_stop

# --- require: no plain menu at all --------------------------------------------------------------
start_menu require require "certificate = $P/srv.pem" "key = $P/srv.key"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe" >"$TMP/req"
# shellcheck disable=SC2016
check "require: the plain script fetches the menu over HTTPS" \
	grep -qx "isset \${memsize} || chain --replace https://127.0.0.1:$SP/boot.ipxe ||" "$TMP/req"
check "… and else explains, with no menu and no boot" \
	sh -c "grep -q 'this server boots over HTTPS only' '$TMP/req' && ! grep -Eq '^(sanboot|kernel|menu) ' '$TMP/req'"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe?https=failed" >"$TMP/req2"
check "… also when the client says HTTPS failed" sh -c "! grep -Eq '^(sanboot|kernel|menu) ' '$TMP/req2'"
"${T[@]}" "https://127.0.0.1:$SP/boot.ipxe" >"$TMP/req3"
check "require: the HTTPS menu is whole" grep -q "^menu -- " "$TMP/req3"
served_stop

# --- off: plain scripts as before, the HTTPS socket still answers ------------------------------
start_menu off off "certificate = $P/ec.pem" "key = $P/ec.key"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe" >"$TMP/off"
check "off: the plain script never mentions HTTPS" sh -c "! grep -q 'https' '$TMP/off'"
"${T[@]}" "https://127.0.0.1:$SP/boot.ipxe" >"$TMP/off2"
check "off: a client that asks for the HTTPS menu still gets it" grep -q "^sanboot iscsi:" "$TMP/off2"
check "an ECDSA certificate is served, with a warning that iPXE cannot verify it" \
	grep -q "$P/ec.pem has no RSA key: iPXE 1.21.1 cannot verify it" "$TMP/off.log"
served_stop

# --- a generated certificate, kept in the state folder -----------------------------------------
rm -f "$TMP/state/tls/menu-cert.pem" "$TMP/state/tls/menu-key.pem"
start_menu gen prefer "[server]" "address = 198.51.100.7"
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe" >/dev/null # systemd-socket-activate execs at the first
for _ in $(seq 50); do [ -s "$TMP/state/tls/menu-cert.pem" ] && break; sleep 0.1; done
check "a self-signed pair is made in the state folder (tls/)" test -s "$TMP/state/tls/menu-cert.pem"
check "… its key readable by the owner only" test "$(stat -c %a "$TMP/state/tls/menu-key.pem")" = 600
check "… it is logged" grep -q "Made a self-signed certificate $TMP/state/tls/menu-cert.pem" "$TMP/gen.log"
check "… with an RSA key, which iPXE can verify" \
	sh -c "certtool -i --infile '$TMP/state/tls/menu-cert.pem' | grep -q 'Subject Public Key Algorithm: RSA'"
check "… naming [server] address, which clients use (the unit's menu sees no interfaces)" \
	sh -c "certtool -i --infile '$TMP/state/tls/menu-cert.pem' | grep -q 'IPAddress: 198.51.100.7\$'"
host_ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
if [ -n "$host_ip" ]; then
	check "… naming this host's address $host_ip" \
		sh -c "certtool -i --infile '$TMP/state/tls/menu-cert.pem' | grep -q 'IPAddress: $host_ip\$'"
fi
"${C[@]}" --cacert "$TMP/state/tls/menu-cert.pem" -o /dev/null -w '%{http_code}' \
	"https://127.0.0.1:$SP/boot.ipxe" >"$TMP/code"
check "it verifies for 127.0.0.1 when trusted" test "$(cat "$TMP/code")" = 200
fp1=$(sha256sum <"$TMP/state/tls/menu-cert.pem")
served_stop
start_menu gen2 prefer
"${C[@]}" "http://127.0.0.1:$HP/boot.ipxe" >/dev/null
check "the next start keeps the same certificate" test "$(sha256sum <"$TMP/state/tls/menu-cert.pem")" = "$fp1"
served_stop

# --- without systemd: --listen-https ----------------------------------------------------------
SP=$(free_port 48600)
write_config "$TMP/alone.conf" "$TMP/iso" "$TMP/state" "[menu]" "https = require" \
	"certificate = $P/srv.pem" "key = $P/srv.key"
serve alone "$SP" "$MENU" --config "$TMP/alone.conf" --listen-https "127.0.0.1:$SP"
"${T[@]}" "https://127.0.0.1:$SP/boot.ipxe" >"$TMP/alone"
check "--listen-https alone serves the menu over HTTPS" grep -q "^menu -- " "$TMP/alone"
check "… and every URL in it is HTTPS (there is no plain socket)" \
	sh -c "! grep -q 'http://' '$TMP/alone'"
served_stop

# --- configurations that cannot work are refused -----------------------------------------------
HP=$(free_port 48700)
write_config "$TMP/bad1.conf" "$TMP/iso" "$TMP/state" "[menu]" "https = require"
rc=0
timeout 10 "$MENU" --config "$TMP/bad1.conf" --listen "127.0.0.1:$HP" >"$TMP/bad1.log" 2>&1 || rc=$?
check "require without an HTTPS socket: the menu does not start" test "$rc" = 1
check "… and says why" grep -q "https = require, but there is no HTTPS socket" "$TMP/bad1.log"
write_config "$TMP/bad2.conf" "$TMP/iso" "$TMP/state" "[menu]" "https = sometimes"
rc=0
timeout 10 "$MENU" --config "$TMP/bad2.conf" --listen "127.0.0.1:$HP" >"$TMP/bad2.log" 2>&1 || rc=$?
check "https = sometimes is a configuration error" test "$rc" = 1
check "… named file:line" grep -q "bad2.conf:[0-9]*:.*https" "$TMP/bad2.log"
write_config "$TMP/bad3.conf" "$TMP/iso" "$TMP/state" "[menu]" "certificate = $P/srv.pem"
SP=$(free_port 48750)
rc=0
timeout 10 "$MENU" --config "$TMP/bad3.conf" --listen "127.0.0.1:$HP" --listen-https "127.0.0.1:$SP" \
	>"$TMP/bad3.log" 2>&1 || rc=$?
check "a certificate without its key: the menu does not start" test "$rc" = 1
check "… and says so" grep -q "certificate and key go together" "$TMP/bad3.log"
cp "$P/ca.key" "$TMP/other.key"
write_config "$TMP/bad4.conf" "$TMP/iso" "$TMP/state" "[menu]" "certificate = $P/srv.pem" "key = $TMP/other.key"
rc=0
timeout 10 "$MENU" --config "$TMP/bad4.conf" --listen "127.0.0.1:$HP" --listen-https "127.0.0.1:$SP" \
	>"$TMP/bad4.log" 2>&1 || rc=$?
check "a key that is not the certificate's: the menu does not start" test "$rc" = 1
rc=0
"$MENU" --listen-https 2>/dev/null || rc=$?
check "--listen-https needs an address" test "$rc" = 2
check_guarded_isos
finish
