#!/bin/sh
# Build Petrel with the sanitizers and -Werror in build/ and run every test.
# The last line printed is the totals, "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
./autogen.sh >/dev/null 2>&1 || { ./autogen.sh; exit 1; }
mkdir -p build && cd build || exit 1
../configure --enable-asan --enable-werror ${CONFIGURE_FLAGS:-} >configure.out 2>&1 ||
    { cat configure.out; exit 1; }
make -j"$jobs" >make.out 2>&1 || { cat make.out; exit 1; }
make -j"$jobs" check >check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' check.out | grep -v '^PASS' || true
if [ $rc -ne 0 ]; then
	if [ -f test-suite.log ]; then sed -n '1,400p' test-suite.log
	else tail -n 60 check.out; fi
fi
awk '/^# PASS:/{p=$3} /^# SKIP:/{s=$3} /^# FAIL:/{f=$3} /^# ERROR:/{e=$3}
     /^# XPASS:/{x=$3} END{printf "%d passed, %d failed, %d skipped\n", p, f+e+x, s}' check.out
exit $rc
