// log (kernel: net/netfilter/nft_log.c): non-terminal; appends a Log record
// (rule, prefix string offset in the image, level, group) for the host to
// print. `[ log prefix hi:  level 4 ]`.

import { LogHas, LOG_FLAGS, LOG_GROUP, LOG_HAS, LOG_LEVEL, LOG_PREFIX, NONE32, RecordKind } from '../abi';
import { curChain, curRule, emitRecord } from '../records';

// Mirrors nft_log_eval: the message itself is the host's to format.
export function evalLog(insn: usize): void {
  const has = <u32>load<u8>(insn, LOG_HAS);
  const prefix = has & LogHas.Prefix ? load<u32>(insn, LOG_PREFIX) : NONE32;
  const level = has & LogHas.Level ? <u32>load<u8>(insn, LOG_LEVEL) : 4;
  emitRecord(RecordKind.Log, level, curChain, curRule, prefix, (has << 24) | (<u32>load<u8>(insn, LOG_FLAGS) << 16) | load<u16>(insn, LOG_GROUP));
}
