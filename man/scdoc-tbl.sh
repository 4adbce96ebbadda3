#!/bin/sh
# scdoc-tbl.sh SCDOC: the page on standard input, in roff on standard output, with the first line
# that has man(1) run tbl(1) for the page's tables. scdoc 1.11.2 (Debian 12) does not write that
# line, and without it the tables are not rendered (lintian's groff-message on Debian 13).
set -eu
page=$("$1")
case $page in
"'\\\" t"* | ".\\\" t"*) ;;
*) printf '%s\n' "'\\\" t" ;;
esac
printf '%s\n' "$page"
