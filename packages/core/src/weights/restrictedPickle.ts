// A pickle reader that executes nothing. It understands the opcodes torch.save emits (protocols 2–5)
// and builds only plain values: None, booleans, numbers, strings, bytes, lists, tuples, dicts
// (OrderedDict included) and the few torch globals its caller names, which the caller interprets
// itself (REDUCE, NEWOBJ and BUILD go through the caller's hooks, never to anything callable). Any
// other global — os.system, builtins.eval, numpy scalars — is refused by name.
//
// Work is linear in the input and bounded: every opcode does constant work or moves items that
// earlier opcodes pushed (a MARK's items leave the stack once), nothing recurses, and the limits
// below stop a small file from building a huge stack, memo, integer or object graph.
import { AaclipError } from '../errors/aaclipError.js';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
}

/** A reference to one of the allowed globals. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Whatever a persistent id resolved to (for torch: a storage). */
export class PyPersistent {
  constructor(readonly value: unknown) {}
}

/** The result of calling an allowed global, as the caller's `reduce` built it. */
export class PyObject {
  constructor(readonly value: unknown) {}
}

export type PyKey = string | number | bigint | boolean | null;
export type PyValue = PyKey | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal | PyPersistent | PyObject;

export interface PickleHooks {
  /** "module.name" of every global the data may reference. */
  allowedGlobals: ReadonlySet<string>;
  /** Further globals the caller accepts by rule (a TorchScript archive's `__torch__.*` classes). */
  allowsGlobal?(module: string, name: string): boolean;
  /** Builds the value of `callable(...args)` (REDUCE) or `cls.__new__(cls, *args)` (NEWOBJ) for an allowed global. */
  reduce(callable: PyGlobal, args: PyValue[]): PyValue;
  /**
   * BUILD: gives `target` its `state`, returning what replaces it on the stack. Without this hook
   * (or when it returns undefined) only a dict's attribute state is accepted, and ignored
   * (OrderedDict._metadata).
   */
  build?(target: PyValue, state: PyValue): PyValue | undefined;
  /** Resolves a persistent id (BINPERSID). */
  persistentLoad(pid: PyValue): PyValue;
}

/**
 * Items the stack may hold. A pickler batches list and dict items by 1000 (protocols ≥ 1), so a
 * state dict's stack stays in the thousands; 2^20 references are 8 MB.
 */
export const MAX_PICKLE_STACK = 1 << 20;
/** Memo entries: torch.save memoizes a few values per tensor; 2^20 is far beyond any checkpoint. */
export const MAX_PICKLE_MEMO = 1 << 20;
/**
 * Opcodes executed. A state dict takes some 30 per tensor (100k tensors ≈ 3M); each opcode keeps
 * at most one small object alive, so 2^22 bounds what a pickle can allocate to a few hundred MB.
 */
export const MAX_PICKLE_OPCODES = 1 << 22;
/**
 * Bytes of one LONG1/LONG4 integer (1024 bits). Checkpoints hold sizes, strides, offsets, seeds and
 * the legacy 80-bit magic number; nothing needs more, and a huge one only costs time.
 */
