/**
 * Parameter initialisation. Good starting scales keep activations and gradients from shrinking
 * or exploding as they pass through many layers.
 *
 * @module
 */

import type { Rng } from "./random.ts";
import { Tensor } from "./tensor.ts";
import { sizeOf } from "./ndarray.ts";

/**
 * He (Kaiming) normal initialisation for layers followed by ReLU: N(0, 2/fanIn)
 * (He et al., 2015).
 */
export function heNormal(shape: readonly number[], fanIn: number, rng: Rng): Tensor {
  const std = Math.sqrt(2 / fanIn);
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
  return new Tensor(data, shape, { requiresGrad: true });
}

/** Glorot (Xavier) uniform initialisation: U(±√(6/(fanIn+fanOut))) (Glorot & Bengio, 2010). */
export function glorotUniform(
  shape: readonly number[],
  fanIn: number,
  fanOut: number,
  rng: Rng,
): Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-limit, limit);
  return new Tensor(data, shape, { requiresGrad: true });
}

/** A trainable tensor of one constant value (biases start at 0, BatchNorm scales at 1). */
export function constantParameter(shape: readonly number[], value: number): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, { requiresGrad: true });
}
