/**
 * Shapes, broadcasting, elementwise arithmetic, reductions and transposes over contiguous
 * row-major `Float32Array`s: the part numpy plays in Grokking Deep Learning.
 *
 * Every array here is contiguous, so an element's offset is the dot product of its index with
 * the strides from `stridesOf`. Broadcasting follows numpy: shapes are aligned on the right,
 * and a dimension of 1 stretches to match the other.
 *
 * @module
 */

/** A tensor's dimensions, outermost first. */
export type Shape = readonly number[];

/** The elementwise binary operations that broadcast. */
export type BinaryKind = "add" | "sub" | "mul" | "div";

/** Formats a shape for error messages, e.g. `[2,3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** The number of elements in an array of this shape. */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides: how far apart neighbours along each axis are in the flat data. */
function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

/** True when the two shapes are identical. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

/** Checks that a shape holds non-negative integers; `op` names the caller in the error. */
export function checkShape(shape: Shape, op: string): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`${op}: invalid shape ${formatShape(shape)}`);
    }
  }
}

/** The shape two operands broadcast to, or an error naming the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading an array of shape `from` as if it had the (broadcast) shape `to`:
 * stretched axes get stride 0.
 */
function broadcastStrides(from: Shape, to: Shape): number[] {
  const own = stridesOf(from);
  const offset = to.length - from.length;
  return to.map((_dim, i) => {
    const source = i - offset;
    if (source < 0 || from[source] === 1) return 0;
    return own[source];
  });
}

type InnerLoop = (
  out: Float32Array,
  o: number,
  a: Float32Array,
  ai: number,
  sa: number,
  b: Float32Array,
  bi: number,
  sb: number,
  n: number,
) => void;

// One inner loop per op keeps the hot loop free of a per-element function call.
const innerLoops: Record<BinaryKind, InnerLoop> = {
  add(out, o, a, ai, sa, b, bi, sb, n) {
    for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa] + b[bi + i * sb];
  },
  sub(out, o, a, ai, sa, b, bi, sb, n) {
    for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa] - b[bi + i * sb];
  },
  mul(out, o, a, ai, sa, b, bi, sb, n) {
    for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa] * b[bi + i * sb];
  },
  div(out, o, a, ai, sa, b, bi, sb, n) {
    for (let i = 0; i < n; i++) out[o + i] = a[ai + i * sa] / b[bi + i * sb];
  },
};

/**
 * Visits a broadcast iteration space row by row: calls `row(offsetOut, offsetA, offsetB)` for each
 * position of all axes but the last, with the flat offsets of that row's start.
 */