export const MAX_PICKLE_INTEGER_BYTES = 128;
/** Decimal digits of a text INT/LONG (the same 1024 bits). */
const MAX_PICKLE_INTEGER_DIGITS = 310;

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads one pickle; `source` names the file in errors. */
export function readPickle(bytes: Uint8Array, hooks: PickleHooks, source: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  /** Where each MARK on the stack is, innermost last (found without scanning the stack). */
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  /** Where the opcode being run starts (limits name it). */
  let opAt = 0;

  const fail = (problem: string): never => {
    throw new AaclipError(`pickle: ${problem}`, source);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(bytes.length)) fail(`length ${value} is past the end of the data`);
    return Number(value);
  };
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const text = (n: number): string => {
    // Taken outside the try: a string cut short is "truncated", not "not UTF-8" at a negative byte.
    const raw = take(n);
    try {
      return decoder.decode(raw);
    } catch {
      return fail(`string at byte ${pos - n} is not UTF-8`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated line at byte ${pos}`);
    return text(end - pos + 1).slice(0, -1);
  };
  const push = (item: StackItem): void => {
    if (stack.length >= MAX_PICKLE_STACK) fail(`more than ${MAX_PICKLE_STACK} items on the stack at byte ${opAt}`);
    stack.push(item);
  };
  const remember = (index: number, value: PyValue): void => {
    if (!Number.isSafeInteger(index) || index < 0) fail(`bad memo index at byte ${opAt}`);
    if (memo.size >= MAX_PICKLE_MEMO && !memo.has(index)) fail(`more than ${MAX_PICKLE_MEMO} memo entries at byte ${opAt}`);
    memo.set(index, value);
  };
  const pop = (): PyValue => {
    const item = stack.pop();
    if (item === undefined || item === MARK) return fail(`stack underflow at byte ${pos}`);
    return item;
  };
  const top = (): PyValue => {
    const item = stack[stack.length - 1];
    if (item === undefined || item === MARK) return fail(`stack underflow at byte ${pos}`);
    return item;
  };
  const popToMark = (): PyValue[] => {
    const markAt = marks.pop();
    if (markAt === undefined) return fail(`no MARK before byte ${pos}`);
    const items = stack.slice(markAt + 1) as PyValue[];
    stack.length = markAt;
    return items;
  };
  const toInt = (value: bigint): number | bigint =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  const longFromBytes = (length: number): number | bigint => {
    if (length > MAX_PICKLE_INTEGER_BYTES) fail(`an integer of ${length} bytes at byte ${opAt} (at most ${MAX_PICKLE_INTEGER_BYTES} are accepted)`);
    const b = take(length);
    if (b.length === 0) return 0;
    // Little-endian two's complement; built from hex in one step (shifting byte by byte is quadratic).
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let value = BigInt(`0x${hex}`);
    if (b[b.length - 1]! & 0x80) value -= 1n << BigInt(8 * b.length);
    return toInt(value);
  };
  const decimal = (t: string, what: string): bigint => {
    if (!/^-?\d+$/.test(t)) return fail(`bad ${what} ${JSON.stringify(t.slice(0, 40))}`);
    if (t.length > MAX_PICKLE_INTEGER_DIGITS) fail(`an integer of ${t.length} digits at byte ${opAt} (at most ${MAX_PICKLE_INTEGER_DIGITS} are accepted)`);
    return BigInt(t);
  };
  const global = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    if (!hooks.allowedGlobals.has(qualified) && !hooks.allowsGlobal?.(module, name)) fail(`refuses to load ${qualified} (only tensors and plain containers are allowed)`);
    return new PyGlobal(module, name);
  };
  const asKey = (value: PyValue): PyKey => {
    if (value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) return value as PyKey;
    return fail('a dict key is not a string or number');
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as PyDict).entries.set(asKey(items[i]!), items[i + 1]!);
  };
  const append = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail('APPEND(S) on something that is not a list');
    // In slices: spreading a million items into one push() call overflows the call stack.
    for (let i = 0; i < items.length; i += 8192) (target as PyValue[]).push(...items.slice(i, i + 8192));
  };
  const memoGet = (index: number): PyValue => {
    const value = memo.get(index);
    if (value === undefined) fail(`memo entry ${index} is not set`);
    return value!;
  };

  for (let opcodes = 1; ; opcodes++) {
    if (opcodes > MAX_PICKLE_OPCODES) fail(`more than ${MAX_PICKLE_OPCODES} opcodes`);
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME (length is advisory)
        need(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        push(MARK);
        break;
      case 0x30: { // POP
        const item = stack.pop();
        if (item === undefined) fail('stack underflow');
        if (item === MARK) marks.pop();
        break;
      }
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x4a: // BININT
        push(view.getInt32(need(4), true));
        break;
      case 0x8a: // LONG1
        push(longFromBytes(u8()));
        break;
      case 0x8b: // LONG4
        push(longFromBytes(u32()));
        break;
      case 0x49: { // INT (text): "I01\n" / "I00\n" are booleans
        const t = line();
        if (t === '01' || t === '00') push(t === '01');
        else push(toInt(decimal(t, 'INT')));
        break;
      }
      case 0x4c: // LONG (text)
        push(toInt(decimal(line().replace(/L$/, ''), 'LONG')));
        break;
      case 0x47: // BINFLOAT (big-endian)
        push(view.getFloat64(need(8), false));
        break;
      case 0x46: { // FLOAT (text)
        const value = Number(line());
        if (Number.isNaN(value)) fail('bad FLOAT');
        push(value);
        break;
      }
      case 0x58: // BINUNICODE
        push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        push(text(u8()));
        break;
      case 0x54: // BINSTRING
        push(text(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        push(new PyTuple(popToMark()));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popToMark());
        break;
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: { // DICT
        const dict = new PyDict();
        setItems(dict, popToMark());
        push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x61: { // APPEND
        const value = pop();
        append(top(), [value]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popToMark();
        append(top(), items);
        break;
      }
      case 0x71: // BINPUT
        remember(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        remember(u32(), top());
        break;
      case 0x70: // PUT (text)
        remember(Number(line()), top());
        break;
      case 0x94: // MEMOIZE
        remember(memo.size, top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        push(memoGet(Number(line())));
        break;
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PyGlobal)) return fail('REDUCE on something that is not an allowed global');
        if (!(args instanceof PyTuple)) return fail(`REDUCE of ${callable.qualifiedName} without an argument tuple`);
        push(hooks.reduce(callable, args.items));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), interpreted by the caller like REDUCE
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyGlobal)) return fail('NEWOBJ on something that is not an allowed global');
        if (!(args instanceof PyTuple)) return fail(`NEWOBJ of ${cls.qualifiedName} without an argument tuple`);
        push(hooks.reduce(cls, args.items));
        break;
      }
      case 0x62: { // BUILD: sets an object's state, through the caller's hook; else only a dict's attribute state (OrderedDict._metadata), ignored
        const state = pop();
        const built = hooks.build?.(top(), state);
        if (built !== undefined) {
          stack[stack.length - 1] = built;
          break;
        }
        if (!(top() instanceof PyDict)) fail('BUILD on something that is not a dict');
        break;
      }
      case 0x51: // BINPERSID
        push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}
