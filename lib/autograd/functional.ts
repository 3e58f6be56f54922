/**
 * Operations on tensors that do more than one arithmetic step: convolution, pooling, dropout
 * and flattening (the `torch.nn.functional` of our engine). Each wraps a fast kernel from
 * `kernels/` and provides its backward.
 *
 * Images are NCHW: [batch, channels, height, width]; convolution weights are
 * [outChannels, inChannels, kernelHeight, kernelWidth].
 *
 * @module
 */

import {
  avgPool2dBackward,
  avgPool2dForward,
  conv2dBackward,
  conv2dForward,
  maxPool2dBackward,
  maxPool2dForward,
} from "./kernels/conv.ts";
import { batchNormBackward, batchNormForward } from "./kernels/batchnorm.ts";
import { formatShape } from "./ndarray.ts";
import type { Rng } from "./random.ts";
import { makeResult, Tensor } from "./tensor.ts";

/** Stride and zero padding of a convolution or pooling window. */
export interface WindowOptions {
  /** Step between windows (default 1 for convolution, the kernel size for pooling). */
  stride?: number;
  /** Zero padding on every border (default 0). */
  pad?: number;
}

function nchw(x: Tensor, op: string): [number, number, number, number] {
  if (x.rank !== 4) {
    throw new Error(`${op}: expected a 4-D NCHW input, got shape ${formatShape(x.shape)}`);
  }
  return x.shape as [number, number, number, number];
}

/**
 * 2-D convolution (cross-correlation, as in every framework) of `x` [n,c,h,w] with `weight`
 * [o,c,kh,kw], plus an optional `bias` [o]. Computed by im2col + matrix multiplication.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: WindowOptions = {},
): Tensor {
  const stride = options.stride ?? 1;
  const pad = options.pad ?? 0;
  const xShape = nchw(x, "conv2d");
  if (weight.rank !== 4 || weight.shape[1] !== xShape[1]) {
    throw new Error(
      `conv2d: weight shape ${formatShape(weight.shape)} does not fit input ` +
        `${formatShape(x.shape)} (need [outC,${xShape[1]},kh,kw])`,
    );
  }
  const wShape = weight.shape as [number, number, number, number];
  const outC = wShape[0];
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`conv2d: bias shape ${formatShape(bias.shape)} should be [${outC}]`);
  }
  const b = bias === null ? null : bias.data;
  const { y, yShape } = conv2dForward(x.data, xShape, weight.data, wShape, stride, pad, b);
  const creators = bias === null ? [x, weight] : [x, weight, bias];
  return makeResult(y, yShape, "conv2d", creators, (g) => {
    const { dx, dw, db } = conv2dBackward(
      x.data,
      xShape,
      weight.data,
      wShape,
      g,
      stride,
      pad,
      x.requiresGrad,
      bias !== null,
    );
    return bias === null ? [dx, dw] : [dx, dw, db];
  });
}

/** Max pooling over `size`×`size` windows; the gradient goes to each window's maximum. */
export function maxPool2d(x: Tensor, size: number, options: WindowOptions = {}): Tensor {
  const xShape = nchw(x, "maxPool2d");
  const { y, yShape, argmax } = maxPool2dForward(
    x.data,
    xShape,
    size,
    options.stride ?? size,
    options.pad ?? 0,
  );
  return makeResult(y, yShape, "maxPool2d", [x], (g) => [maxPool2dBackward(g, argmax, x.size)]);
}

/** Average pooling over `size`×`size` windows (padding is not counted in the average). */
export function avgPool2d(x: Tensor, size: number, options: WindowOptions = {}): Tensor {
  const xShape = nchw(x, "avgPool2d");
  const stride = options.stride ?? size;
  const pad = options.pad ?? 0;
  const { y, yShape } = avgPool2dForward(x.data, xShape, size, stride, pad);
  return makeResult(
    y,
    yShape,
    "avgPool2d",
    [x],
    (g) => [avgPool2dBackward(g, xShape, size, stride, pad)],
  );
}

/**
 * Inverted dropout: in training, zeroes each value with probability `p` and scales the rest by
 * 1/(1−p), so evaluation needs no rescaling. Outside training it returns `x` unchanged.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const scale = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  const out = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = rng.next() >= p ? scale : 0;
    out[i] = x.data[i] * mask[i];
  }
  return makeResult(out, x.shape, "dropout", [x], (g) => {
    const dx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * mask[i];
    return [dx];
  });
}

/** Flattens every axis after the first: [n, ...] → [n, rest]. */
export function flatten(x: Tensor): Tensor {
  return x.reshape([x.shape[0], -1]);
}

/** The output of {@link batchNorm} with the statistics it normalised with. */
export interface BatchNormResult {
  /** The normalised, scaled and shifted tensor. */
  y: Tensor;
  /** Per-feature mean used. */
  mean: Float32Array;
  /** Per-feature (biased) variance used. */
  variance: Float32Array;
}

/**
 * Batch normalisation over axis 1 of [n, c] or [n, c, h, w] inputs, as one fused operation:
 * y = γ·(x − μ)/√(σ² + ε) + β per feature. Without `stats`, μ and σ² are the batch's own
 * (training); with `stats` (running averages, evaluation) they are constants.
 *
 * The same layer can be written with ordinary tensor ops (mean, sub, mul, sqrt, div) and autograd
 * derives the backward; fusing it avoids ten full-size intermediate arrays. Its backward, with
 * x̂ = (x − μ)/σ and batch statistics:
 * dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂)), dγ = Σ g·x̂, dβ = Σ g. The loops are in
 * `kernels/batchnorm.ts`.
 */
export function batchNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  eps = 1e-5,
  stats?: { mean: Float32Array; variance: Float32Array },
): BatchNormResult {
  if ((x.rank !== 2 && x.rank !== 4) || gamma.size !== x.shape[1] || beta.size !== x.shape[1]) {
    throw new Error(
      `batchNorm: input ${formatShape(x.shape)} needs [n,c] or [n,c,h,w] with gamma and beta of ` +
        `size c, got ${formatShape(gamma.shape)} and ${formatShape(beta.shape)}`,
    );
  }
  const [n, c] = x.shape;
  const spatial = x.size / (n * c);
  // Copies of given statistics: the backward pass reads them after the running ones may have moved.
  const mean = stats ? stats.mean.slice() : new Float32Array(c);
  const variance = stats ? stats.variance.slice() : new Float32Array(c);
  const batchStats = !stats;
  const { out, invStd } = batchNormForward(
    x.data,
    n,
    c,
    spatial,
    gamma.data,
    beta.data,
    eps,
    mean,
    variance,
    batchStats,
  );
  const y = makeResult(out, x.shape, "batchNorm", [x, gamma, beta], (g) => {
    const { dx, dGamma, dBeta } = batchNormBackward(
      x.data,
      g,
      n,
      c,
      spatial,
      mean,
      invStd,
      gamma.data,
      batchStats,
      x.requiresGrad,
    );
    return [dx, dGamma, dBeta];
  });
  return { y, mean, variance };
}
