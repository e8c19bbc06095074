#!/bin/bash
# Reconstruct many scans of your own: one `ptychostudy lsqml` per scan, as one SLURM job array or one after
# another on this machine.
#
#   examples/slurm-scans.sh LIST SETTINGS OUT [sbatch option ...]     submit a job array (one task per scan)
#   examples/slurm-scans.sh --local LIST SETTINGS OUT                 run the scans here, one after another
#
#   LIST      a text file naming one input per line (NPZ, CXI or PtyPy .ptyd); blank lines and lines
#             starting with # are left out; a relative path is taken from the directory you start it in
#   SETTINGS  the settings file every scan is reconstructed with (`ptychostudy lsqml --config`)
#   OUT       the folder the results go to: OUT/<name>/ for an input <name>.cxi (its file name without the
#             extension), and the logs: OUT/logs/<array job>_<task>.out (SLURM), OUT/logs/<name>.log (--local)
#   sbatch options, each one word, are passed on to sbatch: --partition=cpu --time=1:00:00 --cpus-per-task=4
#             --mem=8G --wait … (not --array, --output or --open-mode, which the script sets)
#
# First it checks the list and every input in it exist, no two inputs share a name (both would write one
# folder, and the second would stop on its lock), and the settings file is valid (`ptychostudy config
# --check`); it refuses anything else with one line and exit status 2, before anything is submitted or run.
# It then submits itself as an array of one task per input (`sbatch --array=0-<n-1>`; sbatch prints the job
# id, or its refusal, exiting with its status), or with --local runs each input in turn.
#
# Each scan ends with one line a script can grep (in its task's log, and on stdout with --local):
#   scan <name>: done (<input>)             reconstructed
#   scan <name>: skipped (<input>)          OUT/<name>/reconstruction.npz is there from an earlier run, made of
#                                           this input with the settings of SETTINGS (`lsqml --keep-same`)
#   scan <name>: FAILED, exit N (<input>)   lsqml's exit status: 1 it diverged or a file could not be written,
#                                           2 bad input, 143 stopped by SIGTERM (SLURM's time limit, scancel)
# A SLURM task exits with lsqml's status (0 when skipped), so sacct shows which scans failed. A failed scan does
# not stop the others. --local ends with `scans: D done, S skipped, F failed` and exits 1 when a scan failed;
# Ctrl-C (or SIGTERM, a hang-up) stops lsqml at the end of its epoch and the loop after it, with lsqml's status.
# Starting the same LIST again reconstructs only the scans without a result (the failed ones, those never
# run); OVERWRITE=1 reconstructs every scan again, the earlier files moving to OUT/<name>/history/. A result made
# with other settings (SETTINGS changed since) or of another input is not passed off as this run's: its scan
# fails, exit 2, lsqml's line naming what differs (e.g. `reconstruction.epochs 2, now 5`) before the scan's line,
# and the result stays as it is (OVERWRITE=1, or another OUT). lsqml's own log of each scan is OUT/<name>/lsqml.log.
#
# Threads: in a SLURM task lsqml runs as many threads as SLURM gave the task (--cpus-per-task; one CPU when
# not given), here min(2, cores), unless the settings file sets reconstruction.threads. Memory: `ptychostudy
# inspect --check --config SETTINGS FILE` prints what a reconstruction of FILE needs at its peak; give --mem a
# little above the largest: in a task given --mem (or --mem-per-cpu, times --cpus-per-task) lsqml plans with all
# of it, unless PTYCHOSTUDY_MEMORY_LIMIT is set; given neither, it takes half of the memory it sees (docs/slurm.md,
# "Many scans of your own").
#
# Environment: PTYCHOSTUDY, the command that runs ptychostudy (default: ptychostudy; e.g. "node
# /opt/ptychostudy/dist/src/cli/main.js"); SCANS_AT_ONCE, at most this many tasks running at once (sbatch's
# --array=0-N%K); OVERWRITE=1 as above. With sbatch's --wait the script waits for the array's end and exits
# non-zero when a task failed.
set -u

