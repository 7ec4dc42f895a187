#!/bin/sh
# cli/quickstart.sh starts a name server from the build tree with its data
# under ./petrel-data, lists the cluster, sends three messages and
# consumes them, refuses to start a second one, and its "stop" stops it.
. "$top_srcdir/tests/integration/cli_lib.sh"

[ -x "$NAMESRV" ] || skip "petrel-namesrv is not built"
qs=$top_srcdir/cli/quickstart.sh
mkdir "$tmp/qs" && cd "$tmp/qs" || fail "cd"
PETREL_PORT=$(free_port)
export PETREL_PORT

# Stop whatever the script started even if this test fails half-way.
qs_cleanup()
{
	for d in broker namesrv; do
		[ -f "$tmp/qs/petrel-data/$d.pid" ] &&
		    kill "$(cat "$tmp/qs/petrel-data/$d.pid")" 2>/dev/null
	done
	cli_cleanup
}
trap qs_cleanup EXIT

expect 0 "$qs" "$top_builddir"
expect_grep out "running on 127\.0\.0\.1:$PETREL_PORT"
expect_grep out '^CLUSTER +BROKER +ID +ADDRESS +HEARTBEAT$'
expect_grep out '^DefaultCluster +broker-a +0 +127\.0\.0\.1:'
# Three messages sent and consumed.
expect_grep out ' ok queue [0-9]+ offset 0$'
expect_grep out '^QuickStart [0-9]+ 0 [0-9A-F]{32} - hello$'
expect_grep out '^QuickStart [0-9]+ 0 [0-9A-F]{32} - petrel$'
expect_grep out "quickstart\.sh $top_builddir stop"
[ -d petrel-data ] || fail "no ./petrel-data"
[ -s petrel-data/namesrv.log ] || [ -f petrel-data/namesrv.log ] ||
    fail "no log in ./petrel-data"
pid=$(cat petrel-data/namesrv.pid) || fail "no pid file"
kill -0 "$pid" || fail "the name server is not running"
expect 0 "$PETREL" -n "127.0.0.1:$PETREL_PORT" kv put qs k v

# A second start finds it running and starts nothing; the group
# consumes the three messages this run sent.
expect 0 "$qs" "$top_builddir" start
expect_grep out 'already running'
expect_grep out '^QuickStart [0-9]+ 1 [0-9A-F]{32} - from$'
[ "$(cat petrel-data/namesrv.pid)" = "$pid" ] || fail "pid changed"

expect 0 "$qs" "$top_builddir" stop
expect_grep out "stopped the name server \(pid $pid\)"
expect_grep out "stopped the broker"
[ -f petrel-data/broker.pid ] && fail "the broker's pid file is left"
kill -0 "$pid" 2>/dev/null && fail "the name server still runs"
[ -f petrel-data/namesrv.pid ] && fail "the pid file is left"
expect 0 "$qs" "$top_builddir" stop
expect_grep out 'no name server'
expect 64 "$qs" "$top_builddir" frob
exit 0
