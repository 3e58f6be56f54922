/**
 * The WebAssembly SIMD filter gradients (`simd_kernels.ts`, both builds) against the float64
 * references, over channel counts that are and are not multiples of the 4×8 tile, strides,
 * dilations, paddings, 2-D and 3-D, and more positions than one cache chunk; their repeatability;
 * the kernels with them switched off (the tfjs-op fallback) against the same references; and the
 * committed module against a fresh build of its source. (`patches_test.ts` checks the registered
 * kernels, which use this path, against the cpu backend too.)
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "./backend.ts";
import {
  convFilterGradWasm,
  type ConvGradGeometry,
  depthwiseFilterGradWasm,
  selectSimdKernelsVariant,
  simdKernelsHelperReady,
  type SimdKernelsVariant,
  simdKernelsVariant,
} from "./simd_kernels.ts";
import {
  axisGeometry,
  convFilterGradRef,
  convForwardRef,
  convOutShape,
  type ConvProblem,
  type RefPad,
  seededValues,
} from "./reference.ts";
import { buildModule } from "../../tools/build_wasm.ts";

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The kernel's geometry for a reference problem. */
function geometryOf(p: ConvProblem): ConvGradGeometry {
  const g = [0, 1, 2].map((i) =>
    axisGeometry(
      p.inShape[i + 1],
      p.filterShape[i],
      p.strides[i],
      p.dilations[i],
      Array.isArray(p.pad) ? p.pad[i] : p.pad,
    )
  );
  return {
    inShape: p.inShape,
    outSize: g.map((a) => a.out),
    kernelSize: p.filterShape.slice(0, 3),
    strides: p.strides,
    dilations: p.dilations,
    padBefore: g.map((a) => a.before),
  };
}

/** Max |got - want| against the sum of |x·dy| terms' scale: float32 sums of up to 10⁴ terms. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  if (got.length !== want.length) {
    throw new Error(`${what}: length ${got.length} != ${want.length}`);
  }
  let scale = 1, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  if (!(err <= 2e-5 * scale)) {
    throw new Error(`${what}: max |diff| ${err.toExponential(2)} (scale ${scale.toFixed(2)})`);
  }
}

interface Case {
  inShape: number[];
  kernel: number[];
  strides: number[];
  dilations?: number[];
  pad: RefPad;
  /** Output channels (conv) or the channel multiplier (depthwise, 1). */
  out: number;
  depthwise?: boolean;
}

const CASES: Case[] = [
  // 2-D (depth 1): channels around the 4-row and 8-column tiles, strides, pads, 1x1.
  { inShape: [2, 1, 7, 9, 1], kernel: [1, 3, 3], strides: [1, 1, 1], pad: "same", out: 1 },
  { inShape: [2, 1, 7, 9, 3], kernel: [1, 3, 3], strides: [1, 2, 2], pad: "same", out: 11 },
  { inShape: [3, 1, 8, 6, 5], kernel: [1, 2, 3], strides: [1, 1, 1], pad: "valid", out: 8 },
  { inShape: [2, 1, 6, 6, 8], kernel: [1, 3, 3], strides: [1, 2, 2], pad: 1, out: 16 },
  { inShape: [2, 1, 5, 7, 12], kernel: [1, 1, 1], strides: [1, 1, 1], pad: "valid", out: 20 },
  { inShape: [2, 1, 9, 9, 6], kernel: [1, 1, 1], strides: [1, 2, 2], pad: "valid", out: 9 },
  // More positions (6,400) than one cache chunk of dy (4,096 at 8 channels).
  { inShape: [4, 1, 40, 40, 3], kernel: [1, 3, 3], strides: [1, 1, 1], pad: "same", out: 8 },
  // 3-D.
  { inShape: [2, 5, 4, 6, 1], kernel: [3, 3, 3], strides: [1, 1, 1], pad: "same", out: 8 },
  { inShape: [2, 5, 6, 4, 3], kernel: [2, 3, 2], strides: [2, 1, 2], pad: "same", out: 5 },
  { inShape: [1, 6, 5, 5, 8], kernel: [3, 3, 3], strides: [2, 2, 2], pad: "valid", out: 16 },
  // Depthwise (multiplier 1): channels below, at and past the 8-lane block; dilation.
  {
    inShape: [2, 1, 7, 6, 3],
    kernel: [1, 3, 3],
    strides: [1, 1, 1],
    pad: "same",
    out: 1,
    depthwise: true,
  },
  {
    inShape: [2, 1, 8, 8, 8],
    kernel: [1, 3, 3],
    strides: [1, 2, 2],
    pad: "same",
    out: 1,
    depthwise: true,
  },
  {
    inShape: [3, 1, 9, 7, 12],
    kernel: [1, 3, 2],
    strides: [1, 1, 1],
    dilations: [1, 2, 2],
    pad: "valid",
    out: 1,
    depthwise: true,
  },
];

function problemOf(c: Case): ConvProblem {
  return {
    inShape: c.inShape,
    filterShape: [...c.kernel, c.inShape[4], c.out],
    strides: c.strides,
    dilations: c.dilations ?? [1, 1, 1],
    // A 2-D case pads only height and width.
    pad: c.inShape[1] === 1 && c.kernel[0] === 1 ? ["valid", c.pad, c.pad] : c.pad,
    depthwise: c.depthwise,
  };
}

function runCase(c: Case, seed: number): { got: Float32Array; want: Float64Array } {
  const p = problemOf(c);
  const x = seededValues(size(p.inShape), seed), dy = seededValues(size(convOutShape(p)), seed + 1);
  const fn = c.depthwise ? depthwiseFilterGradWasm : convFilterGradWasm;
  const got = fn(x, dy, geometryOf(p));
  if (got === null) throw new Error("the wasm filter-gradient kernel is unavailable");
  return { got, want: convFilterGradRef(p, x, dy) };
}

