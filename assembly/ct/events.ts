// Conntrack events for the host (kernel: nf_conntrack_ecache.c,
// ctnetlink_conntrack_event → `conntrack -E`): a CtEvent record per event
// with a snapshot of the entry, since the entry may change or be reused
// before the host reads the batch. Written only when the batch asks.

import { CTE_SIZE, CTX_SIZE, RecordKind } from '../abi';
import { records } from '../mem';
import { emitRecord, reserveData } from '../records';
import { now } from './entry';

/** Events are recorded for this batch (BatchFlags.CtEvents). */
export let eventsOn: bool = false;
/** Sets whether this batch records events. */
export function setEventsOn(on: bool): void {
  eventsOn = on;
}
/** Pool and extension bases for snapshots (set by the table). */
let pool: usize = 0;
let ext: usize = 0;
/** Tells the event writer where entries live. */
export function setEventBases(p: usize, x: usize): void {
  pool = p;
  ext = x;
}

/** Records event `type` (CtEventType) with `bits` (CtEventBits) for entry `ct`. */
export function emitEvent(ct: usize, type: u32, bits: u32): void {
  if (!eventsOn) return;
  const at = reserveData(<u32>(CTE_SIZE + CTX_SIZE));
  const idx = <u32>((ct - pool) / CTE_SIZE);
  if (at) {
    memory.copy(records + at, ct, CTE_SIZE);
    if (ext) memory.copy(records + at + CTE_SIZE, ext + <usize>idx * CTX_SIZE, CTX_SIZE);
    else memory.fill(records + at + CTE_SIZE, 0, CTX_SIZE);
  }
  emitRecord(RecordKind.CtEvent, type, idx, now, bits, at);
}
