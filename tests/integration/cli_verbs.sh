#!/bin/sh
# Every petrel verb against a real petrel-namesrv with two stand-in brokers
# registered: tables (headers, alignment, --no-headers), --json checked with
# jq, and the clean negative answers (exit 1) of route and kv get.
. "$top_srcdir/tests/integration/cli_lib.sh"

start_namesrv
p()
{
	"$PETREL" -n "$ns" "$@"
}

# A fresh name server knows no cluster: a header line only, or an empty list.
expect 0 p cluster list
expect_out "CLUSTER  BROKER  ID  ADDRESS  HEARTBEAT"
expect 0 p cluster list --no-headers
expect_out ""
expect 0 p --json cluster list
expect_jq out '.clusters == []'

start_broker TestCluster broker-a 0 127.0.0.1:10911 orders:8:8:6 audit:4:4:4
start_broker TestCluster broker-b 0 127.0.0.1:10921 orders:16:2:6

# cluster list: one row per broker address; the heartbeat is seconds old.
expect 0 p cluster list
expect_grep out '^CLUSTER +BROKER +ID +ADDRESS +HEARTBEAT$'
expect 0 p cluster list --no-headers
awk '{ print $1, $2, $3, $4 }' "$tmp/out" >"$tmp/cols"
printf '%s\n' "TestCluster broker-a 0 127.0.0.1:10911" \
    "TestCluster broker-b 0 127.0.0.1:10921" | cmp -s - "$tmp/cols" ||
    { cat "$tmp/out" >&2; fail "cluster list rows"; }
awk '$5 !~ /^[0-9]+s$/ { exit 1 }' "$tmp/out" || fail "heartbeat ages"
[ "$(grep -c '  $' "$tmp/out")" = 0 ] || fail "trailing spaces in a table"
expect 0 p --json cluster list
expect_jq out '.clusters | length == 1'
expect_jq out '.clusters[0].name == "TestCluster" and
    ([.clusters[0].brokers[].broker_name] == ["broker-a", "broker-b"])'
expect_jq out '.clusters[0].brokers[0] | .cluster == "TestCluster" and
    (.addresses | length == 1) and .addresses[0].broker_id == 0 and
    .addresses[0].address == "127.0.0.1:10911" and
    (.addresses[0].last_heartbeat_ms | type == "number") and
    (.addresses[0].heartbeat_age_ms | type == "number") and
    (.addresses[0].heartbeat_age_ms < 60000) and
    (.addresses[0].last_heartbeat | test("^[0-9-]+T[0-9:.]+Z$"))'
# --json works after the verb too.
expect 0 p cluster list --json
expect_jq out '.clusters[0].brokers | length == 2'

# route: queues per broker, right-aligned numbers, perm letters.
expect 0 p route orders
expect_out "BROKER    READ  WRITE  PERM  ID  ADDRESS
broker-a     8      8  rw-    0  127.0.0.1:10911
broker-b    16      2  rw-    0  127.0.0.1:10921"
expect 0 p route --no-headers audit
expect_out "broker-a  4  4  r--  0  127.0.0.1:10911"
expect 0 p --json route orders
expect_jq out '.topic == "orders" and (.queues | length == 2) and
    .queues[0] == {"broker_name": "broker-a", "read_queues": 8,
    "write_queues": 8, "perm": 6, "perm_string": "rw-", "order": false} and
    .queues[1].read_queues == 16 and .queues[1].write_queues == 2 and
    ([.brokers[].broker_name] == ["broker-a", "broker-b"]) and
    .brokers[1].addresses[0].address == "127.0.0.1:10921"'

# An unknown topic is a clean negative: exit 1, nothing on stdout.
expect 1 p route nosuchtopic
expect_grep err '^petrel: route nosuchtopic: '
[ -s "$tmp/out" ] && fail "route of an unknown topic wrote to stdout"
expect 1 p --json route nosuchtopic
expect_jq err '.error.code == "not_found" and .error.status == 5'
[ -s "$tmp/out" ] && fail "a JSON error went to stdout"

# kv: put, get, list, delete; a missing key exits 1.
expect 1 p kv get ns1 k1
expect_grep err '^petrel: kv get ns1 k1: '
expect 1 p --json kv get ns1 k1
expect_jq err '.error.code == "not_found"'
expect 0 p kv put ns1 k1 v1
expect_out ""
expect 0 p kv get ns1 k1
expect_out "v1"
expect 0 p kv put ns1 k1 v2
expect 0 p kv get ns1 k1
expect_out "v2"
expect 0 p --json kv put ns1 k2 'two words'
expect_jq out '. == {"namespace": "ns1", "key": "k2", "value": "two words"}'
expect 0 p kv put ns2 k1 other
expect 1 p kv list nosuchnamespace
expect_grep err '^petrel: kv list nosuchnamespace: '
expect 0 p kv list ns1
expect_out "KEY  VALUE
k1   v2
k2   two words"
expect 0 p kv list --no-headers ns1
expect_out "k1  v2
k2  two words"
expect 0 p --json kv list ns1
expect_jq out '. == {"namespace": "ns1", "entries": [
    {"key": "k1", "value": "v2"}, {"key": "k2", "value": "two words"}]}'

# Values that need escaping come back intact through JSON and raw.
odd=$(printf 'quote" back\\ tab\t caf\303\251 \001end')
expect 0 p kv put ns1 odd "$odd"
expect 0 p --json kv get ns1 odd
[ "$(jq -j .value "$tmp/out")" = "$odd" ] || fail "JSON value mangled"
expect 0 p kv get ns1 odd
[ "$(cat "$tmp/out")" = "$odd" ] || fail "raw value mangled"
expect 0 p kv list ns1
expect_grep out '^odd  quote" back\\ tab\\t caf.* \\x01end$'
# A value that starts with a dash goes after --.
expect 0 p kv put ns1 dash -- -5
expect 0 p kv get ns1 dash
expect_out "-5"

expect 0 p kv delete ns1 k1
expect_out ""
expect 1 p kv get ns1 k1
expect 0 p --json kv delete ns1 k2
expect_jq out '. == {"namespace": "ns1", "key": "k2", "deleted": true}'
expect 0 p kv get ns2 k1
expect_out "other"

# The default name server comes from PETREL_NAMESRV.
expect 0 env PETREL_NAMESRV="$ns" "$PETREL" kv get ns2 k1
expect_out "other"
exit 0
