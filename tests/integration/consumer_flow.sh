#!/bin/sh
# Flow control: a consumer (pull API) with max_unprocessed 10 and pulls of
# 8 that does not hand back what it polls stops pulling each queue once it
# holds more than 10 of it, so it never holds more than 10 + 8 of a queue
# while 300 wait on the broker; once it hands them back (SIGUSR1) pulling
# resumes and all 300 arrive, and the group commits them all.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
cn_tool create Flow 2 || cn_fail "create"
cn_tool send Flow 300 f || cn_fail "send"
LIMIT=$((10 + 8))

# The most a queue ($1) has held so far.
_held() {
	awk -v q="$1" '$1 == "H" && $2 == q && $3 > m { m = $3 }
	    END { print m + 0 }' "$NS_TMP/h1.out"
}
cn_start h1 GH Flow from=first hold=1 max_unprocessed=10 pull_batch=8
# Both queues past the limit: paused.
ns_wait 20 sh -c '[ "$(awk '\''$1 == "H" && $3 > 10 { print $2 }'\'' \
    "$0"/h1.out | sort -u | wc -l)" -eq 2 ]' "$NS_TMP" ||
    cn_fail "the queues never held more than 10 ($(_held 0), $(_held 1))"
# Watched for 3 s (pulls are retried every second): no more come.
_end=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt "$_end" ]; do
	for _q in 0 1; do
		[ "$(_held $_q)" -le "$LIMIT" ] ||
		    cn_fail "queue $_q held $(_held $_q), over $LIMIT"
	done
	sleep 0.1
done
_got=$(grep -c '^M ' "$NS_TMP/h1.out")
echo "held $(_held 0) and $(_held 1), $_got of 300 polled"
[ "$_got" -le $((2 * LIMIT)) ] || cn_fail "$_got polled while held"

# Handed back: pulling resumes, everything arrives.
kill -USR1 "$CN_h1"
ns_wait 30 sh -c '[ "$(awk '\''$1 == "M" { print $8 }'\'' "$0"/h1.out |
    sort -u | wc -l)" -eq 300 ]' "$NS_TMP" ||
    cn_fail "$(cn_bodies h1 | uniq | wc -l) of 300 after the release"
grep -q '^R$' "$NS_TMP/h1.out" || cn_fail "no release"
cn_stop h1
[ "$(cn_tool offset GH Flow 2)" = 300 ] ||
    cn_fail "committed $(cn_tool offset GH Flow 2), not 300"
exit 0