ptychostudy=${PTYCHOSTUDY:-ptychostudy}

refuse() {
  echo "slurm-scans.sh: $*" >&2
  exit 2
}

# The inputs of LIST, one a line, without blank lines and comments.
read_list() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    case "$line" in '' | '#'*) continue ;; esac
    printf '%s\n' "$line"
  done <"$1"
}

# The folder name of an input: its file name without the last extension.
scan_name() {
  local base=${1##*/}
  printf '%s\n' "${base%.*}"
}

# One scan: the input into OUT/<name>/, ending with its one line (also appended to LOG when given, which then
# takes lsqml's output); sets `result` (done, skipped, failed) and returns lsqml's exit status (0 when skipped).
one_scan() {
  local input=$1 out=$2 log=${3:-} name dir rc line
  name=$(scan_name "$input")
  dir=$out/$name
  if [ -z "${OVERWRITE:-}" ] && [ -e "$dir/reconstruction.npz" ]; then
    # kept only when made of this input with the settings asked now (lsqml --keep-same); otherwise lsqml's line
    # names what differs, here and in the log, and the scan counts as failed: its earlier result stays as it is
    local said
    said=$($ptychostudy lsqml --config "$settings" --input "$input" --out "$dir" --keep-same 2>&1)
    rc=$?
    [ -z "$log" ] || printf '%s\n' "$said" >>"$log"
    if [ $rc -eq 0 ]; then
      result=skipped line="scan $name: skipped ($input)"
    else
      printf '%s\n' "$said"
      result=failed line="scan $name: FAILED, exit $rc ($input)"
    fi
  else
    if [ -n "$log" ]; then
      $ptychostudy lsqml --config "$settings" --input "$input" --out "$dir" ${OVERWRITE:+--overwrite} >>"$log" 2>&1
    else
      $ptychostudy lsqml --config "$settings" --input "$input" --out "$dir" ${OVERWRITE:+--overwrite}
    fi
    rc=$?
    if [ $rc -eq 0 ]; then result=done line="scan $name: done ($input)"; else result=failed line="scan $name: FAILED, exit $rc ($input)"; fi
  fi
  echo "$line"
  [ -z "$log" ] || echo "$line" >>"$log"
  return $rc
}

# An absolute path of an existing file or folder.
absolute() {
  (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd -P)" "$(basename "$1")")
}

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ] && [ "${1:-}" = --task ]; then
  # --- one array task: the input of its index (arguments made absolute by the submission)
  list=$2 settings=$3 out=$4
  mapfile -t inputs < <(read_list "$list")
  input=${inputs[$SLURM_ARRAY_TASK_ID]:-}
  [ -n "$input" ] || refuse "LIST $list: expected an input at index $SLURM_ARRAY_TASK_ID; found ${#inputs[@]} inputs (the list changed after submission?)"
  echo "scan $(scan_name "$input"): task $SLURM_ARRAY_TASK_ID of array ${SLURM_ARRAY_JOB_ID:-?} on $(hostname), ${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-?}} CPUs"
  # the memory lsqml plans with is the task's --mem, or --mem-per-cpu × its CPUs, which lsqml reads from SLURM's
  # variables itself (PTYCHOSTUDY_MEMORY_LIMIT, when set, wins); with neither, half of what it sees
  # SIGTERM (a time limit, scancel) goes to lsqml too, which stops at the end of its epoch: wait for it and say so
  trap ':' TERM
  one_scan "$input" "$out"
  exit $?
fi

