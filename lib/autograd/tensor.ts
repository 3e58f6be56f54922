/**
 * The `Tensor`: an n-dimensional float32 array that remembers how it was made.
 *
 * As in Grokking Deep Learning ch. 13, every tensor made by an operation keeps its `creators`
 * (the tensors it was computed from) and its `creationOp` (the operation's name), plus a closure
 * that turns the gradient of the output into gradients of the creators. `backward()` walks the
 * graph from a scalar back to the leaves.
 *
 * Grokking's version recurses creator by creator and waits, with a per-tensor children counter,
 * until a tensor has received the gradient from every child before passing it on. We keep the
 * idea but not the recursion: `backward()` sorts the graph topologically once (as micrograd does)
 * and visits it in reverse, so each tensor is handled exactly once, after all of its consumers.
 * That makes deep networks (no stack overflow), reused tensors, diamond-shaped graphs and
 * repeated `backward()` calls correct.
 *
 * Gradients are plain `Float32Array`s (first-order only). Only leaves (tensors created by the
 * user, e.g. parameters) keep `.grad`, and it accumulates across `backward()` calls until
 * `zeroGrad()`, as in PyTorch; intermediate gradients live only during one backward pass.
 *
 * @module
 */

import {
  binary,
  type BinaryKind,
  broadcastTo,
  checkShape,
  formatShape,
  maxLastAxis,
  normalizeAxes,
  reducedShape,
  type Shape,
  sizeOf,
  sumToShape,
  transpose as transposeArray,
} from "./ndarray.ts";
import { gemm } from "./kernels/matmul.ts";

/** Turns the gradient of an op's output into one gradient per creator (null: not needed). */
export type BackwardFn = (grad: Float32Array) => (Float32Array | null)[];

/** Values accepted where a tensor is expected: numbers become constant scalars. */
export type TensorLike = Tensor | number;

/** Nested number arrays accepted by {@link tensor}. */
export type NestedArray = number | NestedArray[];

let gradEnabled = true;

/**
 * Runs `fn` without recording the graph (for evaluation and optimizer updates), like
 * `torch.no_grad()`.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Options for making a tensor. */
export interface TensorOptions {
  /** Whether gradients should flow to this tensor (parameters and inputs under test). */
  requiresGrad?: boolean;
  /** A name shown in error messages and graph dumps. */
  name?: string;
}

/** An n-dimensional float32 array with reverse-mode automatic differentiation. */
export class Tensor {
  /** The values, row-major and contiguous. */
  readonly data: Float32Array;
  /** The dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf tensor, or null before any backward pass. */
  grad: Float32Array | null = null;
  /** The tensors this one was computed from (empty for leaves). */
  readonly creators: readonly Tensor[];
  /** The name of the operation that made this tensor ("leaf" for leaves). */
  readonly creationOp: string;
  /** An optional name for messages. */
  name?: string;
  /**
   * Counts in-place changes of `data` (optimizers and `loadStateDict` bump it), so that
   * `backward()` can tell when a value saved by the forward pass has changed since.
   */
  version = 0;
  readonly #backward: BackwardFn | null;
  readonly #creatorVersions: readonly number[];

