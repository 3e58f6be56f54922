/**
 * Generalized-mean (GeM) pooling with a learnable exponent `p` (Radenović, Tolias & Chum 2018):
 *
 * ```
 * y = ( mean over the window of max(x, eps)^p )^(1/p)
 * ```
 *
 * `p = 1` is average pooling and `p → ∞` tends to max pooling; the network learns where in between
 * to sit. Written twice, as the book's two styles would:
 *
 * - {@link gemPoolOps}: composed from tfjs ops, differentiated by tfjs's autodiff. The Keras-style
 *   layer {@link GemPooling2D} uses it by default; the layer is registered for serialization, so a
 *   saved model (and a browser, after the same registration) loads it back.
 * - {@link gemPool}: one op with a hand-written backward via `tf.customGrad` — the analogue of a
 *   PyTorch `autograd.Function`. The Lightning-style module builds its layers with
 *   `impl: "customGrad"`, which routes the layer through this op.
 *
 * Both pool non-overlapping `k × k` windows of an NHWC tensor (rows/columns that do not fill a
 * window are dropped, as "valid" max pooling does) or, with `poolSize: null`, the whole map
 * (global pooling, output `[B, C]`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Where GeM pools: non-overlapping `poolSize × poolSize` windows, or everything (`null`). */
export interface GemPoolOptions {
  /** Window side (stride equals it); `null` (default) pools the whole map to `[B, C]`. */
  poolSize?: number | null;
  /** Inputs are clamped to at least `eps` before the power (default 1e-6). */
  eps?: number;
}

/** Default clamp of {@link GemPoolOptions.eps}. */
export const GEM_EPS = 1e-6;

interface Geometry {
  /** Input cropped to whole windows, reshaped so windows are axes 2 and 4 (or the global view). */
  view: number[];
  /** Axes averaged over. */
  axes: number[];
  /** Output shape. */
  out: number[];
  /** The cropped input shape (equal to the input when no rows/columns are dropped). */
  cropped: number[];
  /** The pooled shape with singleton window axes, for broadcasting back over the view. */
  keep: number[];
  /** Elements per window. */
  n: number;
}

function geometry(shape: number[], poolSize: number | null): Geometry {
  if (shape.length !== 4) throw new Error(`GeM pooling expects NHWC input, got shape [${shape}]`);
  const [b, h, w, c] = shape;
  if (poolSize == null) {
    return {
      view: [b, h * w, c],
      axes: [1],
      out: [b, c],
      cropped: shape,
      keep: [b, 1, c],
      n: h * w,
    };
  }
  const k = poolSize;
  if (!Number.isInteger(k) || k < 1) throw new Error(`GeM poolSize must be >= 1, got ${k}`);
  const ho = Math.floor(h / k), wo = Math.floor(w / k);
  if (ho === 0 || wo === 0) throw new Error(`GeM window ${k} is larger than the ${h}x${w} input`);
  return {
    view: [b, ho, k, wo, k, c],
    axes: [2, 4],
    out: [b, ho, wo, c],
    cropped: [b, ho * k, wo * k, c],
    keep: [b, ho, 1, wo, 1, c],
    n: k * k,
  };
}

function crop(x: tf.Tensor, g: Geometry): tf.Tensor {
  const same = g.cropped.every((d, i) => d === x.shape[i]);
  return same ? x : tf.slice(x, [0, 0, 0, 0], g.cropped);
}

function scalarP(p: tf.Tensor): tf.Tensor {
  if (p.size !== 1) throw new Error(`GeM exponent p must hold one value, got shape [${p.shape}]`);
  return p.reshape([]);
}

/**
 * GeM pooling composed from tfjs ops (gradients by tfjs's autodiff).
 *
 * @param x NHWC input
 * @param p the exponent, a tensor with one element (a layer's weight)
 */
export function gemPoolOps(x: tf.Tensor, p: tf.Tensor, options: GemPoolOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const g = geometry(x.shape, options.poolSize ?? null);
    const pp = scalarP(p);
    const xc = tf.maximum(crop(x, g), options.eps ?? GEM_EPS).reshape(g.view);
    const m = tf.mean(tf.pow(xc, pp), g.axes);
    return tf.pow(m, tf.reciprocal(pp)).reshape(g.out);
  });
}

/**
 * GeM pooling as one op with a hand-written gradient (`tf.customGrad`). With `m` the window mean
 * of `xc^p` (`xc = max(x, eps)`) and `y = m^(1/p)`:
 *
 * ```
 * ∂y/∂x = (xc / y)^(p−1) / n        (0 where x < eps, as the clamp's gradient is)
 * ∂y/∂p = y · ( mean(xc^p · ln xc) / (p · m) − ln(m) / p² )
 * ```
 *
 * `(xc / y)^(p−1)` rather than `y^(1−p) · xc^(p−1)`: the ratio stays near 1, the two powers
 * overflow float32 when a window is all zeros and `p` is large.
 *
 * @param x NHWC input
 * @param p the exponent, a tensor with one element; its gradient has p's shape
 */
