#!/bin/sh
# Builds the libFuzzer target and runs it for SECONDS over the seed corpus; one TAP line
# with the executions done. usage: tests/fuzz/run.sh BUILD SECONDS
set -u
BUILD=${1:-build}
SECS=${2:-60}
HERE=$(dirname "$0")
OUT=$BUILD/fuzz
mkdir -p "$OUT/corpus" "$OUT/crashes"
srcs=""
for f in agent/*.c; do
	[ "$f" = agent/main.c ] || srcs="$srcs $f"
done
# shellcheck disable=SC2086
if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Iagent -Itests/unit -o "$OUT/fuzz_policy" "$HERE/fuzz_policy.c" \
	tests/unit/memhost.c $srcs -lkmod \
	2>"$OUT/build.log"; then
	echo "not ok 1 - fuzz: the target builds"
	sed 's/^/# /' "$OUT/build.log"
	echo "1..1"
	exit 1
fi
cp "$HERE"/corpus/* "$OUT/corpus/"
"$OUT/fuzz_policy" -max_total_time="$SECS" -print_final_stats=1 -max_len=4096 \
	-artifact_prefix="$OUT/crashes/" -timeout=10 "$OUT/corpus" >"$OUT/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz.log")
crashes=$(find "$OUT/crashes" -type f | wc -l)
if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
	echo "ok 1 - fuzz: policy parser and decisions, $execs executions in ${SECS}s, no crash, leak or UB"
else
	echo "not ok 1 - fuzz: $crashes finding(s) in $OUT/crashes after $execs executions"
	grep -E 'ERROR|SUMMARY|runtime error' "$OUT/fuzz.log" | head -n 10 | sed 's/^/# /'
fi
echo "1..1"
