/**
 * Layers: objects that hold parameters and apply an operation, composed with `Sequential`.
 *
 * A `Module` knows its parameters (trainable tensors), its buffers (state that is saved but not
 * trained, such as BatchNorm's running statistics) and its child modules, under dotted names
 * ("0.weight", "3.runningMean") used by save/load.
 *
 * @module
 */

import { avgPool2d, batchNorm, conv2d, dropout, flatten, maxPool2d } from "./functional.ts";
import { constantParameter, heNormal } from "./init.ts";
import { formatShape } from "./ndarray.ts";
import type { Rng } from "./random.ts";
import { Tensor, zeros } from "./tensor.ts";

/** The base of every layer. */
export abstract class Module {
  /** True in training mode (dropout active, BatchNorm uses batch statistics). */
  training = true;
  readonly #parameters = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Applies the layer. */
  abstract forward(x: Tensor): Tensor;

  /** Registers a trainable tensor under `name` and returns it. */
  protected addParameter(name: string, value: Tensor): Tensor {
    value.requiresGrad = true;
    value.name = name;
    this.#parameters.set(name, value);
    return value;
  }

  /** Registers saved, untrained state under `name` and returns it. */
  protected addBuffer(name: string, value: Tensor): Tensor {
    this.#buffers.set(name, value);
    return value;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** Every trainable tensor with its dotted name, depth first. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.#parameters) out.push([prefix + name, p]);
    for (const [name, child] of this.#children) {
      out.push(...child.namedParameters(`${prefix}${name}.`));
    }
    return out;
  }