export function gemPool(x: tf.Tensor, p: tf.Tensor, options: GemPoolOptions = {}): tf.Tensor {
  const eps = options.eps ?? GEM_EPS;
  const g = geometry(x.shape, options.poolSize ?? null);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, pIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [value, m] = tf.tidy(() => {
      const pp = scalarP(pIn);
      const xc = tf.maximum(crop(xIn, g), eps).reshape(g.view);
      const mean = tf.mean(tf.pow(xc, pp), g.axes);
      return [tf.pow(mean, tf.reciprocal(pp)), mean];
    });
    save([xIn, pIn, value, m]);
    return {
      value: value.reshape(g.out),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ps, y, mean] = saved;
        const dyT = (Array.isArray(dy) ? dy[0] : dy).reshape(y.shape);
        const pp = scalarP(ps);
        const xcrop = crop(xs, g);
        const xc = tf.maximum(xcrop, eps).reshape(g.view);
        const yb = y.reshape(g.keep);
        // dx: broadcast the output gradient back over each window.
        const local = tf.div(tf.pow(tf.div(xc, yb), tf.sub(pp, 1)), g.n);
        const mask = tf.greaterEqual(xcrop, eps).cast("float32").reshape(g.view);
        let dx = tf.mul(tf.mul(dyT.reshape(g.keep), local), mask).reshape(g.cropped);
        if (g.cropped.some((d, i) => d !== xs.shape[i])) {
          dx = tf.pad(dx, xs.shape.map((d, i) => [0, d - g.cropped[i]] as [number, number]));
        }
        // dp: summed over every output element.
        const meanXpLog = tf.mean(tf.mul(tf.pow(xc, pp), tf.log(xc)), g.axes);
        const dydp = tf.mul(
          y,
          tf.sub(
            tf.div(meanXpLog, tf.mul(pp, mean)),
            tf.div(tf.log(mean), tf.square(pp)),
          ),
        );
        const dp = tf.sum(tf.mul(dyT, dydp)).reshape(ps.shape);
        return [dx, dp];
      },
    };
  });
  return op(x, p);
}

/** Which implementation a {@link GemPooling2D} layer runs. */
export type GemImpl = "ops" | "customGrad";

/** Constructor arguments of {@link GemPooling2D}. */
export interface GemPooling2DArgs extends GemPoolOptions {
  /** Initial exponent (default 3, as in Radenović et al.). */
  p?: number;
  /** Learn `p` (default true). */
  trainableP?: boolean;
  /** `"ops"` (default: tfjs autodiff) or `"customGrad"` (the hand-written backward). */
  impl?: GemImpl;
  /** Layer name. */
  name?: string;
  /** Input shape, when this is a model's first layer. */
  inputShape?: number[];
  /** Other base-layer settings (`trainable`, `batchInputShape`, `dtype`: what a saved config holds). */
  [base: string]: unknown;
}

/**
 * GeM pooling as a serializable tfjs Layers layer with one trainable weight `p` (shape `[1]`).
 * Registered with `tf.serialization.registerClass`, so `tf.loadLayersModel` rebuilds it.
 */
export class GemPooling2D extends tf.layers.Layer {
  /** Name under which the layer is serialized. */
  static className = "GemPooling2D";
  /** Window side, or `null` for global pooling. */
  readonly poolSize: number | null;
  /** Clamp before the power. */
  readonly eps: number;
  /** Initial exponent. */
  readonly initialP: number;
  /** Whether `p` is trained. */
  readonly trainableP: boolean;
  /** The implementation in use. */
  readonly impl: GemImpl;
  private pWeight: tf.LayerVariable | null = null;

  constructor(args: GemPooling2DArgs = {}) {
    const { poolSize: _k, eps: _e, p: _p, trainableP: _t, impl: _i, ...base } = args;
    super(base as ConstructorParameters<typeof tf.layers.Layer>[0]);
    this.poolSize = args.poolSize ?? null;
    this.eps = args.eps ?? GEM_EPS;
    this.initialP = args.p ?? 3;
    this.trainableP = args.trainableP ?? true;
    this.impl = args.impl ?? "ops";
    if (this.impl !== "ops" && this.impl !== "customGrad") {
      throw new Error(`GemPooling2D: impl must be "ops" or "customGrad", got ${this.impl}`);
    }
  }

  /** The exponent's variable (after the layer is built). */
  get p(): tf.LayerVariable {
    if (!this.pWeight) throw new Error("GemPooling2D: p exists once the layer is built");
    return this.pWeight;
  }

  override build(_inputShape: tf.Shape | tf.Shape[]): void {
    this.pWeight = this.addWeight(
      "p",
      [1],
      "float32",
      tf.initializers.constant({ value: this.initialP }),
      undefined,
      this.trainableP,
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.poolSize == null) return [s[0], s[3]];
    const k = this.poolSize;
    const down = (d: number | null) => (d == null ? null : Math.floor(d / k));
    return [s[0], down(s[1]), down(s[2]), s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const opts = { poolSize: this.poolSize, eps: this.eps };
    const p = this.p.read();
    return this.impl === "customGrad" ? gemPool(x, p, opts) : gemPoolOps(x, p, opts);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      poolSize: this.poolSize,
      eps: this.eps,
      p: this.initialP,
      trainableP: this.trainableP,
      impl: this.impl,
    };
  }
}
tf.serialization.registerClass(GemPooling2D);

/** Makes a {@link GemPooling2D} layer (the `tf.layers.*` factory style). */
export function gemPooling2d(args: GemPooling2DArgs = {}): GemPooling2D {
  return new GemPooling2D(args);
}
