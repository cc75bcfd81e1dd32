#!/usr/bin/env bash
# Record what nft 1.0.6 and the kernel do with sequences of transactions:
#
#   test/corpus/transactions/NAME/base.nft, step1.nft, step2.nft, ...
#     -> test/fixtures/transactions/NAME/base.list-a, step1.list-a, ...  (nft -a list ruleset after the step)
#        test/fixtures/transactions/NAME/stepN.err                        (nft's stderr when it rejected the step)
#
# Usage (as root, from anywhere):
#   test/oracle/record-transactions.sh              # every sequence
#   test/oracle/record-transactions.sh basic loops  # only these
#
# Each sequence runs in its own fresh network namespace (`unshare -n`): the
# files are applied in order with `nft -f` from inside the sequence's
# directory, one transaction each, and the ruleset is listed with handles
# after every step, accepted or not (a rejected step must leave it as it
# was). TZ=UTC, LC_ALL=C. The first line of each fixture names the nft
# version and kernel; the rest is nft's output verbatim.
set -euo pipefail

export TZ=UTC LC_ALL=C

die() { printf 'record-transactions.sh: %s\n' "$*" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus="$root/test/corpus/transactions"
fixtures="$root/test/fixtures/transactions"

. "$here/nft-env.sh" "$@"

sequence_names "$@"

for name in "${names[@]}"; do
  sequence_start "$name"
  (cd "$corpus/$name" && NFT="$nft_bin" OUT="$out" ORIGIN="$origin" unshare -n bash -c '
    for s in "$@"; do
      if "$NFT" -f "$s.nft" 2>"$OUT/$s.stderr"; then
        rm -f "$OUT/$s.stderr"
      else
        { printf "%s\n" "$ORIGIN"; cat "$OUT/$s.stderr"; } >"$OUT/$s.err"
        rm -f "$OUT/$s.stderr"
      fi
      { printf "%s\n" "$ORIGIN"; "$NFT" -a list ruleset; } >"$OUT/$s.list-a"
    done' _ "${steps[@]}")
  printf '%s: %d steps, rejected: %s\n' "$name" "${#steps[@]}" "$(cd "$out" && ls *.err 2>/dev/null | sed 's/\.err$//' | tr '\n' ' ')"
done
