/**
 * Checking gradients numerically: the test every new operation must pass.
 *
 * For a function f of some tensors, we project its output onto a fixed random direction r
 * (L = Σ f(x)·r, a scalar) and compare ∂L/∂x from `backward()` with the central difference
 * (L(x + ε) − L(x − ε)) / 2ε for every input element. L is accumulated in float64 to keep the
 * numerical side as exact as float32 inputs allow.
 *
 * @module
 */

import { Rng } from "./random.ts";
import type { Tensor } from "./tensor.ts";

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-2, suited to float32). */
  eps?: number;
  /** Seed for the projection direction. */
  seed?: number;
}

/** The result of a gradient check. */
export interface GradcheckResult {
  /** Largest |analytic − numeric| / max(1, |numeric|) over all checked elements. */
  maxError: number;
  /** Where it occurred: input number and flat index. */
  worst: { input: number; index: number; analytic: number; numeric: number };
}

/** Compares autograd's gradients of `fn` at `inputs` with central differences. */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-2;
  const rng = new Rng(options.seed ?? 7);
  for (const x of inputs) {
    x.requiresGrad = true;
    x.zeroGrad();
  }
  const out = fn(...inputs);
  const direction = new Float32Array(out.size);
  for (let i = 0; i < direction.length; i++) direction[i] = rng.uniform(-1, 1);
  out.backward(direction);
  const project = (): number => {
    const y = fn(...inputs).data;
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += y[i] * direction[i];
    return sum;
  };
  const result: GradcheckResult = {
    maxError: 0,
    worst: { input: -1, index: -1, analytic: 0, numeric: 0 },
  };
  inputs.forEach((x, inputIndex) => {
    const analytic = x.grad ?? new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const saved = x.data[i];
      x.data[i] = saved + eps;
      const plus = project();
      x.data[i] = saved - eps;
      const minus = project();
      x.data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const error = Math.abs(analytic[i] - numeric) / Math.max(1, Math.abs(numeric));
      if (error > result.maxError) {
        result.maxError = error;
        result.worst = { input: inputIndex, index: i, analytic: analytic[i], numeric };
      }
    }
  });
  return result;
}
