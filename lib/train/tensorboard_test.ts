/**
 * Our event files, read back by the real TensorBoard (its Python event loader and accumulator).
 *
 * The reader is found as: `$TB_PYTHON`, else `data/cache/tensorboard-venv/bin/python` (CI makes it
 * with `python3 -m venv data/cache/tensorboard-venv && data/cache/tensorboard-venv/bin/pip install
 * tensorboard`), else `python3`, whichever can `import tensorboard`. Without one the reader test is
 * skipped with a message, except under CI (env `CI` set), where it fails.
 */
import { fileURLToPath } from "node:url";
import { crc32, crc32c, maskedCrc32c } from "../data/crc.ts";
import { encodePng } from "../viz/png.ts";
import { histogramOf, imageFromFloats, SummaryWriter, tfrecord } from "./tensorboard.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

async function canImportTensorboard(python: string): Promise<boolean> {
  try {
    const p = await new Deno.Command(python, {
      args: ["-c", "import tensorboard"],
      stdout: "null",
      stderr: "null",
    }).output();
    return p.success;
  } catch {
    return false;
  }
}

async function findPython(): Promise<string | null> {
  const candidates = [
    Deno.env.get("TB_PYTHON"),
    `${repoRoot}data/cache/tensorboard-venv/bin/python`,
    "python3",
  ];
  for (const c of candidates) if (c && await canImportTensorboard(c)) return c;
  return null;
}

const python = await findPython();
const inCI = Deno.env.get("CI") != null;
if (python == null && !inCI) {
  console.warn(
    "tensorboard_test: SKIPPING the TensorBoard reader test: no Python with `tensorboard` found " +
      "(set TB_PYTHON, or: python3 -m venv data/cache/tensorboard-venv && " +
      "data/cache/tensorboard-venv/bin/pip install tensorboard)",
  );
}

Deno.test("crc32c check values and TFRecord framing", () => {
  const digits = new TextEncoder().encode("123456789");
  if (crc32c(digits) !== 0xe3069283) throw new Error(crc32c(digits).toString(16));
  if (crc32(digits) !== 0xcbf43926) throw new Error(crc32(digits).toString(16));
  const rec = tfrecord(digits);
  const dv = new DataView(rec.buffer);
  if (dv.getBigUint64(0, true) !== 9n) throw new Error("length");
  if (dv.getUint32(8, true) !== maskedCrc32c(rec.subarray(0, 8))) throw new Error("header crc");
  if (dv.getUint32(21, true) !== maskedCrc32c(digits)) throw new Error("data crc");
});

Deno.test("histogramOf counts every finite value once", () => {
  const h = histogramOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, NaN], 5);
  if (h.num !== 10 || h.min !== 0 || h.max !== 9 || h.sum !== 45) {
    throw new Error(JSON.stringify(h));
  }
  if (h.bucket.join() !== "2,2,2,2,2") throw new Error(h.bucket.join());
  if (h.bucketLimit[4] !== 9) throw new Error("last limit must be max");
});

const READER = `
import base64, json, sys, zlib
from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.compat.proto import event_pb2
path, logdir = sys.argv[1], sys.argv[2]
raw = list(event_file_loader.RawEventFileLoader(path).Load())
first = event_pb2.Event.FromString(raw[0])
acc = event_accumulator.EventAccumulator(logdir, size_guidance={
    event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0})
acc.Reload()
tags = acc.Tags()
def png_pixels(b):
    assert b[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    pos, idat, w, h, ch = 8, b"", 0, 0, 0
    while pos < len(b):
        n = int.from_bytes(b[pos:pos+4], "big"); typ = b[pos+4:pos+8]; data = b[pos+8:pos+8+n]
        crc = int.from_bytes(b[pos+8+n:pos+12+n], "big")
        assert zlib.crc32(typ + data) == crc, "png chunk crc"
        if typ == b"IHDR":
            w, h = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
            ch = {0: 1, 4: 2, 2: 3, 6: 4}[data[9]]
        if typ == b"IDAT": idat += data
        pos += 12 + n
    raw = zlib.decompress(idat); stride = w * ch
    px = b"".join(raw[y*(stride+1)+1:(y+1)*(stride+1)] for y in range(h))
    return list(px)
out = {
  "records": len(raw),
  "file_version": first.file_version,
  "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
  "histograms": {t: [{"step": e.step, "min": e.histogram_value.min, "max": e.histogram_value.max,
      "num": e.histogram_value.num, "sum": e.histogram_value.sum,
      "sum_squares": e.histogram_value.sum_squares,
      "bucket_limit": list(e.histogram_value.bucket_limit), "bucket": list(e.histogram_value.bucket)}
      for e in acc.Histograms(t)] for t in tags["histograms"]},
  "images": {t: [{"step": e.step, "width": e.width, "height": e.height,
      "pixels": png_pixels(e.encoded_image_string)} for e in acc.Images(t)] for t in tags["images"]},
}
print(json.dumps(out))
`;

