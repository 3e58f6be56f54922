/**
 * What a Layers model costs: parameters and multiply-adds per layer and per block, read from the
 * model's own graph (layer configs and output shapes), for one image.
 *
 * Multiply-adds count the products of the convolutions and dense layers (the convention of the
 * papers and of torchvision's "GFLOPS" column); batch norm, activations, pooling, additions and
 * concatenations are left out — they are a few percent of the work.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** One layer's figures. */
export interface LayerCost {
  /** Layer name. */
  name: string;
  /** The block it belongs to ({@link blockOf}). */
  block: string;
  /** Layer class, e.g. `SeparableConv2D`. */
  className: string;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /** Weights, trainable or not (batch norm's moving statistics included, as Keras counts). */
  params: number;
  /** Multiply-adds for one image. */
  multAdds: number;
}

/** One block's figures (its layers summed). */
export interface BlockCost {
  /** Block name. */
  block: string;
  /** Its layers, in the model's order. */
  layers: string[];
  /** Output shape of its last layer. */
  outputShape: number[];
  params: number;
  multAdds: number;
}

/**
 * The block of a layer, from the naming used by `lib/models`: the prefix `blockN`, `fireN` or
 * `convN` before the first `_` (Keras' and the SqueezeNet paper's names); any other layer is a
 * block of its own.
 */
export function blockOf(layerName: string): string {
  const m = /^(block\d+|fire\d+|conv\d+)(_|$)/.exec(layerName);
  return m ? m[1] : layerName;
}

function shapeOf(s: tf.Shape | tf.Shape[]): number[] {
  const one = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
  return one.slice(1).map((d) => d ?? 0);
}

const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const kernelArea = (k: number | number[]) => Array.isArray(k) ? k[0] * (k[1] ?? k[0]) : k * k;

/** Multiply-adds of one layer for one image. */
export function layerMultAdds(layer: tf.layers.Layer): number {
  const cls = layer.getClassName();
  const out = shapeOf(layer.outputShape);
  const input = layer.input;
  const inShape = shapeOf((Array.isArray(input) ? input[0] : input).shape);
  const cfg = layer.getConfig() as Record<string, unknown>;
  const cin = inShape.at(-1) ?? 0;
  const pixels = out.length === 3 ? out[0] * out[1] : 1;
  const area = () => kernelArea(cfg.kernelSize as number | number[]);
  switch (cls) {
    case "Conv2D":
      return pixels * out[2] * area() * cin;
    case "DepthwiseConv2D":
      return pixels * out[2] * area();
    case "SeparableConv2D": {
      const mid = cin * ((cfg.depthMultiplier as number) ?? 1);
      return pixels * mid * area() + pixels * mid * out[2];
    }
    case "Dense":
      return product(out.slice(0, -1)) * cin * out[out.length - 1];
    default:
      return 0;
  }
}

/** Per-layer parameters and multiply-adds, in the model's layer order (the input is skipped). */
export function layerCosts(model: tf.LayersModel): LayerCost[] {
  return model.layers.filter((l) => l.getClassName() !== "InputLayer").map((l) => ({
    name: l.name,
    block: blockOf(l.name),
    className: l.getClassName(),
    outputShape: shapeOf(l.outputShape),
    params: l.countParams(),
    multAdds: layerMultAdds(l),
  }));
}

/** {@link layerCosts} summed per block, blocks in order of first appearance. */
export function blockCosts(model: tf.LayersModel): BlockCost[] {
  const blocks = new Map<string, BlockCost>();
  for (const c of layerCosts(model)) {
    const b = blocks.get(c.block) ??
      { block: c.block, layers: [], outputShape: c.outputShape, params: 0, multAdds: 0 };
    b.layers.push(c.name);
    b.outputShape = c.outputShape;
    b.params += c.params;
    b.multAdds += c.multAdds;
    blocks.set(c.block, b);
  }
  return [...blocks.values()];
}

/** Total multiply-adds of a model for one image. */
export function countMultAdds(model: tf.LayersModel): number {
  return layerCosts(model).reduce((s, c) => s + c.multAdds, 0);
}
