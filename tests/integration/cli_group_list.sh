#!/bin/sh
# petrel group list against a real name server, two real brokers of one
# cluster and real consumers (tests/consumer_driver): an empty list, two
# groups online (clients, model, type, topics) on both brokers, then the
# same groups once their consumers are gone, known by their committed
# offsets only, as a table and as JSON (checked with jq); bad arguments
# exit 64 with the usage line, an unknown cluster 1.
. "$top_srcdir/tests/integration/consumer_lib.sh"
command -v jq >/dev/null 2>&1 || { echo "no jq"; exit 77; }
cn_setup
C=$BK_PORT
bk_conf broker-d
bk_start broker-d
D=$BK_PORT
BK_PORT=$C
ns_wait 20 bk_listed broker-c "$C" || cn_fail "broker-c is not listed"
ns_wait 20 bk_listed broker-d "$D" || cn_fail "broker-d is not listed"

out=$NS_TMP/out
err=$NS_TMP/err

# run RC ARG...: "petrel ARG..." exits RC; stdout in $out, stderr in $err.
run() {
	_want=$1
	shift
	bk_petrel "$@" >"$out" 2>"$err"
	_got=$?
	[ "$_got" -eq "$_want" ] ||
	    cn_fail "petrel $* exited $_got, not $_want: $(cat "$out" "$err")"
}

# line ERE: a line of stdout matches.
line() {
	grep -Eq -- "$1" "$out" ||
	    cn_fail "no line matches /$1/ in: $(cat "$out")"
}

# json FILTER: stdout is one JSON document for which FILTER holds.
json() {
	[ "$(jq -s length "$out")" = 1 ] &&
	    jq -e "$1" "$out" >/dev/null ||
	    cn_fail "jq $1 fails on: $(cat "$out")"
}

# The groups of "petrel --json group list" pass the jq FILTER $1.
groups_are() {
	bk_petrel --json group list 2>/dev/null | jq -e "$1" >/dev/null
}

# Bad command lines: the usage line, nothing on stdout.
for _args in "group list extra" "group list --cluster ''" \
    "group list --nonsense" "group list -c"; do
	eval "run 64 $_args"
	grep -q '^usage: petrel group list' "$err" ||
	    cn_fail "petrel $_args: no usage line: $(cat "$err")"
	[ -s "$out" ] && cn_fail "petrel $_args wrote to stdout"
done
run 1 group list --cluster NoSuchCluster
grep -q 'group list: no cluster NoSuchCluster' "$err" ||
    cn_fail "unknown cluster: $(cat "$err")"

# Brokers that know no group: the header alone, an empty list.
run 0 group list
[ "$(cat "$out")" = "GROUP  CLIENTS  MODEL  TYPE  TOPICS" ] ||
    cn_fail "empty table: $(cat "$out")"
run 0 group list --no-headers
[ -s "$out" ] && cn_fail "empty table without headers: $(cat "$out")"
run 0 --json group list --cluster DefaultCluster
json '. == {"cluster": "DefaultCluster", "groups": [], "truncated": false}'

# A topic on both brokers, messages on broker-c.
run 0 topic create Orders --cluster DefaultCluster --queues 2
cn_tool send Orders 20 a || cn_fail "send"

# G1: a clustering push consumer; G2: a broadcasting pull consumer.
cn_start c1 G1 Orders from=first push=1
cn_start c2 G2 Orders from=first broadcast=1 "offset_file=$NS_TMP/c2.off"
ns_wait 30 sh -c '[ "$(grep -c "^M " "$0/c1.out")" -ge 20 ] &&
    [ "$(grep -c "^M " "$0/c2.out")" -ge 20 ]' "$NS_TMP" ||
    cn_fail "the consumers did not consume"
ns_wait 30 groups_are '[.groups[] | select(.online) | .group, .brokers]
    == ["G1", ["broker-c", "broker-d"], "G2", ["broker-c", "broker-d"]]' ||
    cn_fail "G1 and G2 not online on both brokers: $(bk_petrel --json \
group list)"

run 0 group list
line '^GROUP +CLIENTS +MODEL +TYPE +TOPICS$'
line '^G1 +1 +clustering +push +([^ ]*,)?Orders(,[^ ]*)?$'
line '^G2 +1 +broadcasting +pull +([^ ]*,)?Orders(,[^ ]*)?$'
run 0 --json group list
json '[.groups[].group] == ["G1", "G2"] and .truncated == false'
json '.groups[0] | .online and .clients == 1 and
    .message_model == "clustering" and .consume_type == "push" and
    (.subscribed | index("Orders") != null) and
    (.committed | type == "array")'
json '.groups[1] | .message_model == "broadcasting" and
    .consume_type == "pull"'

# The consumers leave: G1 stays, by its committed offsets; G2, which
# keeps its offsets in a file of its own (broadcasting), goes.
cn_stop c1
cn_stop c2
ns_wait 30 groups_are '[.groups[] | .group, .online] == ["G1", false]' ||
    cn_fail "G1 still online or G2 still there: $(bk_petrel --json \
group list)"
run 0 group list --no-headers --cluster DefaultCluster
line '^G1 +0 +- +- +([^ ]*,)?Orders(,[^ ]*)?$'
run 0 --json group list
json '.groups[] | select(.group == "G1") | .online == false and
    .clients == 0 and .message_model == null and .consume_type == null and
    .subscribed == [] and (.committed | index("Orders") != null) and
    (.brokers | index("broker-c") != null)'
exit 0