function same(a: unknown, b: unknown, what: string) {
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  if (sa !== sb) {
    throw new Error(`${what}: ours ${sa.slice(0, 300)} vs TensorBoard ${sb.slice(0, 300)}`);
  }
}

Deno.test({
  name: "TensorBoard's own reader reads back every scalar, histogram and image",
  ignore: python == null && !inCI,
  fn: async () => {
    if (python == null) throw new Error("CI: no Python with tensorboard (see this file's header)");
    const logdir = await Deno.makeTempDir({ prefix: "tb-" });
    try {
      const w = new SummaryWriter(logdir);
      const scalars: Record<string, number[][]> = { "train/loss": [], "val/acc": [] };
      let records = 1;
      for (let step = 0; step < 5; step++) {
        const loss = 2 / (step + 1) + 0.1234567, acc = step / 7;
        w.scalars({ "train/loss": loss, "val/acc": acc }, step);
        scalars["train/loss"].push([step, Math.fround(loss)]);
        scalars["val/acc"].push([step, Math.fround(acc)]);
        records += 2;
      }
      const hists = [0, 10].map((step) => {
        const values = Array.from(
          { length: 200 },
          (_, i) => Math.sin(i * 0.37 + step) * (1 + i / 50),
        );
        const h = histogramOf(values, 12);
        w.histogram("weights/dense", values, step, 12);
        records++;
        return {
          step,
          min: h.min,
          max: h.max,
          num: h.num,
          sum: h.sum,
          sum_squares: h.sumSquares,
          bucket_limit: h.bucketLimit,
          bucket: h.bucket,
        };
      });
      const rgb = imageFromFloats(
        Array.from({ length: 4 * 5 * 3 }, (_, i) => (i % 17) / 16),
        4,
        5,
        3,
      );
      const gray = imageFromFloats(Array.from({ length: 6 * 3 }, (_, i) => i / 17), 6, 3, 1);
      w.image("samples/rgb", rgb, 3);
      w.image("samples/gray", gray, 4);
      records += 2;
      w.close();

      const script = `${logdir}/read.py`;
      await Deno.writeTextFile(script, READER);
      const res = await new Deno.Command(python, { args: [script, w.path, logdir] }).output();
      if (!res.success) throw new Error(new TextDecoder().decode(res.stderr));
      const got = JSON.parse(new TextDecoder().decode(res.stdout));
      same(got.records, records, "record count (a CRC error truncates it)");
      same(got.file_version, "brain.Event:2", "file version");
      same(got.scalars, scalars, "scalars");
      same(got.histograms["weights/dense"], hists, "histograms");
      same(
        got.images["samples/rgb"],
        [{ step: 3, width: 5, height: 4, pixels: [...rgb.pixels] }],
        "rgb",
      );
      same(
        got.images["samples/gray"],
        [{ step: 4, width: 3, height: 6, pixels: [...gray.pixels] }],
        "gray",
      );
    } finally {
      await Deno.remove(logdir, { recursive: true });
    }
  },
});

Deno.test("encodePng rejects a wrong pixel count", () => {
  let threw = false;
  try {
    encodePng(new Uint8Array(5), 2, 2, 1);
  } catch {
    threw = true;
  }
  if (!threw) throw new Error("expected an error");
});
