import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../src/graph/onnx/protobufWriter.js';

const bytesOf = (build: (w: ProtoWriter) => void): number[] => {
  const w = new ProtoWriter();
  build(w);
  return Array.from(w.finish());
};

describe('protobuf wire format', () => {
  it('encodes varints as the protobuf encoding guide gives them', () => {
    // Examples from the protobuf encoding documentation: 1 → 01, 150 → 96 01, 300 → ac 02.
    expect(bytesOf((w) => w.varint(1))).toEqual([0x01]);
    expect(bytesOf((w) => w.varint(150))).toEqual([0x96, 0x01]);
    expect(bytesOf((w) => w.varint(300))).toEqual([0xac, 0x02]);
    // A negative int64 is its 64-bit two's complement: ten bytes.
    expect(bytesOf((w) => w.varint(-1))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // 2^35 needs more than 32 bits.
    expect(bytesOf((w) => w.varint(2 ** 35))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  });

  it('writes tags, strings, floats and nested messages with their lengths', () => {
    // Field 1 varint 150 → 08 96 01 (the guide's "Test1" message).
    expect(bytesOf((w) => w.int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    // Field 2 string "testing" → 12 07 74 65 73 74 69 6e 67.
    expect(bytesOf((w) => w.string(2, 'testing'))).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    // Field 3 embedded Test1 → 1a 03 08 96 01.
    expect(bytesOf((w) => w.message(3, (m) => m.int(1, 150)))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    // Field 2 float 1.0 → tag 15 (wire type 5), then IEEE bytes little-endian.
    expect(bytesOf((w) => w.float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  });

  it('keeps byte order across scratch chunks, referenced blocks and nesting', () => {
    const big = new Uint8Array(5000).map((_, i) => i % 251);
    const w = new ProtoWriter();
    w.int(1, 7);
    w.message(2, (m) => {
      for (let i = 0; i < 300; i++) m.int(1, i);
      m.bytes(3, big);
      m.string(4, 'end');
    });
    w.int(5, 9);
    const out = w.finish();
    expect(out.byteLength).toBe(w.length);

    // Decode by hand.
    let pos = 0;
    const readVarint = (): number => {
      let result = 0;
      let scale = 1;
      for (;;) {
        const byte = out[pos++]!;
        result += (byte & 0x7f) * scale;
        if (byte < 0x80) return result;
        scale *= 128;
      }
    };
    expect(readVarint()).toBe(1 << 3);
    expect(readVarint()).toBe(7);
    expect(readVarint()).toBe((2 << 3) | 2);
    const innerLength = readVarint();
    const innerEnd = pos + innerLength;
    for (let i = 0; i < 300; i++) {
      expect(readVarint()).toBe(1 << 3);
      expect(readVarint()).toBe(i);
    }
    expect(readVarint()).toBe((3 << 3) | 2);
    expect(readVarint()).toBe(5000);
    expect(Array.from(out.subarray(pos, pos + 5000))).toEqual(Array.from(big));
    pos += 5000;
    expect(readVarint()).toBe((4 << 3) | 2);
    expect(readVarint()).toBe(3);
    expect(new TextDecoder().decode(out.subarray(pos, pos + 3))).toBe('end');
    pos += 3;
    expect(pos).toBe(innerEnd);
    expect(readVarint()).toBe(5 << 3);
    expect(readVarint()).toBe(9);
    expect(pos).toBe(out.byteLength);
  });
});
