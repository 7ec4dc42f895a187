#!/bin/sh
# Petrel on one machine, from a built tree: starts a name server in the
# background with its data and log under ./petrel-data, waits until it
# answers, and shows what it knows with "petrel cluster list".  It builds
# nothing: build first (tests/run-all.sh does, into ./build).
#
# usage: cli/quickstart.sh [BUILD_DIR] [start|stop]
#   BUILD_DIR  the build tree (default ./build)
#   start      start the name server (the default) and list the cluster
#   stop       stop what start started
# PETREL_PORT picks the name server's port (default 9876, which petrel
# asks when given no -n).
set -u

build=${1:-./build}
action=${2:-start}
port=${PETREL_PORT:-9876}
data=./petrel-data
namesrv=$build/daemons/petrel-namesrv
petrel=$build/cli/petrel
ns=127.0.0.1:$port
pidfile=$data/namesrv.pid
log=$data/namesrv.log
# The data folder is ./petrel-data wherever this runs; the name server
# keeps its key/value table in petrel-data/namesrv.

die()
{
	echo "quickstart: $*" >&2
	exit 1
}

# The pid in the pid file if that process is our name server, else "".
running_pid()
{
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	case $pid in
	''|*[!0-9]*) return 0 ;;
	esac
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
	    grep -q petrel-namesrv && echo "$pid"
	return 0
}

# petrel as a user would type it here.
if [ "$port" = 9876 ]; then
	petrel_cmd=$petrel
else
	petrel_cmd="$petrel -n $ns"
fi

# Show a petrel command, then run it.
show()
{
	echo "\$ $petrel_cmd $*"
	$petrel_cmd "$@"
}

stop()
{
	pid=$(running_pid)
	if [ -z "$pid" ]; then
		rm -f "$pidfile"
		echo "quickstart: no name server from $data is running"
		return 0
	fi
	kill "$pid" || die "cannot stop pid $pid"
	deadline=$(($(date +%s) + 15))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] ||
		    die "pid $pid did not stop within 15 s; see $log"
		sleep 0.1
	done
	rm -f "$pidfile"
	echo "quickstart: stopped the name server (pid $pid)"
}

start()
{
	[ -x "$namesrv" ] && [ -x "$petrel" ] ||
	    die "no petrel-namesrv or petrel in $build: build first"
	pid=$(running_pid)
	if [ -n "$pid" ]; then
		echo "quickstart: the name server is already running" \
		    "(pid $pid)"
		show cluster list
		return $?
	fi

	mkdir -p "$data/namesrv" || die "cannot create $data"
	cat >"$data/namesrv.conf" <<EOF
# Written by cli/quickstart.sh: a name server for this machine only.
listenAddress = 127.0.0.1
listenPort = $port
kvConfigPath = $(pwd)/petrel-data/namesrv/kvConfig
EOF
	"$namesrv" -d -f "$data/namesrv.conf" >"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"

	# Wait until it answers, or give up after 10 s.
	deadline=$(($(date +%s) + 10))
	until "$petrel" -n "$ns" -t 200 cluster list >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pidfile"
			tail -n 20 "$log" >&2
			die "the name server exited; its log is $log"
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kill "$pid" 2>/dev/null
			rm -f "$pidfile"
			tail -n 20 "$log" >&2
			die "the name server did not answer on $ns within 10 s"
		fi
		sleep 0.1
	done

	# --- broker ---------------------------------------------------------
	# petrel-broker joins here once it exists: start it the same way, with
	# its data under "$data/broker-a", registering with "$ns", write its pid
	# to "$data/broker.pid", wait until "petrel cluster list" shows it, and
	# stop it in stop() before the name server.

	echo "quickstart: a name server is running on $ns (pid $pid)"
	echo "quickstart: data and log are in $data"
	echo
	show cluster list || return $?
	show kv put demo greeting "hello from petrel" || return $?
	show kv get demo greeting || return $?
	echo
	echo "Stop:  $0 $build stop"
}

case $action in
start)
	start
	;;
stop)
	stop
	;;
*)
	echo "usage: $0 [BUILD_DIR] [start|stop]" >&2
	exit 64
	;;
esac
