#!/bin/sh
# petrel's command line without a server: help, version, and every kind of
# bad argument exits 64 (EX_USAGE) with a usage line on stderr, as text or
# as a JSON error with --json.
. "$top_srcdir/tests/integration/cli_lib.sh"

# Help and version go to stdout and exit 0.
expect 0 "$PETREL" --help
expect_grep out '^usage: petrel '
expect_grep out '^  cluster list '
expect_grep out '^  kv get NAMESPACE KEY '
expect 0 "$PETREL" -h
expect_grep out '^usage: petrel '
expect 0 "$PETREL" help
expect_grep out '^Commands:'
expect 0 "$PETREL" help kv
expect_grep out '^  kv list \[--no-headers\] NAMESPACE'
expect 0 "$PETREL" help kv put
expect_grep out '^usage: petrel kv put NAMESPACE KEY VALUE$'
expect 0 "$PETREL" kv get -h
expect_grep out '^usage: petrel kv get NAMESPACE KEY$'
expect 0 "$PETREL" kv --help
expect_grep out '^Verbs:'
expect 0 "$PETREL" route --help
expect_grep out '--no-headers'
expect 0 "$PETREL" -V
expect_grep out '^petrel [0-9]+\.[0-9]+\.[0-9]+$'
expect 0 "$PETREL" --version
expect 0 "$PETREL" --json --version
expect_jq out '.name == "petrel" and (.version | test("^[0-9]+[.][0-9]+[.][0-9]+$"))'
# Help in JSON: every command with its usage and options, or those asked.
expect 0 "$PETREL" --json help
expect_jq out '.usage == "petrel [-hV] [--json] [-n host:port[;...]] [-t ms] command [args]" and
    (.commands | length) == 24 and
    (.commands | map(.command) | index("bench consume")) != null and
    (.commands[] | select(.command == "bench consume") | .options |
	map(.name) | index("namesrv")) != null and
    (.options | map(select(.letter == "n")) | length) == 1'
"$PETREL" __commands | wc -l | grep -qx 24 || fail "not 24 commands"
expect 0 "$PETREL" help --json kv get
expect_jq out '(.commands | map(.command)) == ["kv get"] and
    .commands[0].usage == "petrel kv get NAMESPACE KEY"'
expect 0 "$PETREL" --json kv -h
expect_jq out '(.commands | map(.command)) ==
    ["kv get", "kv put", "kv delete", "kv list"]'
expect 0 "$PETREL" --json -h
expect_jq out '(.commands | length) == 24'
expect 0 "$PETREL" --json bench store -h
expect_jq out '.commands[0].command == "bench store"'
# -h wins whatever follows it: --json, or an option it does not know.
expect 0 "$PETREL" bench store -h --json
expect_jq out '(.commands | map(.command)) == ["bench store"]'
expect 0 "$PETREL" topic create -h --bogus
expect_grep out '^usage: petrel topic create'

# Usage errors: 64, a reason and a usage line, nothing on stdout.  None of
# these may try to reach a name server (there is none on this port).
dead="-n 127.0.0.1:$(free_port) -t 200"
usage_error()
{
	expect 64 "$PETREL" $dead "$@"
	expect_grep err '^usage: petrel'
	[ -s "$tmp/out" ] && fail "\"$*\" wrote to stdout"
	return 0
}
usage_error
usage_error bogus
expect_grep err 'unknown command "bogus"'
usage_error kv
expect_grep err 'no verb given'
usage_error kv frob
expect_grep err 'unknown verb "frob"'
usage_error kv get onlyone
expect_grep err 'missing arguments \(NAMESPACE KEY\)'
usage_error kv get a b c
expect_grep err 'unexpected argument "c"'
usage_error kv put a b
usage_error kv list
usage_error kv delete a
usage_error kv get "" key
expect_grep err 'empty namespace'
usage_error kv put ns "" value
expect_grep err 'empty key'
usage_error route
usage_error route a b
usage_error route ""
usage_error cluster list extra
usage_error cluster list --bogus
expect_grep err 'unknown option "--bogus"'
usage_error route -x topic
expect_grep err 'unknown option "-x"'
usage_error --bogus cluster list
usage_error -t cluster list
expect_grep err 'bad timeout'
usage_error -t 0 cluster list
usage_error -t 99999999999 cluster list
usage_error help nothing
usage_error help kv nothing
expect 64 "$PETREL" -n 'nonsense' cluster list
expect_grep err 'bad name server address: nonsense'
expect 64 "$PETREL" -n '127.0.0.1:1;example.com:9876' cluster list
expect_grep err 'bad name server address: example.com'
expect 64 "$PETREL" -n ' ; ' cluster list
expect_grep err 'no name server address given'
expect 64 "$PETREL" -t
expect_grep err 'needs an argument'

# -n and -t may also follow the verb of every command that asks a server,
# with the same checks; the command's own usage line comes with the error.
usage_error cluster list -t 0
expect_grep err 'bad timeout "0"'
expect_grep err '^usage: petrel cluster list'
usage_error bench consume --topic T -g G -c 1 --timeout x
expect_grep err 'bad timeout "x"'
usage_error cluster list -n
expect_grep err 'cluster list: option "-n" needs an argument'
usage_error bench produce --topic T --namesrv
expect_grep err 'option "--namesrv" needs an argument'
usage_error route T -n nonsense
expect_grep err 'bad name server address: nonsense'
usage_error consume T -g G --namesrv ' ; '
expect_grep err 'no name server address given'
# The command asks no server: no -n.
usage_error help -n 127.0.0.1:1
expect_grep err 'unknown option "-n"'
"$PETREL" __commands >"$tmp/commands" || fail "__commands"
while read -r cmd; do
	case $cmd in
	help|"bench store"|"bench runtime")
		continue ;;
	esac
	# shellcheck disable=SC2086
	expect 0 "$PETREL" $cmd -n 127.0.0.1:1 --timeout 5 --help
	expect_grep out '^  -n, --namesrv host:port'
	expect_grep out '^  -t, --timeout ms'
	# shellcheck disable=SC2086
	expect 0 "$PETREL" __complete $cmd --name
	expect_out "--namesrv"
done <"$tmp/commands"

# In JSON mode the error is one JSON document on stderr.
expect 64 "$PETREL" $dead --json kv get onlyone
expect_jq err '.error.code == "usage" and
    (.error.message | test("missing arguments")) and
    .error.usage == "petrel kv get NAMESPACE KEY"'
[ -s "$tmp/out" ] && fail "a JSON usage error wrote to stdout"
expect 64 "$PETREL" $dead kv get --json onlyone
expect_jq err '.error.code == "usage"'
exit 0