function forEachRow(
  shape: Shape,
  stridesA: readonly number[],
  stridesB: readonly number[],
  row: (o: number, ai: number, bi: number) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    row(0, 0, 0);
    return;
  }
  const inner = shape[rank - 1];
  const outer = sizeOf(shape) / Math.max(inner, 1);
  if (inner === 0) return;
  const index = new Array<number>(rank - 1).fill(0);
  let ai = 0;
  let bi = 0;
  for (let r = 0; r < outer; r++) {
    row(r * inner, ai, bi);
    // Advance the odometer over the outer axes.
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]++;
      ai += stridesA[axis];
      bi += stridesB[axis];
      if (index[axis] < shape[axis]) break;
      ai -= stridesA[axis] * shape[axis];
      bi -= stridesB[axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

/** `a (kind) b` with numpy broadcasting; returns the result and its shape. */
export function binary(
  kind: BinaryKind,
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
): { data: Float32Array; shape: number[] } {
  const shape = broadcastShapes(aShape, bShape, kind);
  const out = new Float32Array(sizeOf(shape));
  const loop = innerLoops[kind];
  if (sameShape(aShape, bShape)) {
    loop(out, 0, a, 0, 1, b, 0, 1, out.length);
  } else if (b.length === 1) {
    loop(out, 0, a, 0, 1, b, 0, 0, out.length);
  } else if (a.length === 1) {
    loop(out, 0, a, 0, 0, b, 0, 1, out.length);
  } else {
    const sa = broadcastStrides(aShape, shape);
    const sb = broadcastStrides(bShape, shape);
    const inner = shape[shape.length - 1];
    const lastA = sa[sa.length - 1];
    const lastB = sb[sb.length - 1];
    forEachRow(shape, sa, sb, (o, ai, bi) => loop(out, o, a, ai, lastA, b, bi, lastB, inner));
  }
  return { data: out, shape };
}

/**
 * Sums `data` (of shape `from`) down to the shape `to` that it was broadcast from: the gradient
 * of a broadcast. `to` must broadcast to `from`.
 */
export function sumToShape(data: Float32Array, from: Shape, to: Shape): Float32Array {
  if (sameShape(from, to)) return data;
  const out = new Float32Array(sizeOf(to));
  const st = broadcastStrides(to, from);
  const inner = from[from.length - 1];
  const lastT = st[st.length - 1];
  forEachRow(from, st, st, (o, ti) => {
    if (lastT === 0) {
      let sum = 0;
      for (let i = 0; i < inner; i++) sum += data[o + i];
      out[ti] += sum;
    } else {
      for (let i = 0; i < inner; i++) out[ti + i] += data[o + i];
    }
  });
  return out;
}

/** Copies `data` of shape `from` out to the larger shape `to` it broadcasts to. */
export function broadcastTo(data: Float32Array, from: Shape, to: Shape): Float32Array {
  const target = broadcastShapes(from, to, "broadcastTo");
  if (!sameShape(target, to)) {
    // e.g. [2,3] → [3]: the shapes are compatible, but the result would be [2,3], not `to`.
    throw new Error(
      `broadcastTo: cannot broadcast shape ${formatShape(from)} to the smaller ` +
        `${formatShape(to)} (broadcasting only adds or stretches size-1 axes)`,
    );
  }
  if (sameShape(from, to)) return data.slice();
  const out = new Float32Array(sizeOf(to));
  const sf = broadcastStrides(from, to);
  const inner = to[to.length - 1];
  const last = sf[sf.length - 1];
  forEachRow(to, sf, sf, (o, fi) => {
    for (let i = 0; i < inner; i++) out[o + i] = data[fi + i * last];
  });
  return out;
}

/** Normalises axes (negative counts from the end) and checks them against the rank. */
export function normalizeAxes(
  axes: number | readonly number[],
  rank: number,
  op: string,
): number[] {
  const list = typeof axes === "number" ? [axes] : [...axes];
  return list.map((axis) => {
    const normal = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(normal) || normal < 0 || normal >= rank) {
      throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
    }
    return normal;
  });
}

/** The shape after reducing `axes`, keeping them as size 1. */
export function reducedShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((dim, axis) => (axes.includes(axis) ? 1 : dim));
}

/** Maximum along the last axis: for each row of length `n`, its largest value. */
export function maxLastAxis(data: Float32Array, n: number): Float32Array {
  const rows = data.length / n;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    const base = r * n;
    for (let i = 0; i < n; i++) if (data[base + i] > best) best = data[base + i];
    out[r] = best;
  }
  return out;
}

/** Permutes the axes of `data`: output axis i is input axis `perm[i]`. */
export function transpose(
  data: Float32Array,
  shape: Shape,
  perm: readonly number[],
): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const sorted = [...perm].sort((x, y) => x - y);
  if (perm.length !== rank || sorted.some((axis, i) => axis !== i)) {
    throw new Error(
      `transpose: permutation [${perm.join(",")}] does not fit shape ${formatShape(shape)}`,
    );
  }
  const outShape = perm.map((axis) => shape[axis]);
  const inStrides = stridesOf(shape);
  const readStrides = perm.map((axis) => inStrides[axis]);
  const out = new Float32Array(data.length);
  if (rank === 2 && perm[0] === 1) {
    // The common case, blocked so that reads and writes both stay in cache.
    const [rows, cols] = shape;
    const block = 32;
    for (let r0 = 0; r0 < rows; r0 += block) {
      for (let c0 = 0; c0 < cols; c0 += block) {
        const rEnd = Math.min(r0 + block, rows);
        const cEnd = Math.min(c0 + block, cols);
        for (let r = r0; r < rEnd; r++) {
          for (let c = c0; c < cEnd; c++) out[c * rows + r] = data[r * cols + c];
        }
      }
    }
    return { data: out, shape: outShape };
  }
  const inner = outShape[rank - 1] ?? 1;
  const last = readStrides[rank - 1] ?? 0;
  forEachRow(outShape, readStrides, readStrides, (o, ii) => {
    for (let i = 0; i < inner; i++) out[o + i] = data[ii + i * last];
  });
  return { data: out, shape: outShape };
}
