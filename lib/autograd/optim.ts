/**
 * Optimizers: rules that turn gradients into parameter updates. Each keeps whatever per-parameter
 * state it needs (velocities, moment estimates) and updates `param.data` in place.
 *
 * @module
 */

import type { Tensor } from "./tensor.ts";

/** The base of every optimizer. */
export abstract class Optimizer {
  /** The tensors this optimizer updates. */
  readonly params: readonly Tensor[];
  /** The learning rate; schedules change it between steps. */
  lr: number;
  /** How many updates have been applied. */
  stepCount = 0;

  /** Optimises `params` with learning rate `lr`. */
  constructor(params: readonly Tensor[], lr: number) {
    if (!(lr > 0 && lr < Infinity)) {
      throw new Error(`optimizer: learning rate must be positive and finite, got ${lr}`);
    }
    this.params = params;
    this.lr = lr;
  }

  /** Clears every parameter's gradient (call before each backward pass). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Applies one update from the current gradients. Parameters without a gradient are skipped. */
  step(): void {
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (p.grad !== null) {
        this.update(p.data, p.grad, i);
        p.version++; // graphs built before this step are now stale (see Tensor.backward)
      }
    });
  }

  /** Updates one parameter's values from its gradient. */
  protected abstract update(value: Float32Array, grad: Float32Array, index: number): void;
}

function inUnitInterval(optimizer: string, name: string, value: number): number {
  if (!(value >= 0 && value < 1)) {
    throw new Error(`${optimizer}: ${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

function nonNegative(optimizer: string, name: string, value: number): number {
  if (!(value >= 0)) throw new Error(`${optimizer}: ${name} must be ≥ 0, got ${value}`);
  return value;
}

/** Options of {@link SGD}. */
export interface SgdOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum coefficient (0: plain SGD). */
  momentum?: number;
  /** L2 penalty added to the gradient. */
  weightDecay?: number;
  /** Use Nesterov momentum. */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum: v ← μ·v + g; p ← p − lr·v
 * (PyTorch's formulation; Nesterov uses g + μ·v as the step).
 */
export class SGD extends Optimizer {
  readonly #momentum: number;
  readonly #weightDecay: number;
  readonly #nesterov: boolean;
  readonly #velocity: (Float32Array | null)[];

  /** Optimises `params`. */
  constructor(params: readonly Tensor[], options: SgdOptions) {
    super(params, options.lr);
    this.#momentum = inUnitInterval("SGD", "momentum", options.momentum ?? 0);
    this.#weightDecay = nonNegative("SGD", "weightDecay", options.weightDecay ?? 0);
    this.#nesterov = options.nesterov ?? false;
    this.#velocity = params.map(() => null);
  }

  /** v ← μ·v + g (+ weight decay); p ← p − lr·v (or the Nesterov step). */
  protected update(value: Float32Array, grad: Float32Array, index: number): void {
    const mu = this.#momentum;
    const wd = this.#weightDecay;
    const lr = this.lr;
    if (mu === 0) {
      for (let i = 0; i < value.length; i++) value[i] -= lr * (grad[i] + wd * value[i]);
      return;
    }
    const v = this.#velocity[index] ??= new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const g = grad[i] + wd * value[i];
      v[i] = mu * v[i] + g;
      value[i] -= lr * (this.#nesterov ? g + mu * v[i] : v[i]);
    }
  }
}

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay of the first-moment estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment estimate (default 0.999). */
  beta2?: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Weight decay: an L2 term in the gradient for Adam, decoupled shrinkage for AdamW. */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba, 2015): per-parameter steps scaled by running estimates of the gradient's
 * mean (m) and uncentred variance (v), with bias correction for their zero start.
 */
export class Adam extends Optimizer {
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;
  readonly #weightDecay: number;
  readonly #decoupled: boolean;
  readonly #m: (Float32Array | null)[];
  readonly #v: (Float32Array | null)[];

  /** Optimises `params`. */
  constructor(params: readonly Tensor[], options: AdamOptions = {}, decoupled = false) {
    super(params, options.lr ?? 1e-3);
    const name = decoupled ? "AdamW" : "Adam";
    // beta = 1 would divide by a bias correction 1 − β^t = 0 (NaN); eps ≤ 0 can divide by zero.
    this.#beta1 = inUnitInterval(name, "beta1", options.beta1 ?? 0.9);
    this.#beta2 = inUnitInterval(name, "beta2", options.beta2 ?? 0.999);
    this.#eps = options.eps ?? 1e-8;
    if (!(this.#eps > 0)) throw new Error(`${name}: eps must be > 0, got ${this.#eps}`);
    this.#weightDecay = nonNegative(name, "weightDecay", options.weightDecay ?? 0);
    this.#decoupled = decoupled;
    this.#m = params.map(() => null);
    this.#v = params.map(() => null);
  }

  /** Updates the moment estimates, then steps by lr·m̂/(√v̂ + ε) (and decays the weights). */
  protected update(value: Float32Array, grad: Float32Array, index: number): void {
    const b1 = this.#beta1;
    const b2 = this.#beta2;
    const m = this.#m[index] ??= new Float32Array(value.length);
    const v = this.#v[index] ??= new Float32Array(value.length);
    const correction1 = 1 - Math.pow(b1, this.stepCount);
    const correction2 = 1 - Math.pow(b2, this.stepCount);
    const stepSize = this.lr / correction1;
    const wd = this.#weightDecay;
    const l2 = this.#decoupled ? 0 : wd;
    const shrink = this.#decoupled ? 1 - this.lr * wd : 1;
    for (let i = 0; i < value.length; i++) {
      const g = grad[i] + l2 * value[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      value[i] = value[i] * shrink - stepSize * m[i] / (Math.sqrt(v[i] / correction2) + this.#eps);
    }
  }
}

/**
 * AdamW (Loshchilov & Hutter, 2019): Adam whose weight decay shrinks the weights directly
 * (p ← p·(1 − lr·λ)) instead of adding λ·p to the gradient, where Adam's scaling would weaken it.
 */
export class AdamW extends Adam {
  /** Optimises `params`; `weightDecay` defaults to 0.01. */
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...options }, true);
  }
}
