#!/bin/sh
# The admin verbs of petrel against a real name server and two real
# brokers of one cluster: topic create|update|list|status|delete, group
# progress|reset, msg get|query and broker status, as tables and as JSON
# (checked with jq), each also with bad arguments (exit 64 and the usage
# line) and with clean negative answers (exit 1).
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
ns_need_python
command -v jq >/dev/null 2>&1 || { echo "no jq"; exit 77; }
ns_start
bk_conf broker-a
bk_start broker-a
A=$BK_PORT
bk_conf broker-b
bk_start broker-b
B=$BK_PORT
ns_wait 20 bk_listed broker-a "$A" || bk_fail "broker-a is not listed"
ns_wait 20 bk_listed broker-b "$B" || bk_fail "broker-b is not listed"

out=$NS_TMP/out
err=$NS_TMP/err

# ok CMD...: petrel CMD must exit 0; stdout in $out, stderr in $err.
ok() {
	bk_petrel "$@" >"$out" 2>"$err" ||
	    bk_fail "petrel $* exited $?: $(cat "$err")"
}

# rc N CMD...: petrel CMD must exit N.
rc() {
	_want=$1
	shift
	bk_petrel "$@" >"$out" 2>"$err"
	_got=$?
	[ "$_got" -eq "$_want" ] || bk_fail "petrel $* exited $_got, not \
$_want: $(cat "$out" "$err")"
}

# has FILE ERE: a line of FILE matches.
has() {
	grep -Eq -- "$2" "$1" || bk_fail "no line matches /$2/ in: $(cat "$1")"
}

# jqt FILTER: stdout is one JSON document for which FILTER is true.
jqt() {
	jq -e "$1" "$out" >/dev/null || bk_fail "jq $1 fails on: $(cat "$out")"
}

# usage CMD...: a bad command line, exit 64 with the usage line.
usage() {
	rc 64 "$@"
	has "$err" '^usage: petrel '
	[ -s "$out" ] && bk_fail "petrel $* wrote to stdout: $(cat "$out")"
	return 0
}

# ---------------------------------------------------------------- topic
usage topic create Orders
usage topic create Orders --cluster DefaultCluster --broker 127.0.0.1:1
usage topic create Orders --cluster DefaultCluster --queues 0
usage topic create Orders --cluster DefaultCluster --queues 1025
usage topic create Orders --cluster DefaultCluster --queues x
usage topic create Orders --cluster DefaultCluster --perm x
usage topic create 'bad topic' --cluster DefaultCluster
usage topic create %RETRY%G --cluster DefaultCluster
usage topic create Orders --broker nonsense
usage topic create --cluster DefaultCluster
usage topic update Orders --cluster DefaultCluster
rc 1 topic create Orders --cluster NoSuchCluster
has "$err" 'no cluster NoSuchCluster'

