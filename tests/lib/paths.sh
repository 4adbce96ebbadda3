# shellcheck shell=bash disable=SC2034  # for the scripts that source this
# Where things are, for the tests (sourced by common.sh) and the benchmarks (bench.sh): the
# checkout, its build and its cache of test ISOs, and the build's programs.
SRC=${ISOBOOT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${ISOBOOT_BUILD:-$SRC/build}
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
SCAN=$BUILD/src/scan/isoboot-scan
MENU=$BUILD/src/menu/isoboot-menu
ISCSI=$BUILD/src/iscsi/isoboot-iscsi
PD=$BUILD/src/proxydhcp/isoboot-proxydhcp
WEB=$BUILD/src/web/isoboot-web
PASSWD=$BUILD/src/web/isoboot-passwd
