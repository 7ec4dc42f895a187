#!/bin/sh
# petrel consume and petrel send end to end against a real broker:
# consume --from TIME (only what was stored from then on), --from last
# (only what is sent after it starts), --broadcast (two members of one
# group each see every message); send - (lines in order, each answered
# before the next line is even written, offsets matching what consume
# reads back), --tag and --key arriving, --delay 1 holding a message
# about a second, and a body that is not UTF-8 as body_base64.
. "$top_srcdir/tests/integration/consumer_lib.sh"
command -v jq >/dev/null 2>&1 || { echo "SKIP: no jq"; exit 77; }
cn_setup
T=$NS_TMP
P="$PETREL -n $NSADDR"

for topic in Ct Cl Cb Co Ck Cd Cu; do
	cn_tool create $topic 2 || cn_fail "create $topic"
	ns_wait 10 sh -c "$P route $topic >/dev/null 2>&1" ||
	    cn_fail "topic $topic never routed"
done

now_ms() {
	date +%s%3N
}

# --from TIME, as ISO 8601 in UTC with milliseconds: a batch, then a
# millisecond that no message of it was stored in, then a second batch;
# only the second is consumed.
cn_tool send Ct 6 a || cn_fail "send a"
t=$(($(now_ms) + 1))
while [ "$(now_ms)" -lt "$t" ]; do :; done
iso=$(date -u -d "@$((t / 1000))" +%Y-%m-%dT%H:%M:%S).$(printf %03d \
    $((t % 1000)))Z
cn_tool send Ct 4 b || cn_fail "send b"
timeout 20 $P --json consume Ct -g Gtime --from "$iso" --count 4 \
    >"$T/time.out" || cn_fail "consume --from $iso"
[ "$(jq -r .body "$T/time.out" | sort | tr '\n' ' ')" = \
    "b-0 b-1 b-2 b-3 " ] ||
    cn_fail "--from $iso consumed: $(jq -r .body "$T/time.out")"
# The same time as epoch milliseconds, another new group.
timeout 20 $P consume Ct -g Gtime2 --from "$t" --count 4 >"$T/time2.out" ||
    cn_fail "consume --from $t"
[ "$(awk '{print $6}' "$T/time2.out" | sort | tr '\n' ' ')" = \
    "b-0 b-1 b-2 b-3 " ] || cn_fail "--from $t consumed: $(cat "$T/time2.out")"

# --from last: what was there before is never seen; messages sent after
# it started are.  It cannot tell when it has its offsets, so send one
# message at a time until it has three.
cn_tool send Cl 5 old || cn_fail "send old"
timeout 30 $P --json consume Cl -g Glast --from last --count 3 \
    >"$T/last.out" 2>"$T/last.err" &
last=$!
CN_PIDS="$CN_PIDS $last"
i=0
while kill -0 "$last" 2>/dev/null; do
	[ "$i" -lt 200 ] || cn_fail "consume --from last never got 3"
	cn_tool send Cl 1 new$i || cn_fail "send new$i"
	i=$((i + 1))
	sleep 0.1
done
wait "$last" || cn_fail "consume --from last exited $?: $(cat "$T/last.err")"
[ "$(wc -l <"$T/last.out")" -eq 3 ] || cn_fail "--from last: not 3 lines"
jq -e 'select(.body | startswith("new") | not)' "$T/last.out" >/dev/null &&
    cn_fail "--from last consumed an old message: $(cat "$T/last.out")"

# --broadcast: two members of group Gb, each with its own offset file
# (in its own $HOME), both get all 5 messages.  As clustering members
# they would share them and neither would reach 5.
cn_tool send Cb 5 bc || cn_fail "send bc"
for m in 1 2; do
	mkdir -p "$T/home$m"
	HOME=$T/home$m timeout 30 $P --json consume Cb -g Gb --broadcast \
	    --from first --count 5 >"$T/bc$m.out" 2>"$T/bc$m.err" &
	eval "bc$m=\$!"
	CN_PIDS="$CN_PIDS $!"
