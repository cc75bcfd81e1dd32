#!/usr/bin/env bash
# Record what nft 1.0.6 prints for `list ...` and `reset ...` commands inside
# `nft -f` files (transactions):
#
#   test/corpus/list-commands/NAME/base.nft, step1.nft, step2.nft, ...
#     -> test/fixtures/list-commands/NAME/STEP.out     nft -f STEP.nft: standard output
#        test/fixtures/list-commands/NAME/STEP.out-a   nft -a -f STEP.nft: standard output
#        test/fixtures/list-commands/NAME/STEP.err     nft's stderr when it refused the step
#        test/fixtures/list-commands/NAME/STEP.list-a  nft -a list ruleset after the step
#
# Usage (as root, from anywhere):
#   test/oracle/record-list-commands.sh              # every sequence
#   test/oracle/record-list-commands.sh reset kinds  # only these
#
# Each sequence runs twice, each time in its own fresh network namespace
# (`unshare -n`): once with `nft -f` and once with `nft -a -f`, the files
# applied in order from inside the sequence's directory. TZ=UTC, LC_ALL=C.
# The first line of each fixture names the nft version and kernel; the rest
# is nft's output verbatim.
set -euo pipefail

export TZ=UTC LC_ALL=C

die() { printf 'record-list-commands.sh: %s\n' "$*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/test/corpus/list-commands"
fixtures="$root/test/fixtures/list-commands"

. "$here/nft-env.sh" "$@"

sequence_names "$@"

for name in "${names[@]}"; do
  sequence_start "$name"
  for mode in plain handles; do
    (cd "$corpus/$name" && NFT="$nft_bin" OUT="$out" ORIGIN="$origin" MODE="$mode" unshare -n bash -c '
      for s in "$@"; do
        if [[ $MODE == handles ]]; then flags=(-a); suffix=out-a; else flags=(); suffix=out; fi
        { printf "%s\n" "$ORIGIN"; "$NFT" "${flags[@]}" -f "$s.nft" 2>"$OUT/$s.stderr" || touch "$OUT/$s.failed"; } >"$OUT/$s.$suffix"
        if [[ -e $OUT/$s.failed && $MODE == plain ]]; then
          { printf "%s\n" "$ORIGIN"; cat "$OUT/$s.stderr"; } >"$OUT/$s.err"
        fi
        rm -f "$OUT/$s.stderr" "$OUT/$s.failed"
        if [[ $MODE == plain ]]; then { printf "%s\n" "$ORIGIN"; "$NFT" -a list ruleset; } >"$OUT/$s.list-a"; fi
      done' _ "${steps[@]}")
  done
  printf '%s: %d steps, rejected: %s\n' "$name" "${#steps[@]}" "$(cd "$out" && ls *.err 2>/dev/null | sed 's/\.err$//' | tr '\n' ' ')"
done
