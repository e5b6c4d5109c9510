/**
 * Just enough of the ONNX protobuf to read a model's metadata_props (ModelProto field 14, repeated
 * StringStringEntryProto { key = 1, value = 2 }) without a protobuf library. From a file it reads
 * only the top-level field headers and the metadata itself, skipping the graph (asynchronously, and
 * past 2 GiB).
 */
import { promises as fs } from 'node:fs';

/** The largest metadata_props entry read (a model's metadata is a few kB). */
const MAX_METADATA_BYTES = 16 << 20;

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

/** One StringStringEntryProto: [key, value]. */
function entry(bytes: Uint8Array): [string, string] {
  const decoder = new TextDecoder();
  let key = '';
  let value = '';
  new Reader(bytes).fields((f, _w, s, l) => {
    if (f === 1) key = decoder.decode(bytes.subarray(s, s + l));
    if (f === 2) value = decoder.decode(bytes.subarray(s, s + l));
  });
  return [key, value];
}

/** key -> value of an ONNX model's metadata_props; throws when the bytes are not a protobuf ModelProto. */
export function onnxMetadataProps(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  new Reader(bytes).fields((field, _wire, start, length) => {
    if (field === 14) props.set(...entry(bytes.subarray(start, start + length)));
  });
  return props;
}

/** onnxMetadataProps() of a file, reading only the field headers and the metadata entries. */
export async function onnxMetadataFile(file: string): Promise<Map<string, string>> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(10);
    let at = 0;
    const varint = async (): Promise<number> => {
      const { bytesRead } = await handle.read(head, 0, 10, at);
      const reader = new Reader(head, 0, bytesRead);
      const value = reader.varint();
      at += reader.at;
      return value;
    };
    const props = new Map<string, string>();
    while (at < size) {
      const key = await varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) await varint();
      else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else if (wire === 2) {
        const length = await varint();
        if (at + length > size) throw new Error('truncated field');
        if (field === 14) {
          if (length > MAX_METADATA_BYTES) throw new Error(`a metadata_props entry of ${length} bytes`);
          const bytes = Buffer.alloc(length);
          await handle.read(bytes, 0, length, at);
          props.set(...entry(bytes));
        }
        at += length;
      } else throw new Error(`unsupported wire type ${wire}`);
    }
    return props;
  } finally {
    await handle.close();
  }
}
