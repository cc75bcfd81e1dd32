#!/usr/bin/env bash
# Record what nft 1.0.6 lists back for every compile-corpus file the kernel
# accepted (its compile fixture has no .err):
#
#   test/corpus/compile/NAME.nft -> test/fixtures/list/NAME.list    (nft list ruleset)
#                                   test/fixtures/list/NAME.list-a  (nft -a list ruleset)
#
# Usage (as root, from anywhere):
#   test/oracle/record-list.sh                 # record everything
#   test/oracle/record-list.sh a-tcp b-maps    # only these
#
# Every file is loaded into a fresh, empty network namespace (`unshare -n`)
# from inside the corpus directory, then listed in the same namespace.
# TZ=UTC and LC_ALL=C as in record-compile.sh (nft prints `meta hour` and
# `meta time` in local time). The first line of each fixture names the nft
# version and kernel; the rest is nft's stdout verbatim.
set -euo pipefail

export TZ=UTC LC_ALL=C

die() { printf 'record-list.sh: %s\n' "$*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/test/corpus/compile"
fix_compile="$root/test/fixtures/compile"
fix_list="$root/test/fixtures/list"

. "$here/nft-env.sh" "$@"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$fix_list"

names=()
if [[ $# -eq 0 ]]; then
  for f in "$corpus"/*.nft; do b=${f##*/}; names+=("${b%.nft}"); done
else
  for arg in "$@"; do
    b=${arg##*/}; b=${b%.nft}
    [[ -f $corpus/$b.nft ]] || die "no such corpus file: '$arg'"
    names+=("$b")
  done
fi

n_ok=0 n_skip=0
for name in "${names[@]}"; do
  if [[ -f $fix_compile/$name.err ]]; then
    n_skip=$((n_skip + 1)); printf '%s: skipped (kernel refused, see test/fixtures/compile/%s.err)\n' "$name" "$name"
    continue
  fi
  rc=0
  (cd "$corpus" && NFT="$nft_bin" NAME="$name" unshare -n sh -c \
    '"$NFT" -f "$NAME.nft" && "$NFT" list ruleset >"$0/list" && "$NFT" -a list ruleset >"$0/list-a"' "$tmp") \
    2>"$tmp/err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    printf '%s: FAILED (exit %d): %s\n' "$name" "$rc" "$(head -n1 "$tmp/err")" >&2
    continue
  fi
  { printf '%s\n' "$origin"; cat "$tmp/list"; } >"$fix_list/$name.list"
  { printf '%s\n' "$origin"; cat "$tmp/list-a"; } >"$fix_list/$name.list-a"
  n_ok=$((n_ok + 1))
  printf '%s: ok\n' "$name"
done
printf '\nrecorded with: %s\nlist: %d recorded, %d skipped\n' "${origin#\# recorded by test/oracle/record-list.sh: }" "$n_ok" "$n_skip"
