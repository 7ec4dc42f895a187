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
fuzz_build_tree fuzz_conf "$s/tests/fuzz/fuzz_conf.c" -DSYSCONFDIR='"/etc"'
fuzz_run fuzz_conf conf 4096 "the configuration files"
