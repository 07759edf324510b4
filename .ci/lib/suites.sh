# shellcheck shell=bash
# Suite runners and the summary for .ci/run.
#
# run_check and run_vitest_suite record one row (name, passed, failed, skipped, seconds, note) and
# always return 0, so one broken suite never stops the others: the summary must cover every suite.
# Commands are passed as words and must be programs, not shell functions, because `timeout` runs
# them; use `env VAR=value cmd ...` to give a suite its own environment.

CI_OUT=${CI_OUT:-.ci/out}
# CI kills the run at 90 minutes; stop starting suites well before that so the summary still prints.
CI_BUDGET_SECONDS=${CI_BUDGET_SECONDS:-4800}
# A single hung suite must not eat the whole budget.
CI_SUITE_TIMEOUT=${CI_SUITE_TIMEOUT:-1200}

CI_STARTED_AT=$SECONDS
SUITE_ROWS=()

# Fresh output directory: stale logs or JUnit files from an earlier run must never be counted.
prepare_output() {
  rm -rf "$CI_OUT"
  mkdir -p "$CI_OUT"
}

section() {
  printf '\n==> %s\n' "$*"
}

# record NAME PASSED FAILED SKIPPED SECONDS [NOTE]
record() {
  local note=${6:-}
  note=${note//|//}
  SUITE_ROWS+=("$1|$2|$3|$4|$5|${note//$'\n'/ }")
}

budget_left() {
  echo $((CI_BUDGET_SECONDS - (SECONDS - CI_STARTED_AT)))
}

# Seconds a suite may still take: its own cap, cut down to what is left of the run's budget.
time_left_for_suite() {
  local left
  left=$(budget_left)
  if ((left < CI_SUITE_TIMEOUT)); then echo "$left"; else echo "$CI_SUITE_TIMEOUT"; fi
}

# run_logged NAME COMMAND... — runs the command with no stdin under a timeout, echoing its output
# to the console and to $CI_OUT/NAME.log. Returns the command's exit status (124 on timeout).
run_logged() {
  local name=$1
  shift
  if (($(budget_left) < 30)); then
    echo "no time left in the CI budget to run $name" | tee "$CI_OUT/$name.log"
    return 124
  fi
  section "$name: $*"
  local status=0
  timeout --kill-after=30 "$(time_left_for_suite)" "$@" </dev/null 2>&1 | tee "$CI_OUT/$name.log" || status=${PIPESTATUS[0]}
  return "$status"
}

describe_status() {
  case $1 in
    0) echo "" ;;
    124 | 137) echo "timed out" ;;
    *) echo "exit $1" ;;
  esac
}

# setup_step NAME COMMAND... — a prerequisite, not a check: it adds a row only when it fails.
# Returns the command's status so the caller can skip what depends on it.
setup_step() {
  local name=$1 start=$SECONDS status=0
  shift
  run_logged "$name" "$@" || status=$?
  ((status == 0)) || record "$name" 0 1 0 $((SECONDS - start)) "setup failed, $(describe_status "$status")"
  return "$status"
}

# run_check NAME COMMAND... — a tool that passes or fails as a whole (lint, format, typecheck): 1 check.
run_check() {
  local name=$1 start=$SECONDS status=0
  shift
  run_logged "$name" "$@" || status=$?
  if ((status == 0)); then
    record "$name" 1 0 0 $((SECONDS - start))
  else
    record "$name" 0 1 0 $((SECONDS - start)) "$(describe_status "$status")"
  fi
}

# run_vitest_suite NAME COMMAND... — a Vitest run whose counts come from its JUnit report.
# vitest.config.ts writes the report (when CI is set) to $VITEST_JUNIT_FILE, so each suite gets its own.
run_vitest_suite() {
  local name=$1 start=$SECONDS status=0
  shift
  local junit=$PWD/$CI_OUT/$name.junit.xml
  rm -f "$junit"
  run_logged "$name" env CI=true VITEST_JUNIT_FILE="$junit" "$@" || status=$?
  record_junit "$name" "$junit" "$status" $((SECONDS - start))
}

# record_junit NAME FILE EXIT_STATUS SECONDS — turns a JUnit report plus the exit status into a row.
record_junit() {
  local name=$1 junit=$2 status=$3 seconds=$4
  local counts passed failed skipped note
  note=$(describe_status "$status")
  if ! counts=$(node .ci/lib/junit-count.mjs "$junit" 2>&1); then
    # No usable report means the run died before the end (crash, timeout, config error).
    record "$name" 0 1 0 "$seconds" "no JUnit report: ${counts}${note:+, $note}"
    return
  fi
  read -r passed failed skipped <<<"$counts"
  if ((status != 0 && failed == 0)); then
    # Vitest fails a run for unhandled errors too; they belong to no test but must still fail CI.
    failed=1
    note="$note with no failed test (see log)"
  fi
  note=$(join_notes "$note" "$(compare_with_vitest_summary "$CI_OUT/$name.log" "$passed")")
  record "$name" "$passed" "$failed" "$skipped" "$seconds" "$note"
}

join_notes() {
  local a=$1 b=$2
  if [[ -n $a && -n $b ]]; then echo "$a; $b"; else echo "$a$b"; fi
}

# The JUnit report is the source of truth, but if it ever disagrees with the "Tests ... passed" line
# Vitest printed, say so instead of silently reporting a different number.
compare_with_vitest_summary() {
  local log=$1 passed=$2 line said
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests +' | tail -n 1) || true
  said=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+') || said=0
  [[ -z $line || $said == "$passed" ]] || echo "Vitest printed $said passed"
}

# The per-suite table, then the one line CI reads. Nothing may be printed after that line.
# Fails when any check failed.
print_summary() {
  local total_passed=0 total_failed=0 row name passed failed skipped seconds note
  section "summary (logs in $CI_OUT/)"
  printf '%-16s %7s %7s %8s %7s  %s\n' suite passed failed skipped time note
  for row in "${SUITE_ROWS[@]}"; do
    IFS='|' read -r name passed failed skipped seconds note <<<"$row"
    printf '%-16s %7d %7d %8d %6ds  %s\n' "$name" "$passed" "$failed" "$skipped" "$seconds" "$note"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  done
  printf 'total time %ds\n' $((SECONDS - CI_STARTED_AT))
  printf '%d passed, %d failed\n' "$total_passed" "$total_failed"
  ((total_failed == 0))
}
