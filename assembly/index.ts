// The WebAssembly entry point of nftvm (kernel counterpart: nf_tables_core.c,
// once the interpreter lands). For now it only links the ABI in, so the host
// can refuse a module built for another bytecode format:
// `abiVersion() === (BC_VERSION_MAJOR << 16) | BC_VERSION_MINOR`.

import { BC_VERSION_MAJOR, BC_VERSION_MINOR } from './abi';

/** The bytecode format this module executes: major << 16 | minor. */
export function abiVersion(): i32 {
  return (BC_VERSION_MAJOR << 16) | BC_VERSION_MINOR;
}