  /**
   * Wraps existing data. Most code uses {@link tensor}, {@link zeros} and the like, or gets
   * tensors from operations.
   */
  constructor(
    data: Float32Array,
    shape: Shape,
    options: TensorOptions & {
      creators?: readonly Tensor[];
      creationOp?: string;
      backward?: BackwardFn;
    } = {},
  ) {
    checkShape(shape, options.creationOp ?? "Tensor");
    if (!(data instanceof Float32Array)) {
      throw new Error(
        `Tensor: data must be a Float32Array, got ${(data as object)?.constructor?.name}`,
      );
    }
    if (sizeOf(shape) !== data.length) {
      throw new Error(
        `Tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${data.length}`,
      );
    }
    this.data = data;
    this.shape = [...shape];
    this.creators = options.creators ?? [];
    this.creationOp = options.creationOp ?? "leaf";
    this.#backward = options.backward ?? null;
    this.#creatorVersions = this.creators.map((c) => c.version);
    this.requiresGrad = options.requiresGrad ?? false;
    this.name = options.name;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True for tensors not produced by a recorded operation. */
  get isLeaf(): boolean {
    return this.creators.length === 0;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} values`);
    }
    return this.data[0];
  }

  /** A copy of the values as a plain array. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The same values cut off from the graph (no creators, no gradient). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    this.grad = null;
  }

  /**
   * Backpropagates from this tensor. Without `grad`, the tensor must hold one value (a loss),
   * and its gradient is 1. Leaf gradients accumulate into `.grad`.
   *
   * Calling it twice on the same graph adds the same gradients again (leaves accumulate until
   * `zeroGrad()`). The backward formulas read the creators' values from the forward pass, so if
   * one of them was changed in place in between (`optimizer.step()`), the graph is stale: like
   * PyTorch, this throws, naming the op, instead of mixing old and new values. Run the forward
   * pass again after every update.
   */
  backward(grad?: Float32Array): void {
    if (!this.requiresGrad) {
      throw new Error(
        `backward: tensor made by '${this.creationOp}' does not require grad ` +
          "(no input had requiresGrad, or it was made under noGrad)",
      );
    }
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new Error(
          `backward: output has shape ${formatShape(this.shape)}; ` +
            "pass a gradient or reduce it to a scalar first",
        );
      }
      grad = new Float32Array([1]);
    } else if (grad.length !== this.size) {
      throw new Error(
        `backward: gradient has ${grad.length} values for shape ${formatShape(this.shape)}`,
      );
    }
    const order = topologicalOrder(this);
    const grads = new Map<Tensor, Float32Array>([[this, grad]]);
    // The ownership rule. A backward function may return its incoming gradient itself or one array
    // for several creators (add of equal shapes, reshape), so an array from a backward function
    // may be shared. A node's pending gradient is only summed into in place when this loop
    // allocated that array for that node alone (`owned`); otherwise the first sum allocates.
    const owned = new Set<Tensor>();
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node); // free memory as soon as the gradient has been used
      owned.delete(node);
      if (node.isLeaf) {
        accumulateInto(node, g);
        continue;
      }
      node.creators.forEach((creator, j) => {
        if (creator.version !== node.#creatorVersions[j]) {
          throw new Error(
            `backward: creator ${j} (shape ${formatShape(creator.shape)}${
              creator.name ? `, '${creator.name}'` : ""
            }) of '${node.creationOp}' was changed in place after the forward pass ` +
              `(version ${node.#creatorVersions[j]} → ${creator.version}, e.g. by ` +
              "optimizer.step()); run the forward pass again before calling backward()",
          );
        }
      });
      const creatorGrads = node.#backward!(g);
      node.creators.forEach((creator, j) => {
        const cg = creatorGrads[j];
        if (cg === null || cg === undefined || !creator.requiresGrad) return;
        if (cg.length !== creator.size) {
          throw new Error(
            `backward: '${node.creationOp}' returned ${cg.length} gradient values for its ` +
              `creator ${j} of shape ${formatShape(creator.shape)}`,
          );
        }
        const existing = grads.get(creator);
        if (existing === undefined) {
          grads.set(creator, cg);
        } else if (owned.has(creator)) {
          for (let k = 0; k < existing.length; k++) existing[k] += cg[k];
        } else {
          const sum = new Float32Array(existing.length);
          for (let k = 0; k < sum.length; k++) sum[k] = existing[k] + cg[k];
          owned.add(creator);
          grads.set(creator, sum);
        }
      });
    }
  }

  // ---- arithmetic ---------------------------------------------------------------------------

  /** Elementwise sum, with broadcasting. */
  add(other: TensorLike): Tensor {
    return binaryOp("add", this, toTensor(other));
  }

  /** Elementwise difference, with broadcasting. */
  sub(other: TensorLike): Tensor {
    return binaryOp("sub", this, toTensor(other));
  }

  /** Elementwise product, with broadcasting. */
  mul(other: TensorLike): Tensor {
    return binaryOp("mul", this, toTensor(other));
  }

  /** Elementwise quotient, with broadcasting. */
  div(other: TensorLike): Tensor {
    return binaryOp("div", this, toTensor(other));
  }

  /** Elementwise negation. */
  neg(): Tensor {
    return unaryOp(this, "neg", (x) => -x, (g) => -g);
  }

  /** Elementwise power with a constant exponent. */
  pow(exponent: number): Tensor {
    return unaryOp(
      this,
      "pow",
      (x) => Math.pow(x, exponent),
      (g, x) => g * exponent * Math.pow(x, exponent - 1),
    );
  }

  /** Elementwise square root. */
  sqrt(): Tensor {
    return unaryOp(this, "sqrt", Math.sqrt, (g, _x, y) => g / (2 * y));
  }

  /** Elementwise e^x. */
  exp(): Tensor {
    return unaryOp(this, "exp", Math.exp, (g, _x, y) => g * y);
  }

  /** Elementwise natural logarithm. */
  log(): Tensor {
    return unaryOp(this, "log", Math.log, (g, x) => g / x);
  }

  // ---- activations --------------------------------------------------------------------------

  /** max(0, x). */
  relu(): Tensor {
    // Written out rather than through unaryOp: ReLU runs on every activation of every network,
    // and a direct loop is several times faster than a call per element. Branch-free: activations
    // are positive or negative at random, so a conditional mispredicts half the time and made ReLU
    // ~10x slower. NaN stays NaN (as in PyTorch and tfjs), −∞ and −0 become 0.
    const input = this.data;
    const out = new Float32Array(input.length);
    // On the float32 bits: clear negative numbers (sign bit set) to +0 unless they are NaN (all
    // exponent bits set, a non-zero mantissa). Same values as `Math.max(x, 0)`, which V8 compiles
    // with branches, ~3x faster.
    const xb = new Int32Array(input.buffer, input.byteOffset, input.length);
    const ob = new Int32Array(out.buffer);
    for (let i = 0; i < xb.length; i++) {
      const b = xb[i];
      ob[i] = b & (~(b >> 31) | ((0x7f800000 - (b & 0x7fffffff)) >> 31));
    }
    return makeResult(out, this.shape, "relu", [this], (g) => {
      const dx = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) dx[i] = g[i] * +(input[i] > 0) + 0;
      return [dx];
    });
  }

  /** 1 / (1 + e^-x). */
  sigmoid(): Tensor {
    return unaryOp(this, "sigmoid", (x) => 1 / (1 + Math.exp(-x)), (g, _x, y) => g * y * (1 - y));
  }

  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return unaryOp(this, "tanh", Math.tanh, (g, _x, y) => g * (1 - y * y));
  }

  /**
   * GELU, the Gaussian error linear unit x·Φ(x) used by BERT and GPT, in its common tanh
   * approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Smooth where ReLU has a kink, and
   * slightly negative for small negative inputs.
   */
  gelu(): Tensor {
    const c = Math.sqrt(2 / Math.PI);
    const input = this.data;
    const out = new Float32Array(input.length);
    // tanh is the costly part (~20 ns): computed once, and kept for the gradient (in float64, so
    // the gradient is the one recomputing it would give).
    const tanhs = new Float64Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const x = input[i];
      const t = Math.tanh(c * (x + 0.044715 * x * x * x));
      tanhs[i] = t;
      out[i] = 0.5 * x * (1 + t);
    }
    return makeResult(out, this.shape, "gelu", [this], (g) => {
      const dx = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) {
        const x = input[i], t = tanhs[i];
        const dInner = c * (1 + 3 * 0.044715 * x * x);
        dx[i] = g[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner);
      }
      return [dx];
    });
  }

  // ---- linear algebra and shape -------------------------------------------------------------

  /** Matrix product of two 2-D tensors: [m,k]·[k,n] → [m,n]. */
  matmul(other: Tensor): Tensor {
    return matmul2d(this, other);
  }

  /** Permutes axes; without arguments, reverses them (the matrix transpose for 2-D). */
  transpose(perm?: readonly number[]): Tensor {
    const order = perm ?? this.shape.map((_, i) => this.rank - 1 - i);
    const result = transposeArray(this.data, this.shape, order);
    const inverse = new Array<number>(order.length);
    order.forEach((axis, i) => (inverse[axis] = i));
    return makeResult(
      result.data,
      result.shape,
      "transpose",
      [this],
      (g) => [transposeArray(g, result.shape, inverse).data],
    );
  }

  /** The same values with another shape of equal size; one dimension may be -1 (inferred). */
  reshape(shape: readonly number[]): Tensor {
    const target = inferShape(shape, this.size, this.shape);
    return makeResult(this.data, target, "reshape", [this], (g) => [g]);
  }

  /** Copies the values out to a larger, broadcast-compatible shape. */
  broadcastTo(shape: readonly number[]): Tensor {
    const from = this.shape;
    return makeResult(
      broadcastTo(this.data, from, shape),
      shape,
      "broadcastTo",
      [this],
      (g) => [sumToShape(g, shape, from)],
    );
  }

  /** Sum over `axes` (all when omitted); `keepDims` keeps them as size 1. */
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    const axisList = axes === undefined
      ? this.shape.map((_, i) => i)
      : normalizeAxes(axes, this.rank, "sum");
    const kept = reducedShape(this.shape, axisList);
    const data = sumToShape(this.data, this.shape, kept);
    const outShape = keepDims ? kept : this.shape.filter((_, i) => !axisList.includes(i));
    const from = this.shape;
    return makeResult(
      data === this.data ? data.slice() : data,
      outShape,
      "sum",
      [this],
      (g) => [broadcastTo(g, kept, from)],
    );
  }

  /** Mean over `axes` (all when omitted). */
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    const summed = this.sum(axes, keepDims);
    return summed.mul(summed.size / this.size);
  }

  /**
   * Softmax along the last axis, computed stably by subtracting each row's maximum.
   * Backward: dx = y ⊙ (g − Σ g⊙y).
   */
  softmax(): Tensor {
    const n = lastAxis(this, "softmax");
    const y = softmaxRows(this.data, n);
    return makeResult(y, this.shape, "softmax", [this], (g) => {
      const dx = new Float32Array(g.length);
      for (let base = 0; base < g.length; base += n) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += g[base + i] * y[base + i];
        for (let i = 0; i < n; i++) dx[base + i] = y[base + i] * (g[base + i] - dot);
      }
      return [dx];
    });
  }

  /**
   * log(softmax(x)) along the last axis, computed as x − max − log Σ e^(x−max) so that it never
   * overflows. Backward: dx = g − softmax(x)·Σ g.
   */
  logSoftmax(): Tensor {
    const n = lastAxis(this, "logSoftmax");
    const maxes = maxLastAxis(this.data, n);
    const out = new Float32Array(this.size);
    for (let r = 0, base = 0; base < out.length; r++, base += n) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(this.data[base + i] - maxes[r]);
      const logSum = Math.log(sum) + maxes[r];
      for (let i = 0; i < n; i++) out[base + i] = this.data[base + i] - logSum;
    }
    return makeResult(out, this.shape, "logSoftmax", [this], (g) => {
      const dx = new Float32Array(g.length);
      for (let base = 0; base < g.length; base += n) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += g[base + i];
        for (let i = 0; i < n; i++) dx[base + i] = g[base + i] - Math.exp(out[base + i]) * sum;
      }
      return [dx];
    });
  }

  // ---- indexing -----------------------------------------------------------------------------

  /**
   * Rows of this tensor picked by `indices` along the first axis (Grokking's `index_select`, the
   * heart of an embedding layer). Repeated indices accumulate gradient.
   */
  indexSelect(indices: ArrayLike<number>): Tensor {
    const rows = this.shape[0];
    const rowSize = this.size / Math.max(rows, 1);
    const out = new Float32Array(indices.length * rowSize);
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i];
      if (!Number.isInteger(row) || row < 0 || row >= rows) {
        throw new Error(
          `indexSelect: index ${row} out of range for shape ${formatShape(this.shape)}`,
        );
      }
      out.set(this.data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
    }
    const size = this.size;
    return makeResult(out, [indices.length, ...this.shape.slice(1)], "indexSelect", [this], (g) => {
      const dx = new Float32Array(size);
      for (let i = 0; i < indices.length; i++) {
        const base = indices[i] * rowSize;
        for (let j = 0; j < rowSize; j++) dx[base + j] += g[i * rowSize + j];
      }
      return [dx];
    });
  }

  /**
   * For a [n, c] tensor, the n values x[i, indices[i]] (e.g. each example's log-probability of
   * its true class).
   */
  pick(indices: ArrayLike<number>): Tensor {
    if (this.rank !== 2 || indices.length !== this.shape[0]) {
      throw new Error(
        `pick: need a [n,c] tensor and n indices, got shape ${formatShape(this.shape)} ` +
          `and ${indices.length} indices`,
      );
    }
    const [n, c] = this.shape;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || j >= c) {
        throw new Error(`pick: index ${j} at row ${i} is out of range for ${c} columns`);
      }
      out[i] = this.data[i * c + j];
    }
    return makeResult(out, [n], "pick", [this], (g) => {
      const dx = new Float32Array(n * c);
      for (let i = 0; i < n; i++) dx[i * c + indices[i]] = g[i];
      return [dx];
    });
  }

  /** Index of the largest value in each row of the last axis. */
  argmax(): Int32Array {
    const n = lastAxis(this, "argmax");
    const out = new Int32Array(this.size / n);
    for (let r = 0; r < out.length; r++) {
      let best = 0;
      for (let i = 1; i < n; i++) if (this.data[r * n + i] > this.data[r * n + best]) best = i;
      out[r] = best;
    }
    return out;
  }

  /** A readable one-line summary. */
  toString(): string {
    const preview = Array.from(this.data.subarray(0, 6), (v) => v.toPrecision(4)).join(", ");
    return `Tensor(${formatShape(this.shape)}, op=${this.creationOp}, [${preview}${
      this.size > 6 ? ", …" : ""
    }])`;
  }
}

