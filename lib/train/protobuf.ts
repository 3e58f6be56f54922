/**
 * A minimal protocol-buffers encoder: just the wire types TensorBoard's `Event` protos need.
 *
 * @module
 */

/** Builds one protobuf message; fields are appended in call order. */
export class ProtoWriter {
  private chunks: number[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt(v);
    if (x < 0n) x = BigInt.asUintN(64, x);
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A varint field (int32, int64, uint64, enum, bool). */
  int(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  /** A `double` field (64-bit little endian). */
  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.chunks.push(...b);
    return this;
  }

  /** A `float` field (32-bit little endian). */
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(...b);
    return this;
  }

  /** A length-delimited field: bytes, a UTF-8 string or an embedded message. */
  bytes(field: number, v: Uint8Array | string | ProtoWriter): this {
    const b = typeof v === "string"
      ? new TextEncoder().encode(v)
      : v instanceof ProtoWriter
      ? v.finish()
      : v;
    this.key(field, 2);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]);
    return this;
  }

  /** A packed `repeated double` field. */
  packedDoubles(field: number, vs: ArrayLike<number>): this {
    const b = new Uint8Array(8 * vs.length);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < vs.length; i++) dv.setFloat64(8 * i, vs[i], true);
    return this.bytes(field, b);
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
