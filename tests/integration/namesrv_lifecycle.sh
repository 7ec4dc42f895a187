#!/bin/sh
# The name server's life: -n, --print-config, usage and config errors
# (file:line, exit 78), readiness over NOTIFY_SOCKET, SIGHUP with a good
# and then a bad file (it keeps running on the old one), SIGTERM (exit 0),
# a busy port (exit 69) and a corrupt key/value file (exit 65).
. "$top_srcdir/tests/integration/namesrv_lib.sh"
ns_setup
conf=$NS_TMP/namesrv.conf

# Check only: good file.
"$NAMESRV" -n -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 0 ] || ns_fail "-n on a good file: exit $rc"
grep -q "configuration OK" err || ns_fail "-n says nothing"

# The effective configuration, with -p over the file.
"$NAMESRV" -f "$conf" -p 0 --print-config >out 2>err; rc=$?
[ "$rc" -eq 0 ] || ns_fail "--print-config: exit $rc"
grep -qx "listenPort = 0" out || ns_fail "--print-config: $(cat out)"
grep -qx "listenAddress = 127.0.0.1" out || ns_fail "--print-config address"
grep -qx "brokerChannelExpiredTime = 2m" out || ns_fail "default expiry"

# Every key is documented in petrel.conf(5).
for key in $(sed 's/ =.*//' out); do
	grep -q "^\.It Cm $key Ns" "$top_srcdir/man/petrel.conf.5" ||
	    ns_fail "$key is not in petrel.conf.5"
done

# Usage errors: 64.
"$NAMESRV" -x >out 2>err; rc=$?
[ "$rc" -eq 64 ] || ns_fail "-x: exit $rc, not 64"
grep -q "usage:" err || ns_fail "no usage line"
"$NAMESRV" -p 70000 >out 2>err; rc=$?
[ "$rc" -eq 64 ] || ns_fail "-p 70000: exit $rc, not 64"

# A bad file: every error with file:line, exit 78, with -n and without.
cat >"$NS_TMP/bad.conf" <<'CONF'
# a comment
listenAddress = 127.0.0.1
listenPrt = 9876
scanNotActiveBrokerInterval = soon
listenAddress = 127.0.0.2
CONF
for flags in "-n" "-d"; do
	"$NAMESRV" $flags -f "$NS_TMP/bad.conf" >out 2>err; rc=$?
	[ "$rc" -eq 78 ] || ns_fail "bad file with $flags: exit $rc, not 78"
	grep -q "bad.conf:3: unknown key \"listenPrt\" (did you mean \"listenPort\"?)" err ||
	    ns_fail "no bad.conf:3 error: $(cat err)"
	grep -q "bad.conf:4: scanNotActiveBrokerInterval: expected a duration" err ||
	    ns_fail "no bad.conf:4 error: $(cat err)"
	grep -q "bad.conf:5: duplicate key \"listenAddress\" (first set on line 2)" err ||
	    ns_fail "no bad.conf:5 error: $(cat err)"
done
"$NAMESRV" -n -f "$NS_TMP/missing.conf" >out 2>err; rc=$?
[ "$rc" -eq 78 ] || ns_fail "missing -f file: exit $rc, not 78"

# Running: READY with the port, then reloads.
ns_start
"$NAMESRV" -d -p "$NS_PORT" -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 69 ] || ns_fail "second server on a busy port: exit $rc, not 69"

printf 'listenAddress = 127.0.0.1\nscanNotActiveBrokerInterval = 5s\nmaxFrameSize = 1m\n' >"$conf"
kill -HUP "$NS_PID"
ns_wait_notify RELOADING=1 1 || ns_fail "no RELOADING=1"
ns_wait_notify READY=1 2 || ns_fail "no READY=1 after the reload"
ns_wait 10 grep -q "scanNotActiveBrokerInterval: 10s -> 5s" namesrv.log ||
    ns_fail "the new scan interval was not applied"
grep -q "maxFrameSize changed (16m -> 1m): restart to apply it" namesrv.log ||
    ns_fail "no warning about maxFrameSize"

printf 'listenAddress = 127.0.0.1\nbogus = 1\n' >"$conf"
kill -HUP "$NS_PID"
ns_wait_notify READY=1 3 || ns_fail "no READY=1 after the bad reload"
grep -q "namesrv.conf:2: unknown key \"bogus\"" namesrv.log ||
    ns_fail "the bad reload did not say why"
grep -q "reload failed: keeping the running configuration" namesrv.log ||
    ns_fail "the bad reload was not refused"
ns_alive || ns_fail "died on a bad reload"
if ns_find_python; then
	"$PYTHON3" -c "
import sys
sys.path.insert(0, '$top_srcdir/tests/integration')
from petrel_client import Client
assert Client($NS_PORT).ping().server.startswith('petrel-namesrv')
" || ns_fail "no answer after the bad reload"
fi
ns_stop 0
grep -q "stopping on signal 15" namesrv.log || ns_fail "no stop line"

# Without -d it goes to the background once ready: the command returns 0
# and the server answers until SIGTERM.
printf 'listenAddress = 127.0.0.1\n' >"$conf"
env -u NOTIFY_SOCKET "$NAMESRV" -p 0 -f "$conf" >bg.out 2>bg.log; rc=$?
[ "$rc" -eq 0 ] || ns_fail "background start: exit $rc: $(cat bg.log)"
bg_pid=$(sed -n 's/.*petrel-namesrv\[\([0-9]*\)\] info: listening on.*/\1/p' \
    bg.log | head -n 1)
[ -n "$bg_pid" ] && kill -0 "$bg_pid" 2>/dev/null ||
    ns_fail "no background server: $(cat bg.log)"
NS_PID=$bg_pid			# for the cleanup trap
kill -TERM "$bg_pid"
ns_wait 20 sh -c "! kill -0 $bg_pid 2>/dev/null" ||
    ns_fail "the background server did not stop"
NS_PID=
ns_wait 10 grep -q "stopped" bg.log || ns_fail "no stop line in the background"

# A corrupt key/value file: refused with a clear error, exit 65.
mkdir -p "$NS_TMP/kv"
printf 'not a petrel file at all' >"$NS_TMP/kv/kvConfig"
printf 'listenAddress = 127.0.0.1\nkvConfigPath = %s/kv/kvConfig\n' \
    "$NS_TMP" >"$conf"
"$NAMESRV" -d -p 0 -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 65 ] || ns_fail "corrupt kv file: exit $rc, not 65"
grep -q "kv/kvConfig: not a Petrel key/value file" err ||
    ns_fail "corrupt kv file: $(cat err)"
# In the background the parent reports the child's failure.
env -u NOTIFY_SOCKET "$NAMESRV" -p 0 -f "$conf" >out 2>err; rc=$?
[ "$rc" -eq 65 ] || ns_fail "corrupt kv file in the background: exit $rc"
exit 0
