/**
 * Every re-registered wasm kernel against the float64 references in `reference.ts` and against the
 * cpu backend, over strides, paddings, channel counts, filter sizes and all-negative windows.
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm, withBackend } from "./backend.ts";
import { KERNEL_PATCHES, wasmKernelsPatched } from "./patches.ts";
import {
  convFilterGradRef,
  convForwardRef,
  convInputGradRef,
  convOutShape,
  type ConvProblem,
  matMulRef,
  maxPoolGradRef,
  maxPoolRef,
  poolOutShape,
  type PoolProblem,
  type RefPad,
  seededValues,
} from "./reference.ts";

await useWasm();
tf.env().set("PROD", true); // silences tfjs's "you are running in Node.js" hint for the cpu backend

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const err = maxAbsDiff(actual, expected);
  if (!(err <= 2e-5 * scale)) {
    throw new Error(`${what}: max |diff| ${err.toExponential(2)} (scale ${scale.toFixed(2)})`);
  }
}

/** Runs `f` on wasm and on cpu; returns both results' values. */
async function onBoth(f: () => tf.Tensor): Promise<{ wasm: Float32Array; cpu: Float32Array }> {
  const run = async () => {
    const r = tf.tidy(f);
    const v = (await r.data()) as Float32Array;
    r.dispose();
    return v;
  };
  const wasm = await run();
  const cpu = await withBackend("cpu", run);
  return { wasm, cpu };
}

