#!/bin/sh
# The broker's life: -n and --print-config (every key documented), a bad
# file (file:line, exit 78), start on port 0 with readiness over
# NOTIFY_SOCKET, listed by "petrel cluster list --json", a second broker
# on the same data root refused (exit 75), SIGHUP, then SIGTERM: exit 0
# and gone from the list (it unregisters, no expiry needed).
. "$top_srcdir/tests/integration/broker_lib.sh"
bk_setup
command -v jq >/dev/null 2>&1 || { echo "no jq"; exit 77; }
NS_PORT=9876		# for bk_conf before the name server runs
bk_conf broker-l
conf=$NS_TMP/broker-l.conf

"$BROKER" -n -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 0 ] || bk_fail "-n on a good file: exit $rc: $(cat err)"
grep -q "configuration OK" err || bk_fail "-n says nothing"

"$BROKER" -f "$conf" -p 0 --print-config >out 2>err; rc=$?
[ "$rc" -eq 0 ] || bk_fail "--print-config: exit $rc"
grep -qx "listenPort = 0" out || bk_fail "--print-config: $(cat out)"
grep -qx "brokerName = broker-l" out || bk_fail "--print-config name"
grep -qx "brokerClusterName = DefaultCluster" out || bk_fail "default cluster"
grep -qx "autoCreateTopicEnable = false" out || bk_fail "default autoCreate"
grep -qx "defaultTopicQueueNums = 8" out || bk_fail "default queues"
for key in $(sed 's/ =.*//' out); do
	sed -n '/^\.Sh BROKER/,/^\.Sh /p' "$top_srcdir/man/petrel.conf.5" |
	    grep -q "^\.It Cm $key Ns" ||
	    bk_fail "$key is not in the BROKER section of petrel.conf.5"
done

# The data root defaults to $STATE_DIRECTORY (its first entry).
grep -v storePathRootDir "$conf" >"$NS_TMP/nostore.conf"
STATE_DIRECTORY=/var/lib/x:/var/lib/y "$BROKER" -f "$NS_TMP/nostore.conf" \
    --print-config >out 2>err
grep -qx "storePathRootDir = /var/lib/x" out ||
    bk_fail "STATE_DIRECTORY not used: $(cat out)"

cat >"$NS_TMP/bad.conf" <<'CONF'
# a comment
brokerName = broker-bad
listenPrt = 10911
defaultTopicQueueNums = 5000
brokerName = again
CONF
for flags in "-n" "-d"; do
	"$BROKER" $flags -f "$NS_TMP/bad.conf" >out 2>err; rc=$?
	[ "$rc" -eq 78 ] || bk_fail "bad file with $flags: exit $rc, not 78"
	grep -q "bad.conf:3: unknown key \"listenPrt\" (did you mean \"listenPort\"?)" err ||
	    bk_fail "no bad.conf:3 error: $(cat err)"
	grep -q "bad.conf:4: defaultTopicQueueNums" err ||
	    bk_fail "no bad.conf:4 error: $(cat err)"
	grep -q "bad.conf:5: duplicate key \"brokerName\"" err ||
	    bk_fail "no bad.conf:5 error: $(cat err)"
done
printf 'namesrvAddr = 127.0.0.1:9876;nohost\n' >"$NS_TMP/bad2.conf"
"$BROKER" -n -f "$NS_TMP/bad2.conf" >out 2>err; rc=$?
[ "$rc" -eq 78 ] || bk_fail "bad namesrvAddr: exit $rc, not 78"
grep -q "bad2.conf: namesrvAddr: \"nohost\" is not host:port" err ||
    bk_fail "bad namesrvAddr: $(cat err)"
"$BROKER" -n -f "$NS_TMP/missing.conf" >out 2>err; rc=$?
[ "$rc" -eq 78 ] || bk_fail "missing -f file: exit $rc, not 78"
"$BROKER" -x >out 2>err; rc=$?
[ "$rc" -eq 64 ] || bk_fail "-x: exit $rc, not 64"

# Running: registered and listed.
ns_start
bk_conf broker-l
bk_start broker-l
pid=$BK_PID
port=$BK_PORT
ns_wait 20 bk_listed broker-l "$port" || bk_fail "broker-l is not listed"
[ -f "$NS_TMP/broker-l.data/lock" ] || bk_fail "no lock file"

# A second broker on the same data root: refused, exit 75, clear message.
"$BROKER" -d -p 0 -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 75 ] || bk_fail "second broker on the data root: exit $rc"
grep -q "another broker is using the data root" err ||
    bk_fail "second broker: $(cat err)"
# ... also in the background, where the parent reports it.
env -u NOTIFY_SOCKET "$BROKER" -p 0 -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 75 ] || bk_fail "second broker in the background: exit $rc"
kill -0 "$pid" || bk_fail "the first broker died"

# SIGHUP: a new log level is taken, a bad file is refused.
printf 'logLevel = debug\n' >>"$conf"
kill -HUP "$pid"
ns_wait 20 sh -c '[ "$(grep -c READY=1 "$1")" -ge 2 ]' sh \
    "$NS_TMP/broker-l.nout" || bk_fail "no READY=1 after the reload"
ns_wait 10 grep -q "logLevel: info -> debug" "$NS_TMP/broker-l.blog" ||
    bk_fail "the new log level was not applied"
printf 'bogus = 1\n' >>"$conf"
kill -HUP "$pid"
ns_wait 20 sh -c '[ "$(grep -c READY=1 "$1")" -ge 3 ]' sh \
    "$NS_TMP/broker-l.nout" || bk_fail "no READY=1 after the bad reload"
grep -q "reload failed: keeping the running configuration" \
    "$NS_TMP/broker-l.blog" || bk_fail "the bad reload was not refused"

# SIGTERM: exit 0, unregistered at once.
bk_stop "$pid"
grep -q STOPPING=1 "$NS_TMP/broker-l.nout" || bk_fail "no STOPPING=1"
grep -q "unregistered from name server 127.0.0.1:$NS_PORT" \
    "$NS_TMP/broker-l.blog" || bk_fail "no unregistration logged"
bk_listed broker-l "$port" && bk_fail "broker-l still listed after SIGTERM"

# The lock went with the process: the data root can be used again.
bk_conf broker-l
bk_start broker-l
ns_wait 20 bk_listed broker-l "$BK_PORT" || bk_fail "restart not listed"
bk_stop "$BK_PID"
ns_stop 0
exit 0
