# Sourced by the recorders that run nft in `unshare -n` namespaces
# (record-compile.sh, record-list.sh, record-transactions.sh, record-list-commands.sh): checks that
# we are root, that nft is nftables 1.0.6 and that namespaces can be made,
# and sets nft_bin, nft_version and origin (the fixtures' first line).
# The sourcing script defines die() and passes its arguments: `. nft-env.sh "$@"`.

[[ $(id -u) -eq 0 ]] || die "must run as root (nft needs CAP_NET_ADMIN and unshare -n needs CAP_SYS_ADMIN); try: sudo $0 $*"
nft_bin=$(command -v nft || true)
[[ -n $nft_bin ]] || nft_bin=/usr/sbin/nft
[[ -x $nft_bin ]] || die "nft not found (expected /usr/sbin/nft, nftables 1.0.6)"
command -v unshare >/dev/null || die "unshare (util-linux) not found"
nft_version=$("$nft_bin" --version)
case $nft_version in
  "nftables v1.0.6"|"nftables v1.0.6 "*) ;;
  *) die "fixtures must be recorded with nftables v1.0.6, found: $nft_version" ;;
esac
unshare -n true 2>/dev/null || die "unshare -n failed (no permission to create a network namespace?)"
origin="# recorded by test/oracle/$(basename "$0"): $nft_version on kernel $(uname -r)"

# Sets names: the sequences of $corpus (directories with a base.nft) named in the arguments, else every one.
sequence_names() {
  names=()
  if [[ $# -eq 0 ]]; then
    for d in "$corpus"/*/; do d=${d%/}; names+=("${d##*/}"); done
  else
    for arg in "$@"; do
      [[ -f $corpus/$arg/base.nft ]] || die "no such sequence: '$arg'"
      names+=("$arg")
    done
  fi
}

# Sets out (the sequence's fixture directory, emptied) and steps (base, step1, step2, ..., step10: numeric order) of sequence $1.
sequence_start() {
  out="$fixtures/$1"
  rm -rf "$out"
  mkdir -p "$out"
  steps=(base)
  for f in $(cd "$corpus/$1" && ls step*.nft 2>/dev/null | sort -V); do steps+=("${f%.nft}"); done
}