local_run=
if [ "${1:-}" = --local ]; then local_run=1; shift; fi
[ $# -ge 3 ] || refuse "usage: slurm-scans.sh [--local] LIST SETTINGS OUT [sbatch option ...]; found $# arguments"
list=$1 settings=$2 out=$3
shift 3
[ -z "$local_run" ] || [ $# -eq 0 ] || refuse "--local takes LIST SETTINGS OUT; found also $*"
[ -f "$list" ] || refuse "LIST $list: expected a file naming one input per line; found no such file"
[ -f "$settings" ] || refuse "SETTINGS $settings: expected a settings file (YAML or JSON); found no such file"
case "${SCANS_AT_ONCE:-}" in '' | [1-9] | [1-9][0-9]*) ;; *) refuse "SCANS_AT_ONCE=$SCANS_AT_ONCE: expected a positive number" ;; esac
mapfile -t inputs < <(read_list "$list")
[ ${#inputs[@]} -gt 0 ] || refuse "LIST $list: expected at least one input; found none"
declare -A seen=()
for input in "${inputs[@]}"; do
  [ -f "$input" ] || refuse "LIST $list: input $input: expected a file; found no such file"
  name=$(scan_name "$input")
  [ -z "${seen[$name]:-}" ] || refuse "LIST $list: inputs ${seen[$name]} and $input: expected one input per name; found two named $name (both would go to $out/$name)"
  seen[$name]=$input
done
[ -n "$local_run" ] || command -v sbatch >/dev/null || refuse "sbatch: expected SLURM's sbatch on PATH; found none (--local runs the scans here)"
command -v "${ptychostudy%% *}" >/dev/null || refuse "PTYCHOSTUDY: expected a command; found no ${ptychostudy%% *} on PATH (PTYCHOSTUDY=\"node …/dist/src/cli/main.js\" names one)"
$ptychostudy config --check "$settings" >/dev/null || exit 2
made_out=
[ -e "$out" ] || made_out=1
mkdir -p "$out/logs" || exit 1

if [ -n "$local_run" ]; then
  # --- here, one scan after another; lsqml's lines go to OUT/logs/<name>.log (appended). Ctrl-C, SIGTERM or a
  # hang-up stops lsqml at the end of its epoch (it exits 130, 143 or 129), then the loop: the shell waits for lsqml
  # and runs its trap, and the scans not reached are started by the same command again.
  stop=
  trap 'stop=130' INT
  trap 'stop=143' TERM
  trap 'stop=129' HUP
  done=0 skipped=0 failed=0
  for input in "${inputs[@]}"; do
    one_scan "$input" "$out" "$out/logs/$(scan_name "$input").log"
    rc=$?
    case $result in done) done=$((done + 1)) ;; skipped) skipped=$((skipped + 1)) ;; *) failed=$((failed + 1)) ;; esac
    case $rc in 129 | 130 | 143) stop=${stop:-$rc} ;; esac
    if [ -n "$stop" ]; then
      echo "scans: stopped (exit $stop) in scan $(scan_name "$input"), after $done done, $skipped skipped, $failed failed (this one included); the same command goes on (logs: $out/logs/)"
      exit "$stop"
    fi
  done
  echo "scans: $done done, $skipped skipped, $failed failed (logs: $out/logs/)"
  [ $failed -eq 0 ] || exit 1
  exit 0
fi

# --- submit this script as an array of one task per input. The tasks get this environment (PTYCHOSTUDY,
# OVERWRITE) as sbatch passes it by default, and the paths made absolute.
export PTYCHOSTUDY=$ptychostudy OVERWRITE=${OVERWRITE:-}
sbatch --job-name=scans --array="0-$((${#inputs[@]} - 1))${SCANS_AT_ONCE:+%$SCANS_AT_ONCE}" \
  --output="$(absolute "$out")/logs/%A_%a.out" --open-mode=append "$@" \
  "$0" --task "$(absolute "$list")" "$(absolute "$settings")" "$(absolute "$out")"
rc=$?
# sbatch refused the array (its line says why): the folders made for it go again while empty
if [ $rc -ne 0 ] && [ -n "$made_out" ] && [ -z "$(ls -A "$out/logs")" ]; then rmdir "$out/logs" "$out"; fi
exit $rc