async function check(
  what: string,
  f: () => tf.Tensor,
  ref: ArrayLike<number>,
  cpuToo = true,
) {
  const { wasm, cpu } = await onBoth(f);
  assertClose(wasm, ref, `${what} wasm vs float64`);
  if (cpuToo) assertClose(cpu, ref, `${what} cpu vs float64`);
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

Deno.test("useWasm selects wasm and every patch is registered", () => {
  if (tf.getBackend() !== "wasm") throw new Error(`backend is ${tf.getBackend()}`);
  if (!wasmKernelsPatched()) throw new Error("patches missing");
  for (const p of KERNEL_PATCHES) {
    if (tf.getKernel(p.kernelName, "wasm") == null) throw new Error(`${p.kernelName} missing`);
  }
});

/** One convolution op: how to run it forward, and the names and attributes of its gradients. */
interface ConvKernels {
  /** Kernel name of the forward op, for messages. */
  name: string;
  forward: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;
  inputGrad: string;
  filterGrad: string;
  /** Attributes of both gradient kernels, besides the `inputShape` / `filterShape` they output. */
  attrs: object;
}

/**
 * Checks a convolution's forward pass and both gradient kernels on `p` against the float64
 * references, and against the cpu backend (for the gradients only if `gradsOnCpu`).
 * A 2-D op (`rank` 4) sees `p`'s shapes without the unit depth axis. Values are drawn with seeds
 * `seed`, `seed + 1` and `seed + 2`.
 */
async function checkConv(
  p: ConvProblem,
  rank: 4 | 5,
  seed: number,
  k: ConvKernels,
  gradsOnCpu = true,
) {
  const ys5 = convOutShape(p);
  const xv = seededValues(size(p.inShape), seed), wv = seededValues(size(p.filterShape), seed + 1);
  const dyv = seededValues(size(ys5), seed + 2);
  // Depth is axis 1 of activations and axis 0 of filters.
  const drop = (s: number[], axis: number) => (rank === 4 ? s.filter((_, i) => i !== axis) : s);
  const xs = drop(p.inShape, 1), ws = drop(p.filterShape, 0), ys = drop(ys5, 1);
  const x = () => tf.tensor(xv, xs), w = () => tf.tensor(wv, ws), dy = () => tf.tensor(dyv, ys);
  await check(k.name, () => k.forward(x(), w()), convForwardRef(p, xv, wv));
  await check(
    k.inputGrad,
    () => runKernel(k.inputGrad, { dy: dy(), filter: w() }, { ...k.attrs, inputShape: xs }),
    convInputGradRef(p, dyv, wv),
    gradsOnCpu,
  );
  await check(
    k.filterGrad,
    () => runKernel(k.filterGrad, { x: x(), dy: dy() }, { ...k.attrs, filterShape: ws }),
    convFilterGradRef(p, xv, dyv),
    gradsOnCpu,
  );
}

Deno.test("conv2d: forward, input and filter gradients", async (t) => {
  let seed = 1;
  for (const k of [[3, 3], [2, 3], [1, 1]]) {
    for (const s of [1, 2]) {
      // tfjs sizes numeric padding with the filter height on both axes: square filters only.
      for (const pad of (k[0] === k[1] ? ["same", "valid", 1] : ["same", "valid"]) as RefPad[]) {
        for (const [ci, co] of [[1, 1], [2, 3]]) {
          await t.step(`k${k} s${s} pad=${pad} ${ci}->${co}`, async () => {
            const p: ConvProblem = {
              inShape: [2, 1, 5, 6, ci],
              filterShape: [1, k[0], k[1], ci, co],
              strides: [1, s, s],
              dilations: [1, 1, 1],
              pad: ["valid", pad, pad],
            };
            const padArg = pad as "same" | "valid" | number;
            await checkConv(p, 4, seed, {
              name: "Conv2D",
              forward: (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, padArg),
              inputGrad: "Conv2DBackpropInput",
              filterGrad: "Conv2DBackpropFilter",
              attrs: { strides: s, pad, dataFormat: "NHWC" },
            });
          });
          seed += 3;
        }
      }
    }
  }
});

Deno.test("depthwise conv2d: forward, input and filter gradients", async (t) => {
  let seed = 100;
  const cases: [number[], number, RefPad, number, number][] = [];
  for (const k of [[3, 3], [2, 2]]) {
    for (const s of [1, 2]) {
      for (const pad of ["same", "valid"] as RefPad[]) {
        for (const m of [1, 2]) cases.push([k, s, pad, m, 1]);
      }
    }
  }
  cases.push([[3, 3], 1, "same", 1, 2], [[2, 3], 1, "valid", 2, 2]);
  for (const [k, s, pad, m, d] of cases) {
    await t.step(`k${k} s${s} pad=${pad} mult=${m} dilation=${d}`, async () => {
      const ci = 3;
      const p: ConvProblem = {
        inShape: [2, 1, 6, 5, ci],
        filterShape: [1, k[0], k[1], ci, m],
        strides: [1, s, s],
        dilations: [1, d, d],
        pad: ["valid", pad, pad],
        depthwise: true,
      };
      const padArg = pad as "same" | "valid";
      await checkConv(
        p,
        4,
        seed,
        {
          name: "DepthwiseConv2dNative",
          forward: (x, w) =>
            tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, padArg, "NHWC", d),
          inputGrad: "DepthwiseConv2dNativeBackpropInput",
          filterGrad: "DepthwiseConv2dNativeBackpropFilter",
          attrs: { strides: s, dilations: d, pad },
        },
        d === 1, // the cpu backend's own dilated depthwise gradients are wrong
      );
    });
    seed += 3;
  }
});

Deno.test("conv3d: forward, input and filter gradients", async (t) => {
  let seed = 200;
  for (const k of [[3, 3, 3], [2, 3, 2]]) {
    for (const s of [[1, 1, 1], [2, 2, 2], [1, 2, 1]]) {
      for (const pad of ["same", "valid"] as RefPad[]) {
        for (const [ci, co] of [[1, 1], [2, 3]]) {
          await t.step(`k${k} s${s} pad=${pad} ${ci}->${co}`, async () => {
            const p: ConvProblem = {
              inShape: [2, 5, 4, 6, ci],
              filterShape: [k[0], k[1], k[2], ci, co],
              strides: s,
              dilations: [1, 1, 1],
              pad,
            };
            const st = s as [number, number, number];
            const padArg = pad as "same" | "valid";
            await checkConv(p, 5, seed, {
              name: "Conv3D",
              forward: (x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, st, padArg),
              inputGrad: "Conv3DBackpropInputV2",
              filterGrad: "Conv3DBackpropFilterV2",
              attrs: { strides: s, pad },
            });
          });
          seed += 3;
        }
      }
    }
  }
});