/**
 * Builds an operation's output. Under {@link noGrad}, or when no creator needs a gradient, the
 * graph is not recorded, so evaluation keeps no intermediate arrays alive.
 */
export function makeResult(
  data: Float32Array,
  shape: Shape,
  op: string,
  creators: readonly Tensor[],
  backward: BackwardFn,
): Tensor {
  const record = gradEnabled && creators.some((t) => t.requiresGrad);
  if (!record) return new Tensor(data, shape, { creationOp: op });
  return new Tensor(data, shape, { creators, creationOp: op, backward, requiresGrad: true });
}

function accumulateInto(leaf: Tensor, g: Float32Array): void {
  if (leaf.grad === null) {
    leaf.grad = g.slice();
  } else {
    const acc = leaf.grad;
    for (let k = 0; k < acc.length; k++) acc[k] += g[k];
  }
}

/** Every tensor reachable from `root` that needs a gradient, creators before their results. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // An explicit stack instead of recursion: deep graphs cannot overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, next] = top;
    if (next < node.creators.length) {
      top[1]++;
      const creator = node.creators[next];
      if (creator.requiresGrad && !visited.has(creator)) {
        visited.add(creator);
        stack.push([creator, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

function matmul2d(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(
      `matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} are incompatible ` +
        "(need [m,k] and [k,n])",
    );
  }
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out = new Float32Array(m * n);
  gemm(false, false, m, n, k, a.data, b.data, out);
  return makeResult(out, [m, n], "matmul", [a, b], (g) => {
    let ga: Float32Array | null = null;
    let gb: Float32Array | null = null;
    if (a.requiresGrad) {
      ga = new Float32Array(m * k);
      gemm(false, true, m, k, n, g, b.data, ga); // dA = dC · Bᵀ
    }
    if (b.requiresGrad) {
      gb = new Float32Array(k * n);
      gemm(true, false, k, n, m, a.data, g, gb); // dB = Aᵀ · dC
    }
    return [ga, gb];
  });
}

function toTensor(value: TensorLike): Tensor {
  return value instanceof Tensor ? value : new Tensor(new Float32Array([value]), []);
}

function binaryOp(kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  const result = binary(kind, a.data, a.shape, b.data, b.shape);
  const out = result.shape;
  return makeResult(result.data, out, kind, [a, b], (g) => {
    const needA = a.requiresGrad;
    const needB = b.requiresGrad;
    switch (kind) {
      case "add":
        return [
          needA ? sumToShape(g, out, a.shape) : null,
          needB ? sumToShape(g, out, b.shape) : null,
        ];
      case "sub":
        return [
          needA ? sumToShape(g, out, a.shape) : null,
          needB ? sumToShape(binary("mul", g, out, MINUS_ONE, []).data, out, b.shape) : null,
        ];
      case "mul":
        return [
          needA ? sumToShape(binary("mul", g, out, b.data, b.shape).data, out, a.shape) : null,
          needB ? sumToShape(binary("mul", g, out, a.data, a.shape).data, out, b.shape) : null,
        ];
      case "div": {
        const ga = needA
          ? sumToShape(binary("div", g, out, b.data, b.shape).data, out, a.shape)
          : null;
        let gb: Float32Array | null = null;
        if (needB) {
          // d(a/b)/db = −(a/b)/b = −y/b
          const y = result.data;
          const t = binary("div", y, out, b.data, b.shape).data;
          for (let i = 0; i < t.length; i++) t[i] = -t[i] * g[i];
          gb = sumToShape(t, out, b.shape);
        }
        return [ga, gb];
      }
    }
  });
}

const MINUS_ONE = new Float32Array([-1]);

function unaryOp(
  x: Tensor,
  op: string,
  forward: (x: number) => number,
  derivative: (g: number, x: number, y: number) => number,
): Tensor {
  const input = x.data;
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = forward(input[i]);
  return makeResult(out, x.shape, op, [x], (g) => {
    const dx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) dx[i] = derivative(g[i], input[i], out[i]);
    return [dx];
  });
}

/** The length of the last axis, which row-wise ops reduce over; scalars and empty rows have none. */
function lastAxis(x: Tensor, op: string): number {
  const n = x.shape[x.rank - 1];
  if (x.rank === 0 || n === 0) {
    throw new Error(
      `${op}: works along the last axis, but the tensor of shape ${formatShape(x.shape)} has ` +
        (x.rank === 0 ? "none (a scalar)" : "an empty one"),
    );
  }
  return n;
}