ok topic create Orders --cluster DefaultCluster --queues 2
[ "$(cat "$out")" = "BROKER    ADDRESS          RESULT   READ  WRITE  PERM  ORDER
broker-a  127.0.0.1:$A  created     2      2  rw-   no
broker-b  127.0.0.1:$B  created     2      2  rw-   no" ] ||
    bk_fail "topic create table: $(cat "$out")"
ok --json topic create Orders --broker "127.0.0.1:$A" --queues 2
jqt '.topic == "Orders" and (.brokers | length == 1) and
    .brokers[0].broker_name == null and .brokers[0].created == false and
    .brokers[0].read_queues == 2 and .brokers[0].perm_string == "rw-"'
# update keeps what is not given.
ok topic update Orders --cluster DefaultCluster --perm r --no-headers
has "$out" "^broker-a +127\.0\.0\.1:$A +updated +2 +2 +r-- +no$"
ok --json topic update Orders --cluster DefaultCluster --perm rw --order
jqt '[.brokers[] | .order and .perm == 6 and .read_queues == 2] ==
    [true, true]'
rc 1 topic update Nothing --broker "127.0.0.1:$A" --queues 3
has "$err" '^petrel: topic update Nothing: .*127\.0\.0\.1'
has "$out" 'failed'
# A broker that is down is a failure of that broker only.
rc 69 topic create Orders --broker 127.0.0.1:1
has "$err" 'topic create Orders: .*127\.0\.0\.1:1'

routed() {
	bk_petrel --json route Orders 2>/dev/null |
	    jq -e '.queues | length == 2' >/dev/null
}
ns_wait 20 routed || bk_fail "Orders never routed on both brokers"
ok topic list
has "$out" '^TOPIC$'
has "$out" '^Orders$'
ok --json topic list --cluster DefaultCluster
jqt '.cluster == "DefaultCluster" and (.topics | index("Orders") != null)'
usage topic list extra
usage topic list --cluster ''

# Messages and a group's offsets, straight over the wire.
PYTHONPATH=$top_srcdir/tests/integration "$PYTHON3" \
    "$top_srcdir/tests/integration/cli_admin.py" "$A" "$B" Orders \
    >"$NS_TMP/ids" || bk_fail "cli_admin.py"
ID_A0=$(sed -n 1p "$NS_TMP/ids")
ID_BIN=$(sed -n 2p "$NS_TMP/ids")
ID_B0=$(sed -n 4p "$NS_TMP/ids")

ok topic status Orders
has "$out" '^BROKER +QUEUE +MIN +MAX +MESSAGES +LAST STORED$'
has "$out" '^broker-a +0 +0 +2 +2 +[0-9-]+T[0-9:.]+Z$'
has "$out" '^broker-a +1 +0 +1 +1 +'
has "$out" '^broker-b +0 +0 +1 +1 +'
has "$out" '^broker-b +1 +0 +0 +0 +-$'
ok --json topic status Orders
jqt '.messages == 4 and (.queues | length == 4) and
    (.queues[] | select(.broker_name == "broker-b" and .queue_id == 1)
    | .last_stored == null and .max_offset == 0) and
    (.queues[0].last_stored_ms | type == "number")'
rc 1 topic status NoSuchTopic
usage topic status
usage topic status 'a b'

# ---------------------------------------------------------------- group
ok group progress G1
has "$out" '^TOPIC +BROKER +QUEUE +BROKER OFFSET +CONSUMER OFFSET +LAG$'
has "$out" '^Orders +broker-a +0 +2 +1 +1$'
has "$out" '^Orders +broker-b +0 +1 +0 +1$'
has "$out" '^TOTAL +- +- +3 +1 +2$'
ok --json group progress G1 --topic Orders --cluster DefaultCluster
jqt '.group == "G1" and .topic == "Orders" and (.queues | length == 2) and
    .total == {"broker_offset": 3, "consumer_offset": 1, "lag": 2}'
rc 1 group progress NoGroup
has "$err" 'group progress NoGroup: no committed offset'
rc 1 group progress G1 --topic Other
usage group progress
usage group progress 'bad group'
usage group progress G1 --topic ''

usage group reset G1 Orders
usage group reset G1 Orders --to yesterday
usage group reset G1 Orders --to 2026-13-01
usage group reset G1 Orders --to '2026-02-30 10:00:00'
usage group reset G1 --to now
rc 1 group reset G1 NoSuchTopic --to now
# (A queue that never held a message has no offset to reset.)
ok group reset G1 Orders --to 0
[ "$(cat "$out")" = "BROKER    QUEUE  OFFSET
broker-a      0       0
broker-a      1       0
broker-b      0       0" ] || bk_fail "group reset table: $(cat "$out")"
ok --json group reset G1 Orders --to now
jqt '.group == "G1" and (.time_ms | type == "number") and
    ([.queues[].offset] == [2, 1, 1])'
ok --json group reset G1 Orders --to 1970-01-01T00:00:00Z
jqt '.time_ms == 0 and ([.queues[].offset] == [0, 0, 0])'
ok group progress G1 --topic Orders --no-headers
has "$out" '^TOTAL +- +- +4 +0 +4$'

# ---------------------------------------------------------------- msg
ok msg get "$ID_A0"
has "$out" '^FIELD +VALUE$'
has "$out" "^msg_id +$ID_A0\$"
has "$out" '^unique_id +UNIQ-A0$'
has "$out" '^tags +TagA$'
has "$out" '^body +text-a0$'
ok --json msg get "$ID_BIN"
jqt '.body_base64 == "//4=" and (has("body") | not) and .keys == ["bin"]
    and .queue_id == 0 and .queue_offset == 1'
ok --json msg get UNIQ-B0 --topic Orders
jqt ".msg_id == \"$ID_B0\" and .body == \"text-b0\" and
    .store_host == \"127.0.0.1:$B\""
ok --json msg get "$ID_B0" --topic Orders
jqt '.unique_id == "UNIQ-B0"'
rc 1 msg get NOSUCH --topic Orders
# An offset id of a broker that is not there.
rc 69 msg get 7F00000100000001000000000000A3C0
usage msg get UNIQ-A0
usage msg get 'a b'
usage msg get

ok msg query --topic Orders --key k1
has "$out" '^STORED +MSG ID +QUEUE +OFFSET +TAGS +KEYS +BODY$'
[ "$(wc -l <"$out")" -eq 4 ] || bk_fail "msg query rows: $(cat "$out")"
has "$out" " $ID_B0 +0 +0 +- +k1 +text-b0\$"
ok --json msg query --topic Orders --key k1
jqt '(.messages | length == 3) and
    ([.messages[].stored_ms] | . == (sort | reverse)) and
    ([.messages[].body] | sort == ["text-a0", "text-a1", "text-b0"])'
ok --json msg query --topic Orders --key k1 --max 1
jqt '.messages | length == 1'
ok msg query --topic Orders --key bin --no-headers
has "$out" ' base64://4=$'
rc 1 msg query --topic Orders --key none
rc 1 msg query --topic Orders --key k1 --end 1000
usage msg query --topic Orders
usage msg query --key k1
usage msg query --topic Orders --key k1 --max 0
usage msg query --topic Orders --key k1 --max 65
usage msg query --topic Orders --key k1 --begin never
usage msg query --topic Orders --key k1 --begin 2000 --end 1000
usage msg query --topic Orders --key 'a b'

# ---------------------------------------------------------------- broker
ok broker status
has "$out" '^BROKER +ID +ADDRESS +VERSION +UPTIME +PUT/S +GET/S +PUT +GOT +TOPICS +GROUPS +DISK$'
has "$out" "^broker-a +0 +127\.0\.0\.1:$A +petrel-broker [0-9.]+ +[0-9]+s +"
has "$out" "^broker-b +0 +127\.0\.0\.1:$B "
ok --json broker status "127.0.0.1:$B"
jqt ".brokers | length == 1 and .[0].broker_name == \"broker-b\" and
    .[0].cluster == \"DefaultCluster\" and .[0].messages_put == 1 and
    (.[0].disk_used_ratio | type == \"number\") and
    (.[0].extra | type == \"object\")"
ok --json broker status --cluster DefaultCluster
jqt '[.brokers[].broker_name] == ["broker-a", "broker-b"]'
rc 1 broker status --cluster NoSuchCluster
rc 69 broker status 127.0.0.1:1
has "$err" '^petrel: broker status: .*127\.0\.0\.1:1'
# One broker down, one up: the table has both, the exit code says it.
rc 69 --json broker status "127.0.0.1:$A" 127.0.0.1:1
jqt '.brokers[0].broker_name == "broker-a" and
    .brokers[1].error.code == "unavailable"'
jq -e '.error.code == "unavailable"' "$err" >/dev/null ||
    bk_fail "no JSON error: $(cat "$err")"
usage broker status nonsense
usage broker status "127.0.0.1:$A" --cluster DefaultCluster

# ---------------------------------------------------------------- delete
usage topic delete
usage topic delete Orders --cluster DefaultCluster --broker "127.0.0.1:$A"
ok topic delete Orders --broker "127.0.0.1:$B"
[ "$(cat "$out")" = "SERVER  ADDRESS          RESULT
broker  127.0.0.1:$B  deleted" ] || bk_fail "delete table: $(cat "$out")"
ok --json topic delete Orders
jqt '[.brokers[] | .broker_name] == ["broker-a"] and .brokers[0].deleted
    and (.name_servers | length == 1)'
gone() {
	! bk_petrel route Orders >/dev/null 2>&1
}
ns_wait 20 gone || bk_fail "Orders still routed after delete"
rc 1 topic delete Orders
rc 1 topic delete Orders --cluster DefaultCluster
exit 0
