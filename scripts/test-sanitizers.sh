#!/usr/bin/env bash
# Builds trainsim with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan and runs the
# whole test suite under it (docs/sanitizers.md). Fails when a test fails, and also when any
# process of the run wrote a sanitizer report: the test binaries, the `trainsim` and `trainsim-hw`
# commands the tests launch (some tests expect those to fail, and some send their stderr to a file)
# and the forked SimGrid children, which leave with _exit. Every ASan/LSan report therefore goes to
# a file under build-asan/sanitizer-logs/, printed at the end; UBSan's (stderr only with GCC) are
# looked for in ctest's log.
#   scripts/test-sanitizers.sh [extra ctest arguments, e.g. -R Simgrid]
# Environment: BUILD_DIR (default build-asan), JOBS (build parallelism; default: Ninja's).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
dir=${BUILD_DIR:-build-asan}
cmake -S . -B "$dir" -G Ninja -DTRAINSIM_SANITIZE=ON -DTRAINSIM_BENCH=OFF
cmake --build "$dir" ${JOBS:+-j "$JOBS"}

logs="$src/$dir/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# The same options as the asan-ubsan test preset (CMakePresets.json), plus log_path.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1:print_stacktrace=1:log_path=$logs/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/report"
export LSAN_OPTIONS="suppressions=$src/cmake/lsan.supp:print_suppressions=0"

rc=0
ctest --test-dir "$dir" --output-on-failure "$@" || rc=$?
# GCC's UBSan ignores log_path when linked with ASan: its reports go to stderr. Those of passing
# tests are in ctest's log; look for them there too.
if grep -n "runtime error:\|Sanitizer" "$dir/Testing/Temporary/LastTest.log" > "$logs/report.ctest-log"; then
  echo "sanitizers: reports in $dir/Testing/Temporary/LastTest.log (lines below)"
else
  rm -f "$logs/report.ctest-log"
fi
shopt -s nullglob
reports=("$logs"/report*)
if [ ${#reports[@]} -gt 0 ]; then
  echo "sanitizers: ${#reports[@]} report(s):"
  for f in "${reports[@]}"; do
    echo "==== $f"
    cat "$f"
  done
  rc=1
fi
[ $rc -eq 0 ] && echo "sanitizers: the whole suite passed, no reports"
exit $rc