for (const build of ["relaxed-simd", "simd"] as SimdKernelsVariant[]) {
  Deno.test(`simd_kernels (${build} build): filter gradients equal float64 references, repeatably`, () => {
    selectSimdKernelsVariant(build);
    try {
      if (simdKernelsVariant() !== build) throw new Error(`the ${build} build does not load here`);
      CASES.forEach((c, i) => {
        const what = `${build} ${JSON.stringify(c)}`;
        const { got, want } = runCase(c, 10 + 2 * i);
        assertClose(got, want, what);
        const again = runCase(c, 10 + 2 * i).got;
        if (!again.every((v, j) => Object.is(v, got[j]))) {
          throw new Error(`${what}: not repeatable`);
        }
      });
    } finally {
      selectSimdKernelsVariant(null);
    }
  });
}

Deno.test("filter gradients shared with the helper thread are bit-identical to one thread", async () => {
  if (!(await simdKernelsHelperReady(15_000))) {
    // As in gemm_wasm_test.ts: on a busy machine the worker may not start in time; the kernels then
    // run on one thread, so there is nothing to compare.
    console.warn("simd_kernels helper thread not ready: two-thread comparison skipped");
    return;
  }
  const cases: Case[] = [
    { inShape: [8, 1, 32, 32, 16], kernel: [1, 3, 3], strides: [1, 1, 1], pad: "same", out: 24 },
    { inShape: [4, 6, 8, 8, 5], kernel: [3, 3, 3], strides: [1, 1, 1], pad: "same", out: 16 },
    {
      inShape: [8, 1, 32, 32, 72],
      kernel: [1, 3, 3],
      strides: [1, 1, 1],
      pad: "same",
      out: 1,
      depthwise: true,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const p = problemOf(c);
    const x = seededValues(size(p.inShape), 70 + i),
      dy = seededValues(size(convOutShape(p)), 80 + i);
    const fn = c.depthwise ? depthwiseFilterGradWasm : convFilterGradWasm;
    const one = fn(x, dy, geometryOf(p), 1)!, two = fn(x, dy, geometryOf(p), 2)!;
    if (!two.every((v, j) => Object.is(v, one[j]))) {
      throw new Error(`${JSON.stringify(c)}: differs`);
    }
    if (i === 0) assertClose(two, convFilterGradRef(p, x, dy), "two threads vs float64");
  }
});

Deno.test("filter-gradient kernels with the wasm kernel off (tfjs-op fallback) match too", async () => {
  await useWasm();
  selectSimdKernelsVariant("off");
  try {
    for (const [i, c] of CASES.entries()) {
      const p = problemOf(c);
      const x = seededValues(size(p.inShape), 50 + i),
        dy = seededValues(size(convOutShape(p)), 90 + i);
      const want = convFilterGradRef(p, x, dy);
      const is2d = p.inShape[1] === 1 && p.filterShape[0] === 1;
      const drop = (s: number[], axis: number) => (is2d ? s.filter((_, j) => j !== axis) : s);
      const xs = drop(p.inShape, 1), ys = drop(convOutShape(p), 1), ws = drop(p.filterShape, 0);
      const name = c.depthwise
        ? "DepthwiseConv2dNativeBackpropFilter"
        : is2d
        ? "Conv2DBackpropFilter"
        : "Conv3DBackpropFilterV2";
      const strides = is2d ? p.strides.slice(1) : p.strides;
      const attrs = {
        strides,
        pad: c.pad,
        dilations: is2d ? p.dilations.slice(1) : p.dilations,
        filterShape: ws,
        dataFormat: is2d ? "NHWC" : "NDHWC",
      };
      const r = tf.tidy(() =>
        tf.engine().runKernel(
          name,
          { x: tf.tensor(x, xs), dy: tf.tensor(dy, ys) },
          attrs,
        ) as tf.Tensor
      );
      assertClose(await r.data() as Float32Array, want, `${name} (fallback) ${JSON.stringify(c)}`);
      r.dispose();
    }
  } finally {
    selectSimdKernelsVariant(null);
  }
});

Deno.test("conv3d forward by gathered depth taps and by the per-tap fallback match float64", async () => {
  await useWasm();
  const p: ConvProblem = {
    inShape: [2, 6, 5, 4, 3],
    filterShape: [3, 2, 3, 3, 5],
    strides: [2, 1, 1],
    dilations: [1, 1, 1],
    pad: "same",
  };
  const x = seededValues(size(p.inShape), 7), w = seededValues(size(p.filterShape), 8);
  const want = convForwardRef(p, x, w);
  for (const mode of [null, "off"] as const) {
    selectSimdKernelsVariant(mode);
    try {
      const y = tf.tidy(() =>
        tf.conv3d(
          tf.tensor5d(x, p.inShape as [number, number, number, number, number]),
          tf.tensor5d(w, p.filterShape as [number, number, number, number, number]),
          [2, 1, 1],
          "same",
        )
      );
      assertClose(await y.data() as Float32Array, want, `conv3d (simd kernels ${mode ?? "on"})`);
      y.dispose();
    } finally {
      selectSimdKernelsVariant(null);
    }
  }
});

Deno.test("simd_kernels_bin.ts is the build of assembly/simd_kernels.ts (deno task build:wasm)", async () => {
  const fresh = await buildModule("tfjs/simd_kernels_bin.ts");
  const committed = await Deno.readTextFile(new URL("./simd_kernels_bin.ts", import.meta.url));
  if (fresh !== committed) {
    throw new Error("simd_kernels_bin.ts is stale: run deno task build:wasm");
  }
});
