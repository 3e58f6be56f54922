/**
 * Writing TensorBoard event files from Deno, with no TensorFlow and no npm package.
 *
 * An event file is a TFRecord stream: each record is `uint64 length`, `uint32 masked_crc32c(length)`,
 * the bytes of one serialized `tensorflow.Event` proto, and `uint32 masked_crc32c(bytes)` (all little
 * endian). The first event carries `file_version = "brain.Event:2"`; later ones carry a `Summary`
 * with scalar (`simple_value`), histogram (`HistogramProto`) or image (PNG `Summary.Image`) values.
 * The field numbers below are those of TensorFlow's `event.proto` and `summary.proto`.
 * `tensorboard_test.ts` reads our files back with TensorBoard's own Python loader.
 *
 * @module
 */
import { maskedCrc32c } from "../data/crc.ts";
import { encodePng } from "../viz/png.ts";
import { ProtoWriter } from "./protobuf.ts";
import { join } from "node:path";

/** The version string TensorBoard expects in the first event of a file. */
export const FILE_VERSION = "brain.Event:2";

/** Frames one record the TFRecord way. */
export function tfrecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  dv.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A histogram in TensorBoard's `HistogramProto` form. */
export interface Histogram {
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Number of values. */
  num: number;
  /** Sum of values. */
  sum: number;
  /** Sum of squared values. */
  sumSquares: number;
  /** Right edge of each bucket (ascending; the last equals `max`). */
  bucketLimit: number[];
  /** Count of values in each bucket. */
  bucket: number[];
}

/**
 * Summarises `values` into `buckets` equal-width buckets between their min and max (the
 * `tf.summary.histogram` convention); non-finite values are ignored.
 */
export function histogramOf(values: ArrayLike<number>, buckets = 30): Histogram {
  let min = Infinity, max = -Infinity, sum = 0, sumSquares = 0, num = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
    num++;
  }
  if (num === 0) {
    return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [0], bucket: [0] };
  }
  if (max === min) {
    return { min, max, num, sum, sumSquares, bucketLimit: [max], bucket: [num] };
  }
  const width = (max - min) / buckets;
  const bucket = new Array(buckets).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    bucket[Math.min(Math.floor((v - min) / width), buckets - 1)]++;
  }
  const bucketLimit = bucket.map((_, i) => (i === buckets - 1 ? max : min + width * (i + 1)));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}

/** 8-bit pixels for an image summary. */
export interface ImageData {
  /** Row-major `height * width * channels` bytes. */
  pixels: Uint8Array;
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
}

/**
 * Converts floats in `[0, 1]` (clamped) to 8-bit image data.
 *
 * @param values row-major `height * width * channels` floats
 */
export function imageFromFloats(
  values: ArrayLike<number>,
  height: number,
  width: number,
  channels: 1 | 3 | 4 = 1,
): ImageData {
  const pixels = new Uint8Array(height * width * channels);
  for (let i = 0; i < pixels.length; i++) {
    pixels[i] = Math.round(255 * Math.min(1, Math.max(0, values[i])));
  }
  return { pixels, height, width, channels };
}

let fileCounter = 0;

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/**
 * Appends TensorBoard events to a new `events.out.tfevents.*` file in `logdir` (one directory per
 * run, e.g. `runs/ch2/keras-small-cnn`; point `tensorboard --logdir runs/ch2` at the parent).
 * Each call writes through to disk, so TensorBoard sees values while training runs.
 */
export class SummaryWriter {
  /** The run directory. */
  readonly logdir: string;
  /** The event file being written. */
  readonly path: string;
  private file: Deno.FsFile | null;

  /** Creates `logdir` if needed and starts a new event file with the version event. */
  constructor(logdir: string) {
    this.logdir = logdir;
    Deno.mkdirSync(logdir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    const name = `events.out.tfevents.${seconds}.${hostname()}.${Deno.pid}.${fileCounter++}`;
    this.path = join(logdir, name);
    this.file = Deno.openSync(this.path, { create: true, append: true });
    this.write(new ProtoWriter().double(1, Date.now() / 1000).bytes(3, FILE_VERSION));
  }

  /** Frames `event` as a TFRecord and writes all of it to the event file; throws once closed. */
  private write(event: ProtoWriter): void {
    if (this.file == null) throw new Error(`SummaryWriter for ${this.logdir} is closed`);
    const record = tfrecord(event.finish());
    let off = 0;
    while (off < record.length) off += this.file.writeSync(record.subarray(off));
  }

  /** Writes one `Summary` event holding a single value tagged `tag`; `value` fills its payload. */
  private summary(tag: string, step: number, value: (v: ProtoWriter) => void, wallTime?: number) {
    const v = new ProtoWriter().bytes(1, tag);
    value(v);
    this.write(
      new ProtoWriter()
        .double(1, wallTime ?? Date.now() / 1000)
        .int(2, Math.round(step))
        .bytes(5, new ProtoWriter().bytes(1, v)),
    );
  }

  /** Logs one scalar (`Summary.Value.simple_value`, a float32). */
  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.summary(tag, step, (v) => v.float(2, value), wallTime);
  }

  /** Logs several scalars at one step, e.g. `{ loss: 0.3, acc: 0.9 }`. */
  scalars(values: Record<string, number>, step: number, wallTime?: number): void {
    for (const [tag, value] of Object.entries(values)) this.scalar(tag, value, step, wallTime);
  }

  /** Logs a histogram of `values` (`Summary.Value.histo`). */
  histogram(tag: string, values: ArrayLike<number> | Histogram, step: number, buckets = 30): void {
    const h = "bucketLimit" in values ? values : histogramOf(values, buckets);
    this.summary(tag, step, (v) =>
      v.bytes(
        5,
        new ProtoWriter()
          .double(1, h.min)
          .double(2, h.max)
          .double(3, h.num)
          .double(4, h.sum)
          .double(5, h.sumSquares)
          .packedDoubles(6, h.bucketLimit)
          .packedDoubles(7, h.bucket),
      ));
  }

  /** Logs an image as PNG (`Summary.Value.image`). */
  image(tag: string, image: ImageData, step: number): void {
    const png = encodePng(image.pixels, image.width, image.height, image.channels);
    this.summary(tag, step, (v) =>
      v.bytes(
        4,
        new ProtoWriter()
          .int(1, image.height)
          .int(2, image.width)
          .int(3, image.channels)
          .bytes(4, png),
      ));
  }

  /** Forces written events to stable storage. */
  flush(): void {
    this.file?.syncSync();
  }

  /** Closes the file; later writes throw. */
  close(): void {
    this.file?.close();
    this.file = null;
  }
}
