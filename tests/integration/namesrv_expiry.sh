#!/bin/sh
# A silent broker disappears after the shortened expiry; a killed
# connection removes its broker at once.
. "$top_srcdir/tests/integration/namesrv_lib.sh"
ns_setup
ns_need_python
cat >>"$NS_TMP/namesrv.conf" <<'CONF'
scanNotActiveBrokerInterval = 100ms
brokerChannelExpiredTime = 1s
CONF
ns_start
ns_python namesrv_expiry.py
grep -q "dropped: no heartbeat in time" "$NS_TMP/namesrv.log" ||
    ns_fail "the expiry was not logged"
grep -q "dropped: its connection closed" "$NS_TMP/namesrv.log" ||
    ns_fail "the closed connection was not logged"
ns_stop 0
exit 0