  /** Every trainable tensor. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters and buffers by dotted name: everything needed to restore the module. */
  stateDict(prefix = ""): Map<string, Tensor> {
    const out = new Map<string, Tensor>(this.namedParameters(prefix));
    const addBuffers = (module: Module, at: string) => {
      for (const [name, b] of module.#buffers) out.set(at + name, b);
      for (const [name, child] of module.#children) addBuffers(child, `${at}${name}.`);
    };
    addBuffers(this, prefix);
    return out;
  }

  /** Copies values from `state` into this module's tensors; names and shapes must match. */
  loadStateDict(state: Map<string, { data: Float32Array; shape: readonly number[] }>): void {
    const own = this.stateDict();
    for (const [name, target] of own) {
      const source = state.get(name);
      if (source === undefined) throw new Error(`loadStateDict: missing tensor '${name}'`);
      if (formatShape(source.shape) !== formatShape(target.shape)) {
        throw new Error(
          `loadStateDict: '${name}' has shape ${formatShape(source.shape)}, ` +
            `the module expects ${formatShape(target.shape)}`,
        );
      }
    }
    for (const name of state.keys()) {
      if (!own.has(name)) throw new Error(`loadStateDict: unexpected tensor '${name}'`);
    }
    for (const [name, target] of own) {
      target.data.set(state.get(name)!.data);
      target.version++;
    }
  }

  /** Switches training mode on or off, here and in every child. */
  train(on = true): this {
    this.training = on;
    for (const child of this.#children.values()) child.train(on);
    return this;
  }

  /** Switches to evaluation mode. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}

/** Applies modules one after another. */
export class Sequential extends Module {
  /** The layers, in order. */
  readonly layers: Module[];

  /** Chains `layers`; their parameters are named by position ("0.weight", ...). */
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.addModule(String(i), layer));
  }

  /** Runs every layer in order. */
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}

/** y = x·W + b, for x of shape [n, inFeatures]. */
export class Linear extends Module {
  /** [inFeatures, outFeatures]. */
  readonly weight: Tensor;
  /** [outFeatures], or null without bias. */
  readonly bias: Tensor | null;

  /** He-initialised weights (suits ReLU-family activations), zero bias. */
  constructor(inFeatures: number, outFeatures: number, rng: Rng, options: { bias?: boolean } = {}) {
    super();
    this.weight = this.addParameter("weight", heNormal([inFeatures, outFeatures], inFeatures, rng));
    this.bias = options.bias === false
      ? null
      : this.addParameter("bias", constantParameter([outFeatures], 0));
  }

  /** x·W + b. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.weight.shape[0]) {
      throw new Error(
        `Linear: input shape ${formatShape(x.shape)} does not fit weight ` +
          `${formatShape(this.weight.shape)} (need [n,${this.weight.shape[0]}])`,
      );
    }
    const y = x.matmul(this.weight);
    return this.bias === null ? y : y.add(this.bias);
  }
}

/** 2-D convolution layer over NCHW images. */
export class Conv2d extends Module {
  /** [outChannels, inChannels, k, k]. */
  readonly weight: Tensor;
  /** [outChannels]. */
  readonly bias: Tensor | null;
  readonly #stride: number;
  readonly #pad: number;

  /** A `kernelSize`×`kernelSize` convolution with He-initialised weights. */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    rng: Rng,
    options: { stride?: number; pad?: number; bias?: boolean } = {},
  ) {
    super();
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.addParameter(
      "weight",
      heNormal([outChannels, inChannels, kernelSize, kernelSize], fanIn, rng),
    );
    this.bias = options.bias === false
      ? null
      : this.addParameter("bias", constantParameter([outChannels], 0));
    this.#stride = options.stride ?? 1;
    this.#pad = options.pad ?? 0;
  }

  /** Convolves `x` [n, inChannels, h, w]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.#stride, pad: this.#pad });
  }
}

/** Max pooling layer. */
export class MaxPool2d extends Module {
  /** `size`×`size` windows, stride defaulting to `size`. */
  constructor(readonly size: number, readonly stride = size) {
    super();
  }

  /** Pools `x`. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.size, { stride: this.stride });
  }
}

/** Average pooling layer. */
export class AvgPool2d extends Module {
  /** `size`×`size` windows, stride defaulting to `size`. */
  constructor(readonly size: number, readonly stride = size) {
    super();
  }

  /** Pools `x`. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.size, { stride: this.stride });
  }
}

/** [n, ...] → [n, rest]. */
export class Flatten extends Module {
  /** Flattens `x`. */
  forward(x: Tensor): Tensor {
    return flatten(x);
  }
}

/** Inverted dropout with probability `p`, active only in training mode. */
export class Dropout extends Module {
  readonly #rng: Rng;

  /** Drops each value with probability `p`, drawing masks from `rng`. */
  constructor(readonly p: number, rng: Rng) {
    super();
    this.#rng = rng;
  }

  /** Applies dropout in training mode, identity otherwise. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.#rng, this.training);
  }
}

/** ReLU activation layer. */
export class ReLU extends Module {
  /** max(0, x). */
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** Tanh activation layer. */
export class Tanh extends Module {
  /** tanh(x). */
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** GELU activation layer (see `Tensor.gelu`). */
export class GELU extends Module {
  /** gelu(x). */
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}

/**
 * Batch normalisation (Ioffe & Szegedy, 2015) over the feature axis 1 of [n, features] or
 * [n, channels, h, w] inputs: each feature is standardised with the batch's mean and variance in
 * training (and running averages of them in evaluation), then scaled and shifted by learned
 * `gamma` and `beta`. Uses the fused {@link batchNorm} operation.
 */
export class BatchNorm extends Module {
  /** Learned scale, [features]. */
  readonly gamma: Tensor;
  /** Learned shift, [features]. */
  readonly beta: Tensor;
  /** Running mean used in evaluation. */
  readonly runningMean: Tensor;
  /** Running (unbiased) variance used in evaluation. */
  readonly runningVar: Tensor;

  /** Normalises `features` channels; `momentum` weighs each new batch in the running stats. */
  constructor(readonly features: number, readonly momentum = 0.1, readonly eps = 1e-5) {
    super();
    this.gamma = this.addParameter("gamma", constantParameter([features], 1));
    this.beta = this.addParameter("beta", constantParameter([features], 0));
    this.runningMean = this.addBuffer("runningMean", zeros([features]));
    this.runningVar = this.addBuffer(
      "runningVar",
      new Tensor(new Float32Array(features).fill(1), [features]),
    );
  }

  /** Normalises `x` with batch statistics (training) or the running ones (evaluation). */
  forward(x: Tensor): Tensor {
    if (this.training) {
      const { y, mean, variance } = batchNorm(x, this.gamma, this.beta, this.eps);
      const count = x.size / this.features;
      const m = this.momentum;
      for (let c = 0; c < this.features; c++) {
        this.runningMean.data[c] = (1 - m) * this.runningMean.data[c] + m * mean[c];
        const unbiased = variance[c] * count / Math.max(count - 1, 1);
        this.runningVar.data[c] = (1 - m) * this.runningVar.data[c] + m * unbiased;
      }
      return y;
    }
    return batchNorm(x, this.gamma, this.beta, this.eps, {
      mean: this.runningMean.data,
      variance: this.runningVar.data,
    }).y;
  }
}
