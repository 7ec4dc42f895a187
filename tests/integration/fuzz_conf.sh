#!/bin/sh
# A bounded libFuzzer run over the configuration files as petrel-broker and
# petrel-namesrv load them (tests/fuzz/fuzz_conf.c with
# daemons/broker_conf.c and daemons/namesrv_conf.c).  Compiles the target
# directly with clang, -fsanitize=fuzzer,address,undefined, from those, the
# library and actor sources and the generated protobuf code of
# $top_builddir/proto, then fuzzes a copy of tests/corpus/conf for
# FUZZ_SECONDS (20) seconds.  Skips (77) without clang and libFuzzer
# (packages clang and libclang-rt-14-dev).
. "${top_srcdir:?}/tests/integration/fuzz_lib.sh"
fuzz_build_tree fuzz_conf "$s/tests/fuzz/fuzz_conf.c" -I"$s/daemons" \
    "$s/daemons/broker_conf.c" "$s/daemons/namesrv_conf.c"
fuzz_run fuzz_conf conf 4096 "the configuration files"
