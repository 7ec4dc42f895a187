#!/bin/sh
# Petrel on one machine, from a built tree: starts a name server and a
# broker (broker-a) in the background with their data and logs under
# ./petrel-data, waits until the broker has registered, shows the
# cluster with "petrel cluster list", creates a topic, sends three
# messages with "petrel send" and consumes them with "petrel consume".
# It builds nothing: build first (tests/run-all.sh does, into ./build).
#
# usage: cli/quickstart.sh [BUILD_DIR] [start|stop]
#   BUILD_DIR  the build tree (default ./build)
#   start      start the name server and the broker (the default) and list
#              the cluster
#   stop       stop what start started
# PETREL_PORT picks the name server's port (default 9876, which petrel
# asks when given no -n).  The broker listens on 10911 with the default
# name server port, else on any free port (it registers the one it got).
set -u

build=${1:-./build}
action=${2:-start}
port=${PETREL_PORT:-9876}
data=./petrel-data
namesrv=$build/daemons/petrel-namesrv
broker=$build/daemons/petrel-broker
petrel=$build/cli/petrel
ns=127.0.0.1:$port
pidfile=$data/namesrv.pid
log=$data/namesrv.log
broker_pidfile=$data/broker.pid
broker_log=$data/broker-a.log
if [ "$port" = 9876 ]; then
	broker_port=10911
else
	broker_port=0
fi
# The data folder is ./petrel-data wherever this runs; the name server
# keeps its key/value table in petrel-data/namesrv.

die()
{
	echo "quickstart: $*" >&2
	exit 1
}

# The pid in pid file $1 (default the name server's) if that process is
# program $2 (default petrel-namesrv), else "".
running_pid()
{
	_file=${1:-$pidfile}
	[ -f "$_file" ] || return 0
	pid=$(cat "$_file")
	case $pid in
	''|*[!0-9]*) return 0 ;;
	esac
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
	    grep -q "${2:-petrel-namesrv}" && echo "$pid"
	return 0
}

# stop_pid PID NAME LOG: SIGTERM, wait up to 15 s, say so.
stop_pid()
{
	kill "$1" || die "cannot stop pid $1"
	deadline=$(($(date +%s) + 15))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] ||
		    die "pid $1 did not stop within 15 s; see $3"
		sleep 0.1
	done
	echo "quickstart: stopped the $2 (pid $1)"
}

# Stop the broker if it runs (before the name server, so it unregisters).
stop_broker()
{
	bpid=$(running_pid "$broker_pidfile" petrel-broker)
	[ -z "$bpid" ] || stop_pid "$bpid" broker "$broker_log"
	rm -f "$broker_pidfile"
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
	stop_broker
	pid=$(running_pid)
	if [ -z "$pid" ]; then
		rm -f "$pidfile"
		echo "quickstart: no name server from $data is running"
		return 0
	fi
	stop_pid "$pid" "name server" "$log"
	rm -f "$pidfile"
}

start()
{
	[ -x "$namesrv" ] && [ -x "$petrel" ] ||
	    die "no petrel-namesrv or petrel in $build: build first"
	pid=$(running_pid)
	if [ -n "$pid" ]; then
		echo "quickstart: the name server is already running" \
		    "(pid $pid)"
		show cluster list || return $?
		messages
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
	# broker-a, its data under $data/broker-a, registering with $ns.
	[ -x "$broker" ] || die "no petrel-broker in $build: build first"
	cat >"$data/broker-a.conf" <<EOF
# Written by cli/quickstart.sh: a broker for this machine only.
brokerName = broker-a
listenAddress = 127.0.0.1
listenPort = $broker_port
namesrvAddr = $ns
storePathRootDir = $(pwd)/petrel-data/broker-a
EOF
	"$broker" -d -f "$data/broker-a.conf" >"$broker_log" 2>&1 &
	bpid=$!
	echo "$bpid" >"$broker_pidfile"

	# Wait until the name server lists it, or give up after 10 s.
	deadline=$(($(date +%s) + 10))
	until "$petrel" -n "$ns" -t 200 cluster list 2>/dev/null |
	    grep -q broker-a; do
		if ! kill -0 "$bpid" 2>/dev/null; then
			rm -f "$broker_pidfile"
			tail -n 20 "$broker_log" >&2
			die "the broker exited; its log is $broker_log" \
			    "(the name server still runs: $0 $build stop)"
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			stop_broker
			tail -n 20 "$broker_log" >&2
			die "the broker did not register within 10 s" \
			    "(the name server still runs: $0 $build stop)"
		fi
		sleep 0.1
	done

	echo "quickstart: a name server is running on $ns (pid $pid)"
	echo "quickstart: broker-a is running (pid $bpid)"
	echo "quickstart: data and log are in $data"
	echo
	show cluster list || return $?
	messages || return $?
	echo
	echo "Stop:  $0 $build stop"
}

# Messages through the broker: a topic, three sends, a consumer group
# that takes them (each run consumes the three it sent: the group's
# offset is kept).
messages()
{
	echo
	show topic create QuickStart --cluster DefaultCluster --queues 4 ||
	    return $?
	printf '$ printf '"'"'hello\\nfrom\\npetrel\\n'"'"' | %s send QuickStart -\n' \
	    "$petrel_cmd"
	printf 'hello\nfrom\npetrel\n' | $petrel_cmd send QuickStart - ||
	    return $?
	show consume QuickStart --group quickstart --count 3 --from first
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