Deno.test("max pooling 2-D and 3-D: forward and gradient, incl. all-negative windows", async (t) => {
  let seed = 300;
  for (const dims of [2, 3]) {
    for (const f of [2, 3]) {
      for (const s of [1, 2]) {
        for (const pad of ["same", "valid"] as RefPad[]) {
          for (const negative of [true, false]) {
            await t.step(`${dims}-D f${f} s${s} pad=${pad} allNegative=${negative}`, async () => {
              const p: PoolProblem = {
                inShape: dims === 2 ? [2, 1, 5, 6, 3] : [2, 4, 5, 3, 2],
                filter: dims === 2 ? [1, f, f] : [f, f, f],
                strides: dims === 2 ? [1, s, s] : [s, s, s],
                pad: dims === 2 ? ["valid", pad, pad] : pad,
              };
              const xv = negative
                ? seededValues(size(p.inShape), seed++, -2, -0.1)
                : seededValues(size(p.inShape), seed++);
              const ys = poolOutShape(p);
              const dyv = seededValues(size(ys), seed++);
              const padArg = pad as "same" | "valid";
              const drop = (sh: number[]) => (dims === 2 ? sh.filter((_, i) => i !== 1) : sh);
              const x = () => tf.tensor(xv, drop(p.inShape));
              const dy = () => tf.tensor(dyv, drop(ys));
              const pool = (t: tf.Tensor) =>
                dims === 2
                  ? tf.maxPool(t as tf.Tensor4D, f, s, padArg)
                  : tf.maxPool3d(t as tf.Tensor5D, f, s, padArg);
              await check(dims === 2 ? "MaxPool" : "MaxPool3D", () => pool(x()), maxPoolRef(p, xv));
              await check(
                dims === 2 ? "MaxPoolGrad" : "MaxPool3DGrad",
                () => {
                  const xi = x();
                  return runKernel(dims === 2 ? "MaxPoolGrad" : "MaxPool3DGrad", {
                    dy: dy(),
                    input: xi,
                    output: pool(xi),
                  }, { filterSize: f, strides: s, pad });
                },
                maxPoolGradRef(p, xv, dyv),
              );
            });
          }
        }
      }
    }
  }
});

Deno.test("matmul with transposes, batched and fused", async (t) => {
  let seed = 400;
  for (const batch of [1, 3]) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        await t.step(`batch ${batch} transposeA=${ta} transposeB=${tb}`, async () => {
          const [m, k, n] = [4, 5, 3];
          const as: [number, number] = ta ? [k, m] : [m, k];
          const bs: [number, number] = tb ? [n, k] : [k, n];
          const av = seededValues(batch * size(as), seed++);
          const bv = seededValues(batch * size(bs), seed++);
          const biasv = seededValues(n, seed++);
          const ref = new Float64Array(batch * m * n);
          const fusedRef = new Float64Array(batch * m * n);
          for (let i = 0; i < batch; i++) {
            const r = matMulRef(
              av.subarray(i * size(as), (i + 1) * size(as)),
              as,
              bv.subarray(i * size(bs), (i + 1) * size(bs)),
              bs,
              ta,
              tb,
            );
            ref.set(r, i * m * n);
            fusedRef.set(r.map((v, j) => Math.max(v + biasv[j % n], 0)), i * m * n);
          }
          const a = () => tf.tensor(av, [batch, ...as]);
          const b = () => tf.tensor(bv, [batch, ...bs]);
          await check("BatchMatMul", () => tf.matMul(a(), b(), ta, tb), ref);
          await check(
            "_FusedMatMul",
            () =>
              tf.fused.matMul({
                a: a() as tf.Tensor3D,
                b: b() as tf.Tensor3D,
                transposeA: ta,
                transposeB: tb,
                bias: tf.tensor1d(biasv),
                activation: "relu",
              }),
            fusedRef,
          );
        });
      }
    }
  }
});

