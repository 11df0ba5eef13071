/**
 * Protocol-buffers wire-format writer (just what the ONNX encoders need).
 *
 * Small fields are packed into a scratch chunk; large byte fields (tensor data) are kept by
 * reference and copied once, when `finish()` joins the chunks. Nested messages are written into a
 * child writer whose length is known when it is done, so no size pre-pass is needed.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Byte arrays at least this long are referenced rather than copied into the scratch chunk. */
const REFERENCE_THRESHOLD = 1024;
/** Scratch chunks start small (most messages are small) and grow with the message, up to this. */
const MAX_SCRATCH_SIZE = 65536;
const FIRST_SCRATCH_SIZE = 128;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(FIRST_SCRATCH_SIZE);
  private scratchPos = 0;
  private flushedLength = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushedLength + this.scratchPos;
  }

  /** A varint-encoded unsigned integer (or a negative int64, as its 64-bit two's complement). */
  varint(value: number | bigint): void {
    if (typeof value === 'bigint' || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      this.varintBig(BigInt.asUintN(64, BigInt(value)));
      return;
    }
    if (!Number.isInteger(value)) throw new Error(`protobuf varint needs an integer, got ${value}`);
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.scratch[this.scratchPos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.scratch[this.scratchPos++] = v;
  }

  private varintBig(value: bigint): void {
    this.reserve(10);
    let v = value;
    while (v >= 0x80n) {
      this.scratch[this.scratchPos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.scratchPos++] = Number(v);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** An int32/int64/uint64/enum/bool field. */
  int(field: number, value: number | bigint): void {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  /** A float field (fixed 32-bit, little-endian). */
  float(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.scratchPos, value, true);
    this.scratchPos += 4;
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.byteLength);
    this.raw(value);
  }

  /** An embedded message: `build` writes its fields into a child writer. */
  message(field: number, build: (writer: ProtoWriter) => void): void {
    const child = new ProtoWriter();
    build(child);
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(child.length);
    child.flush();
    this.flush();
    for (const chunk of child.chunks) this.chunks.push(chunk);
    this.flushedLength += child.flushedLength;
  }

  /** Appends bytes with no tag. */
  raw(value: Uint8Array): void {
    if (value.byteLength >= REFERENCE_THRESHOLD) {
      this.flush();
      this.chunks.push(value);
      this.flushedLength += value.byteLength;
      return;
    }
    this.reserve(value.byteLength);
    this.scratch.set(value, this.scratchPos);
    this.scratchPos += value.byteLength;
  }

  /** The whole message as one array. */
  finish(): Uint8Array {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.flushedLength);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private reserve(bytes: number): void {
    if (this.scratchPos + bytes <= this.scratch.byteLength) return;
    this.flush();
    if (this.scratch.byteLength < bytes) {
      const grown = Math.min(MAX_SCRATCH_SIZE, Math.max(FIRST_SCRATCH_SIZE, this.length));
      this.scratch = new Uint8Array(Math.max(grown, bytes));
    }
  }

  /** Moves the scratch bytes into the chunk list; the rest of the scratch buffer stays in use. */
  private flush(): void {
    if (this.scratchPos === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.scratchPos));
    this.flushedLength += this.scratchPos;
    this.scratch = this.scratch.subarray(this.scratchPos);
    this.scratchPos = 0;
  }
}
