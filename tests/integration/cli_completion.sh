#!/bin/bash
# etc/bash-completion/petrel, loaded the way bash-completion loads it,
# completes commands, verbs and options from the program's own table.
. "$top_srcdir/tests/integration/cli_lib.sh"

bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || skip "bash-completion is not installed"
# shellcheck disable=SC1090
. "$bc"
. "$top_srcdir/etc/bash-completion/petrel"
PATH=$top_builddir/cli:$PATH

# complete WORD...: complete the last word; the candidates, space-separated,
# are in $got.
complete_words()
{
	COMP_WORDS=(petrel "$@")
	COMP_CWORD=$#
	COMP_LINE="petrel $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_petrel
	got="${COMPREPLY[*]}"
}

check()
{
	want=$1
	shift
	complete_words "$@"
	[ "$got" = "$want" ] ||
	    fail "completing \"petrel $*\" gave \"$got\", wanted \"$want\""
}

check "cluster" cl
# Every noun, in table order (the program's own list of commands).
check "$("$PETREL" __commands | sed 's/ .*//' | uniq | tr '\n' ' ' |
    sed 's/ $//')" ""
check "create update delete list status" topic ""
check "--cluster" topic create Orders --cl
check "" topic create --perm ""
check "list progress reset" group ""
check "--cluster" group list --cl
check "--to --timeout" group reset G T --t
check "--namesrv" bench consume --topic T --n
check "get query" msg ""
check "--key" msg query --topic T --k
check "status" broker ""
check "kv" k
check "get put delete list" kv ""
check "list" kv l
check "delete" kv d
check "--no-headers --namesrv --timeout --json --help" kv list -
check "--json" --js
check "--namesrv --timeout --json --help --version" -
check "cluster consume" -n 127.0.0.1:9876 c
check "cluster" -t 500 cl
check "" -n ""
check "--no-headers" route --no
check "put" help kv p
check "" kv get ns ""
check "produce consume store runtime" bench ""
check "--writers" bench store --dir /tmp --wr
[ "$(complete -p petrel)" = "complete -F _petrel petrel" ] ||
    fail "petrel is not registered for completion"
exit 0