Deno.test("patched kernels leak neither tensors nor backend data", () => {
  const x4 = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 1);
  const w4 = tf.randomNormal([3, 3, 2, 3], 0, 1, "float32", 2);
  const wd = tf.randomNormal([3, 3, 2, 2], 0, 1, "float32", 3);
  const x5 = tf.randomNormal([1, 4, 4, 4, 2], 0, 1, "float32", 4);
  const w5 = tf.randomNormal([3, 3, 3, 2, 3], 0, 1, "float32", 5);
  const a = tf.randomNormal([3, 4], 0, 1, "float32", 6);
  const ops: [string, () => tf.Tensor | tf.Tensor[]][] = [
    [
      "conv2d grads",
      () => tf.grads((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same"))([x4, w4]),
    ],
    [
      "depthwise grads",
      () =>
        tf.grads((x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"))([
          x4,
          wd,
        ]),
    ],
    [
      "conv3d grads",
      () => tf.grads((x, w) => tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, 2, "same"))([x5, w5]),
    ],
    ["maxPool3d grad", () => tf.grad((x) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, "same"))(x5)],
    ["maxPool grad", () => tf.grad((x) => tf.maxPool(x as tf.Tensor4D, 2, 2, "same"))(x4)],
    ["matmul grads", () => tf.grads((p, q) => tf.matMul(p, q, true, false))([a, a])],
  ];
  const backend = tf.backend() as unknown as { numDataIds(): number };
  for (const [name, op] of ops) {
    tf.dispose(op()); // warm-up (XNNPACK operator caches)
    const tensors = tf.memory().numTensors, ids = backend.numDataIds();
    tf.dispose(op());
    if (tf.memory().numTensors !== tensors) throw new Error(`${name}: tensors leaked`);
    if (backend.numDataIds() !== ids) throw new Error(`${name}: backend data leaked`);
  }
  tf.dispose([x4, w4, wd, x5, w5, a]);
});

Deno.test("sum over merged axes, keepDims, column sums", async (t) => {
  const shape = [2, 3, 4, 2, 3];
  const xv = seededValues(size(shape), 500);
  const cases: [number[], boolean][] = [
    [[0, 1, 2, 3], false],
    [[0, 1, 2, 3], true],
    [[1, 2], false],
    [[0, 2, 4], true],
    [[4], false],
    [[0, 1, 2, 3, 4], false],
  ];
  for (const [axes, keepDims] of cases) {
    await t.step(`axes ${axes} keepDims=${keepDims}`, async () => {
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const ref = new Float64Array(size(outShape));
      const strides = shape.map((_, i) => size(shape.slice(i + 1)));
      const outStrides = outShape.map((_, i) => size(outShape.slice(i + 1)));
      for (let i = 0; i < xv.length; i++) {
        let o = 0;
        shape.forEach((_, ax) => {
          const c = Math.floor(i / strides[ax]) % shape[ax];
          if (!axes.includes(ax)) o += c * outStrides[ax];
        });
        ref[o] += xv[i];
      }
      await check("Sum", () => tf.sum(tf.tensor(xv, shape), axes, keepDims), ref);
      const got = tf.tidy(() => tf.sum(tf.tensor(xv, shape), axes, keepDims));
      const want = keepDims ? outShape : shape.filter((_, i) => !axes.includes(i));
      if (got.shape.join() !== want.join()) throw new Error(`shape ${got.shape} vs ${want}`);
      got.dispose();
    });
  }
  const col = tf.tensor2d(seededValues(12, 501), [4, 3]);
  const rows = (await tf.sum(col, 0).data()) as Float32Array;
  const cv = col.dataSync();
  for (let j = 0; j < 3; j++) {
    const s = cv[j] + cv[3 + j] + cv[6 + j] + cv[9 + j];
    if (Math.abs(rows[j] - s) > 1e-6) throw new Error("column sum");
  }
  col.dispose();
});
