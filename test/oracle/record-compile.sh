#!/usr/bin/env bash
# Record the reference output of nft 1.0.6 for the conformance corpus.
#
#   test/corpus/compile/NAME.nft -> test/fixtures/compile/NAME.netlink
#                                   (+ NAME.err when nft exits non-zero)
#   test/corpus/reject/NAME.nft  -> test/fixtures/reject/NAME.err
#
# Usage (as root, from anywhere):
#   test/oracle/record-compile.sh                 # record everything
#   test/oracle/record-compile.sh a-ip.nft b-x    # record only these
# A name may be a bare name (with or without .nft, looked up in both corpus
# directories) or a path containing compile/ or reject/.
#
# Every nft run happens in a fresh, empty network namespace (`unshare -n`),
# so nothing touches the host ruleset and files do not see each other.
# nft is run from inside the corpus directory so that any path it prints
# (error locations, include names) is relative and machine independent.
# TZ=UTC and LC_ALL=C are forced: nft converts `meta hour`/`meta time`
# strings with the local time zone, so the fixtures assume UTC.
# See test/README.md for the fixture formats.
set -euo pipefail

export TZ=UTC LC_ALL=C

die() { printf 'record-compile.sh: %s\n' "$*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus_compile="$root/test/corpus/compile"
corpus_reject="$root/test/corpus/reject"
fix_compile="$root/test/fixtures/compile"
fix_reject="$root/test/fixtures/reject"

# --- environment checks ---------------------------------------------------
. "$here/nft-env.sh" "$@"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- recording ------------------------------------------------------------
n_ok=0 n_nonzero=0 n_reject=0
warnings=()

# record_compile NAME  (NAME without .nft)
record_compile() {
  local name=$1 rc=0
  mkdir -p "$fix_compile"
  (cd "$corpus_compile" && unshare -n "$nft_bin" --debug=netlink -f "$name.nft") \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
  { printf '%s\n' "$origin"; cat "$tmp/out"; } >"$tmp/netlink"
  mv "$tmp/netlink" "$fix_compile/$name.netlink"
  if [[ $rc -ne 0 ]]; then
    { printf '%s\n' "$origin"; printf 'exit %d\n' "$rc"; cat "$tmp/err"; } >"$tmp/errfile"
    mv "$tmp/errfile" "$fix_compile/$name.err"
    n_nonzero=$((n_nonzero + 1))
    warnings+=("compile/$name.nft: nft exited $rc (see test/fixtures/compile/$name.err)")
    printf 'compile/%s.nft: exit %d\n' "$name" "$rc"
  else
    rm -f "$fix_compile/$name.err"
    if [[ -s $tmp/err ]]; then
      warnings+=("compile/$name.nft: exit 0 but nft wrote to stderr (not recorded): $(head -n1 "$tmp/err")")
    fi
    n_ok=$((n_ok + 1))
    printf 'compile/%s.nft: ok\n' "$name"
  fi
}

# record_reject NAME  (NAME without .nft)
record_reject() {
  local name=$1 rc=0
  mkdir -p "$fix_reject"
  (cd "$corpus_reject" && unshare -n "$nft_bin" -c -f "$name.nft") \
    >"$tmp/out" 2>"$tmp/err" || rc=$?
  { printf '%s\n' "$origin"; printf 'exit %d\n' "$rc"; cat "$tmp/err"; } >"$tmp/errfile"
  mv "$tmp/errfile" "$fix_reject/$name.err"
  n_reject=$((n_reject + 1))
  if [[ $rc -eq 0 ]]; then
    warnings+=("reject/$name.nft: nft -c ACCEPTED it (exit 0); it does not belong in test/corpus/reject")
  fi
  if [[ -s $tmp/out ]]; then
    warnings+=("reject/$name.nft: nft wrote to stdout (not recorded): $(head -n1 "$tmp/out")")
  fi
  printf 'reject/%s.nft: exit %d\n' "$name" "$rc"
}

compile_names=() reject_names=()
if [[ $# -eq 0 ]]; then
  shopt -s nullglob
  for f in "$corpus_compile"/*.nft; do b=${f##*/}; compile_names+=("${b%.nft}"); done
  for f in "$corpus_reject"/*.nft; do b=${f##*/}; reject_names+=("${b%.nft}"); done
  # fixtures whose corpus file is gone are reported, never deleted
  for f in "$fix_compile"/*.netlink "$fix_compile"/*.err; do
    b=${f##*/}; b=${b%.*}
    [[ -f $corpus_compile/$b.nft ]] || warnings+=("stale fixture without corpus file: test/fixtures/compile/${f##*/}")
  done
  for f in "$fix_reject"/*.err; do
    b=${f##*/}; b=${b%.err}
    [[ -f $corpus_reject/$b.nft ]] || warnings+=("stale fixture without corpus file: test/fixtures/reject/${f##*/}")
  done
  shopt -u nullglob
else
  for arg in "$@"; do
    b=${arg##*/}; b=${b%.nft}
    [[ -n $b ]] || die "bad file name: '$arg'"
    found=0
    case $arg in
      */reject/*|reject/*) want=reject ;;
      */compile/*|compile/*) want=compile ;;
      *) want=both ;;
    esac
    if [[ $want != reject && -f $corpus_compile/$b.nft ]]; then compile_names+=("$b"); found=1; fi
    if [[ $want != compile && -f $corpus_reject/$b.nft ]]; then reject_names+=("$b"); found=1; fi
    [[ $found -eq 1 ]] || die "no such corpus file: '$arg' (looked for $b.nft in test/corpus/compile and test/corpus/reject)"
  done
fi

[[ ${#compile_names[@]} -gt 0 || ${#reject_names[@]} -gt 0 ]] || die "no corpus files found"

for n in ${compile_names[@]+"${compile_names[@]}"}; do record_compile "$n"; done
for n in ${reject_names[@]+"${reject_names[@]}"}; do record_reject "$n"; done

printf '\nrecorded with: %s\n' "${origin#\# recorded by test/oracle/record-compile.sh: }"
printf 'compile: %d ok, %d non-zero exit; reject: %d\n' "$n_ok" "$n_nonzero" "$n_reject"
if [[ ${#warnings[@]} -gt 0 ]]; then
  printf 'WARNING: %s\n' "${warnings[@]}" >&2
fi
