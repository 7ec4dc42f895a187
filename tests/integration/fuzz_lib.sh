# Sourced by the bounded libFuzzer runs (fuzz_*.sh): checks that clang can
# build a libFuzzer target (else exits 77, skipped), makes $tmp (removed on
# exit) and sets $s and $b to the source and build trees, $cc to the
# compiler and $seconds to how long to fuzz (FUZZ_SECONDS, 20).  A run is
# then fuzz_build or fuzz_build_tree, and fuzz_run.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
seconds=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}
s=$top_srcdir
b=$top_builddir

command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Can this clang link a libFuzzer target at all?
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" \
    "$tmp/probe.c" >/dev/null 2>&1; then
	echo "$cc cannot link -fsanitize=fuzzer (libclang-rt-14-dev?): skipped"
	exit 77
fi

# Compile the libFuzzer target $tmp/NAME from the arguments (flags and
# sources) with the sanitizers every run uses; exits 1 if it fails.
fuzz_build() {
	fb_name=$1
	shift
	"$cc" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    -o "$tmp/$fb_name" "$@" || exit 1
}

# Compile $tmp/NAME from the target SOURCE with every library and actor
# source, the generated protobuf code of $b/proto and their libraries;
# further arguments are extra compiler flags and sources.
fuzz_build_tree() {
	fbt_name=$1
	fbt_src=$2
	shift 2
	# shellcheck disable=SC2046
	fuzz_build "$fbt_name" "$@" \
	    -I"$b" -I"$b/proto" -I"$s/lib" -I"$s/actors" \
	    $(pkg-config --cflags libevent_core libprotobuf-c liblz4) \
	    "$fbt_src" "$s"/lib/*.c "$s"/actors/*.c "$b"/proto/*.pb-c.c \
	    $(pkg-config --libs libevent_core libevent_pthreads \
	    libprotobuf-c liblz4) -lpthread -lm
}

# Fuzz $tmp/NAME for $seconds from a copy of tests/corpus/CORPUS with
# inputs up to MAXLEN bytes, saying it fuzzes WHAT; lines of its log
# matching the grep pattern QUIET (if given) are left out of the report.
# Exits 0 if it found nothing, else 1 after showing the log's end and
# every artifact.
fuzz_run() {
	fr_name=$1 fr_corpus=$2 fr_max=$3 fr_what=$4 fr_quiet=${5:-}
	mkdir "$tmp/corpus" &&
	    cp "$s/tests/corpus/$fr_corpus"/* "$tmp/corpus/" || exit 1
	fr_n=$(ls "$tmp/corpus" | wc -l)
	echo "fuzzing $fr_what for ${seconds}s from $fr_n seeds"
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1 \
	"$tmp/$fr_name" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="$fr_max" -print_final_stats=1 \
	    -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/all" 2>&1
	fr_rc=$?
	if [ -n "$fr_quiet" ]; then
		grep -v -e "$fr_quiet" "$tmp/all" >"$tmp/log"
	else
		cp "$tmp/all" "$tmp/log"
	fi
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' \
	    "$tmp/log"
	if [ $fr_rc -ne 0 ]; then
		tail -n 60 "$tmp/log"
		for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
			[ -f "$f" ] || continue
			echo "artifact $f:"; od -A x -t x1z "$f" | head -n 20
		done
		exit 1
	fi
	echo "new corpus entries: $(( $(ls "$tmp/corpus" | wc -l) - fr_n ))"
	exit 0
}
