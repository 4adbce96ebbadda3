#!/bin/bash
# isoboot-web upload benchmark: `curl -T` of one ISO to isoboot-web's PUT /api/isos/... against
# the same upload to Debian's nginx-light (WebDAV PUT), both over HTTPS with the same
# certificate, on loopback in the same run; and isoboot-web's peak resident memory after uploads
# of two sizes (it must not grow with the ISO). isoboot-web also syncs the file to disk,
# inspects it and rescans the folder before it answers; nginx does none of that.
# Usage: web-bench.sh [ROUNDS] [SIZE_MIB]   (a script, not a test; defaults 3 and 1024)
# shellcheck source-path=SCRIPTDIR source=../lib/bench.sh
. "$(dirname "$0")/../lib/bench.sh"
bench_start web src/web/isoboot-web
ROUNDS=${1:-3}
SIZE_MIB=${2:-1024}
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ISOs of real bytes (random: nothing compresses or is a hole): memtest86+ padded.
mkdir -p "$T/iso" "$T/state" "$T/www" "$T/nginx"
bench_iso "$T/big.iso" "$SIZE_MIB"
bench_iso "$T/small.iso" $((SIZE_MIB / 4))
printf '[paths]\niso_dir = %s\nstate_dir = %s\n[web]\nusers = %s/users\n' \
	"$T/iso" "$T/state" "$T" >"$T/c.conf"
echo 'bench password' | "$PASSWD" --config "$T/c.conf" admin >/dev/null

WPORT=$(port)
"$WEB" --config "$T/c.conf" --listen "127.0.0.1:$WPORT" >"$T/web.log" 2>&1 &
PIDS+=($!)
WPID=$!
wait_port "$WPORT" 100
NPORT=$(port)
cat >"$T/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $T/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.1:$NPORT ssl;
		ssl_certificate $T/state/web-cert.pem;
		ssl_certificate_key $T/state/web-key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $T/www;
		client_max_body_size 0;
		dav_methods PUT;
		create_full_put_path on;
	}
}
EOF
nginx -c "$T/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
wait_port "$NPORT" 100

# MB/s of one upload, as curl measures it (request sent to answer received).
up_web() { curl -sk -u 'admin:bench password' -T "$1" -o /dev/null -w '%{http_code} %{size_upload} %{time_total}\n' \
	"https://127.0.0.1:$WPORT/api/isos/bench.iso?replace=1"; }
up_nginx() { curl -sk -T "$1" -o /dev/null -w '%{http_code} %{size_upload} %{time_total}\n' \
	"https://127.0.0.1:$NPORT/bench.iso"; }
# The same, then the file synced to disk as isoboot-web does before it answers (sync FILE is an
# fsync of that file): the baseline with the same durability.
up_nginx_sync() {
	local t0 t1
	t0=$(date +%s.%N)
	up_nginx "$1" >"$T/nginx.out"
	sync "$T/www/bench.iso"
	t1=$(date +%s.%N)
	awk -v t="$(echo "$t1 - $t0" | bc -l)" '{ print $1, $2, t }' "$T/nginx.out"
}
mbps() { awk '{ if ($1 !~ /^20[14]$/) { print "status " $1; exit 1 } printf "%.1f\n", $2 / $3 / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$WPID/status"; }
up_web "$T/small.iso" | mbps >/dev/null
hwm_small=$(hwm)
web=() nginx=() nginx_sync=()
for _ in $(seq "$ROUNDS"); do
	web+=("$(up_web "$T/big.iso" | mbps)")
	nginx+=("$(up_nginx "$T/big.iso" | mbps)")
	nginx_sync+=("$(up_nginx_sync "$T/big.iso" | mbps)")
done
hwm_big=$(hwm)
cmp -s "$T/big.iso" "$T/iso/bench.iso" || { echo "isoboot-web stored different bytes"; exit 1; }
cmp -s "$T/big.iso" "$T/www/bench.iso" || { echo "nginx stored different bytes"; exit 1; }
w=$(printf '%s\n' "${web[@]}" | median)
n=$(printf '%s\n' "${nginx[@]}" | median)
ns=$(printf '%s\n' "${nginx_sync[@]}" | median)
printf '%-34s %10s\n' "upload of ${SIZE_MIB} MiB over HTTPS" "MB/s"
printf '%-34s %10s   (%s)\n' "isoboot-web PUT /api/isos" "$w" "${web[*]}"
printf '%-34s %10s   (%s)\n' "nginx-light WebDAV PUT" "$n" "${nginx[*]}"
printf '%-34s %10s   (%s)\n' "nginx-light WebDAV PUT, then fsync" "$ns" "${nginx_sync[*]}"
printf 'isoboot-web / nginx: %.2fx; / nginx with the same fsync: %.2fx\n' "$(echo "$w / $n" | bc -l)" \
	"$(echo "$w / $ns" | bc -l)"
printf 'isoboot-web peak RSS: %s kB after a %s MiB upload, %s kB after %s x %s MiB\n' \
	"$hwm_small" $((SIZE_MIB / 4)) "$hwm_big" "$ROUNDS" "$SIZE_MIB"
