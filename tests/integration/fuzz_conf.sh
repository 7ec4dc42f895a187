#!/bin/sh
# A bounded libFuzzer run over the configuration files as petrel-broker and
# petrel-namesrv load them (tests/fuzz/fuzz_conf.c, which compiles in the
# daemons' sources).  Compiles the target directly with clang,
# -fsanitize=fuzzer,address,undefined, from the library and actor sources
# the daemons reach and the generated protobuf code of $top_builddir/proto,
# then fuzzes a copy of tests/corpus/conf for FUZZ_SECONDS (20) seconds.
# Skips (77) without clang and libFuzzer (packages clang and
# libclang-rt-14-dev).
. "${top_srcdir:?}/tests/integration/fuzz_lib.sh"
# shellcheck disable=SC2046
"$cc" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -I"$b" -I"$b/proto" -I"$s/lib" -I"$s/actors" -DSYSCONFDIR='"/etc"' \
    $(pkg-config --cflags libevent_core libprotobuf-c liblz4) \
    -o "$tmp/fuzz_conf" \
    "$s/tests/fuzz/fuzz_conf.c" "$s"/lib/*.c "$s"/actors/*.c \
    "$b"/proto/*.pb-c.c \
    $(pkg-config --libs libevent_core libevent_pthreads libprotobuf-c \
    liblz4) -lpthread -lm || exit 1

mkdir "$tmp/corpus" && cp "$s"/tests/corpus/conf/* "$tmp/corpus/" || exit 1
n=$(ls "$tmp/corpus" | wc -l)
echo "fuzzing the configuration files for ${seconds}s from $n seeds"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1 \
"$tmp/fuzz_conf" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/log" 2>&1
rc=$?
grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$tmp/log"
if [ $rc -ne 0 ]; then
	tail -n 60 "$tmp/log"
	for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
		[ -f "$f" ] || continue
		echo "artifact $f:"; od -A x -t x1z "$f" | head -n 20
	done
	exit 1
fi
echo "new corpus entries: $(( $(ls "$tmp/corpus" | wc -l) - n ))"
exit 0