done
# shellcheck disable=SC2154
wait "$bc1" || cn_fail "broadcast member 1 exited $?"
# shellcheck disable=SC2154
wait "$bc2" || cn_fail "broadcast member 2 exited $?"
for m in 1 2; do
	[ "$(jq -r .body "$T/bc$m.out" | sort | tr '\n' ' ')" = \
	    "bc-0 bc-1 bc-2 bc-3 bc-4 " ] ||
	    cn_fail "broadcast member $m got: $(cat "$T/bc$m.out")"
	[ -s "$T/home$m/.petrel/offsets-Gb" ] ||
	    cn_fail "broadcast member $m kept no offset file"
done

# send -: each line is sent and answered before the next is read.  Lines
# go through a FIFO, the next written only once the answer of the one
# before is out.
mkfifo "$T/lines"
$P --json send Co - <"$T/lines" >"$T/sent.out" 2>"$T/sent.err" &
sender=$!
CN_PIDS="$CN_PIDS $sender"
exec 3>"$T/lines"
i=1
while [ "$i" -le 12 ]; do
	echo "line$i" >&3
	ns_wait 10 sh -c "[ \$(wc -l <'$T/sent.out') -ge $i ]" ||
	    cn_fail "line$i was not answered before the next was written"
	i=$((i + 1))
done
exec 3>&-
wait "$sender" || cn_fail "send - exited $?: $(cat "$T/sent.err")"
timeout 20 $P --json consume Co -g Gorder --from first --count 12 \
    >"$T/order.out" || cn_fail "consume Co"
# What consume reads back is what send reported, message by message, and
# within each queue the offsets follow the order of the lines.
jq -s --slurpfile got "$T/order.out" -e '
    . as $sent |
    ($got | map({key: .msg_id, value: .}) | from_entries) as $by |
    length == 12 and ($got | length) == 12 and
    all(range(12); . as $i | $sent[$i] as $s | $by[$s.msg_id] as $g |
	$g != null and $g.body == "line\($i + 1)" and
	$g.queue_id == $s.queue_id and $g.queue_offset == $s.queue_offset) and
    all(group_by(.queue_id)[]; . as $q |
	[$q[].queue_offset] == ([$q[].queue_offset] | sort) and
	([$q[].queue_offset] | unique | length) == ($q | length))' \
    "$T/sent.out" >/dev/null ||
    cn_fail "sent and consumed differ: $(cat "$T/sent.out" "$T/order.out")"

# --tag and --key arrive.
$P send --tag TagK --key key-1 Ck tagged >/dev/null || cn_fail "send --tag"
timeout 20 $P --json consume Ck -g Gk --from first --count 1 \
    >"$T/k.out" || cn_fail "consume Ck"
jq -e '.tags == "TagK" and .keys == ["key-1"] and .body == "tagged"' \
    "$T/k.out" >/dev/null || cn_fail "tag or key lost: $(cat "$T/k.out")"

# --delay 1 (1 s, the first level of brokermsg_delay_ms): not consumable
# before about a second after it was sent.
t0=$(now_ms)
$P send --delay 1 Cd later >/dev/null || cn_fail "send --delay 1"
timeout 20 $P --json consume Cd -g Gd --from first --count 1 \
    >"$T/d.out" || cn_fail "consume Cd"
t1=$(now_ms)
jq -e '.body == "later" and .topic == "Cd"' "$T/d.out" >/dev/null ||
    cn_fail "delayed message: $(cat "$T/d.out")"
[ $((t1 - t0)) -ge 950 ] ||
    cn_fail "a level 1 delay was consumed after $((t1 - t0)) ms"

# A body that is not UTF-8: body_base64, no body.
printf '\377\376A\n' | $P send Cu - >/dev/null || cn_fail "send Cu"
timeout 20 $P --json consume Cu -g Gu --from first --count 1 \
    >"$T/u.out" || cn_fail "consume Cu"
jq -e '.body_base64 == "//5B" and has("body") == false' "$T/u.out" \
    >/dev/null || cn_fail "not base64: $(cat "$T/u.out")"
timeout 20 $P consume Cu -g Gu2 --from first --count 1 >"$T/u.txt" ||
    cn_fail "consume Cu as text"
grep -q ' base64://5B$' "$T/u.txt" || cn_fail "text: $(cat "$T/u.txt")"
exit 0