function softmaxRows(data: Float32Array, n: number): Float32Array {
  const maxes = maxLastAxis(data, n);
  const out = new Float32Array(data.length);
  for (let r = 0, base = 0; base < out.length; r++, base += n) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(data[base + i] - maxes[r]);
      out[base + i] = e;
      sum += e;
    }
    for (let i = 0; i < n; i++) out[base + i] /= sum;
  }
  return out;
}

function inferShape(shape: readonly number[], size: number, from: Shape): number[] {
  const unknown = shape.filter((d) => d === -1).length;
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const result = shape.map((d) => (d === -1 ? size / known : d));
  if (unknown > 1 || sizeOf(result) !== size || result.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape ${formatShape(from)} to ${formatShape(shape)}`);
  }
  return result;
}

// ---- creating tensors ---------------------------------------------------------------------

/**
 * Makes a tensor from numbers, nested arrays or a `Float32Array` (with an explicit shape).
 * Rejects other typed arrays, ragged nesting and non-finite values with an error naming the
 * offending position.
 */
export function tensor(
  values: NestedArray | ArrayBufferView,
  shape?: readonly number[],
  options: TensorOptions = {},
): Tensor {
  let data: Float32Array;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    if (!(values instanceof Float32Array)) {
      throw new Error(
        `tensor: expected a Float32Array or nested number arrays, got ${values.constructor.name}`,
      );
    }
    data = values;
    inferred = [values.length];
  } else {
    inferred = nestedShape(values);
    data = new Float32Array(sizeOf(inferred));
    let i = 0;
    const fill = (v: NestedArray) => {
      if (Array.isArray(v)) v.forEach(fill);
      else data[i++] = v;
    };
    fill(values);
  }
  const finalShape = shape ? [...shape] : inferred;
  if (sizeOf(finalShape) !== data.length) {
    throw new Error(
      `tensor: shape ${formatShape(finalShape)} needs ${
        sizeOf(finalShape)
      } values, got ${data.length}`,
    );
  }
  assertFinite(data, "tensor", finalShape);
  return new Tensor(data, finalShape, options);
}

function nestedShape(values: NestedArray): number[] {
  if (!Array.isArray(values)) {
    if (typeof values !== "number") {
      throw new Error(`tensor: expected numbers, got ${typeof values}`);
    }
    return [];
  }
  const inner = values.length > 0 ? nestedShape(values[0]) : [];
  for (const v of values) {
    const s = nestedShape(v);
    if (s.length !== inner.length || s.some((d, i) => d !== inner[i])) {
      throw new Error(
        `tensor: ragged nested array (rows of shapes ${formatShape(inner)} and ${formatShape(s)})`,
      );
    }
  }
  return [values.length, ...inner];
}

/** Throws an error naming `op`, the shape and the first position holding NaN or ±Infinity. */
export function assertFinite(data: Float32Array, op: string, shape: Shape): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(
        `${op}: value at flat index ${i} of shape ${formatShape(shape)} is ${data[i]}`,
      );
    }
  }
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  checkShape(shape, "zeros");
  return new Tensor(new Float32Array(sizeOf(shape)), shape, options);
}

/** A tensor filled with one value. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape(shape, "full");
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, options);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}
