/**
 * Just enough of the ONNX protobuf to read a model's metadata_props (ModelProto field 14, repeated
 * StringStringEntryProto { key = 1, value = 2 }) without a protobuf library.
 */
import { readFileSync } from 'node:fs';

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
    readonly end = bytes.length,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.end) throw new Error('truncated varint');
      const b = this.bytes[this.at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** Calls fn(field, wireType, reader-of-value) for each field; skips what fn does not read. */
  fields(fn: (field: number, wire: number, start: number, length: number) => void): void {
    while (this.at < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) this.varint();
      else if (wire === 1) this.at += 8;
      else if (wire === 5) this.at += 4;
      else if (wire === 2) {
        const length = this.varint();
        if (this.at + length > this.end) throw new Error('truncated field');
        fn(field, wire, this.at, length);
        this.at += length;
      } else throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

/** key -> value of an ONNX model's metadata_props; throws when the bytes are not a protobuf ModelProto. */
export function onnxMetadataProps(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  const decoder = new TextDecoder();
  new Reader(bytes).fields((field, _wire, start, length) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    new Reader(bytes, start, start + length).fields((f, _w, s, l) => {
      if (f === 1) key = decoder.decode(bytes.subarray(s, s + l));
      if (f === 2) value = decoder.decode(bytes.subarray(s, s + l));
    });
    (props as Map<string, string>).set(key, value);
  });
  return props;
}

export function onnxMetadataFile(file: string): Map<string, string> {
  return onnxMetadataProps(readFileSync(file));
}
