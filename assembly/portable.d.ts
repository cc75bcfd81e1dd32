// AssemblyScript's integer type names for tsc, so that assembly/abi.ts
// compiles unchanged under both asc (which has them built in) and tsc
// (compiler/ and src/ import it). Mirrors assemblyscript/std/portable.

declare type i32 = number;
declare type u8 = number;
declare type u16 = number;
declare type u32 = number;
