/**
 * Randomized gradient test: many seeded random computation graphs (shared sub-expressions, reuse,
 * broadcasting, every differentiable `Tensor` op) whose gradients must equal TensorFlow.js's
 * `tf.grads` on its cpu backend. Hand-written cases test the formulas; this test hunts for bugs in
 * how `backward()` routes and accumulates gradients between them, which only show in graphs
 * nobody thought to write (it found the shared-buffer bug of issue 9: `add` handed one array to
 * both creators and a later in-place accumulation changed both).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { assert } from "../testing/asserts.ts";
import { Rng } from "./random.ts";
import { Tensor } from "./tensor.ts";

/** One recorded instruction: an op, the indices of its inputs among earlier nodes, a parameter. */
interface Step {
  op: string;
  args: number[];
  param?: number[];
}

type Ops<T> = {
  unary: (op: string, x: T, param?: number[]) => T;
  binary: (op: string, a: T, b: T) => T;
};

const GELU_C = Math.sqrt(2 / Math.PI);

const ours: Ops<Tensor> = {
  unary(op, x, param) {
    switch (op) {
      case "neg":
        return x.neg();
      case "tanh":
        return x.tanh();
      case "sigmoid":
        return x.sigmoid();
      case "relu":
        return x.relu();
      case "gelu":
        return x.gelu();
      case "exp":
        return x.exp();
      case "log":
        return x.log();
      case "sqrt":
        return x.sqrt();
      case "square":
        return x.pow(2);
      case "scale":
        return x.mul(param![0]);
      case "sumKeep":
        return x.sum(param![0], true);
      case "sumAxis":
        return x.sum(param![0]);
      case "mean":
        return x.mean();
      case "softmax":
        return x.softmax();
      case "logSoftmax":
        return x.logSoftmax();
      case "transpose":
        return x.transpose();
      case "reshape":
        return x.reshape(param!);
      case "broadcastTo":
        return x.broadcastTo(param!);
    }
    throw new Error(`unknown op ${op}`);
  },
  binary(op, a, b) {
    switch (op) {
      case "add":
        return a.add(b);
      case "sub":
        return a.sub(b);
      case "mul":
        return a.mul(b);
      case "div":
        return a.div(b);
      case "matmul":
        return a.matmul(b);
    }
    throw new Error(`unknown op ${op}`);
  },
};

const theirs: Ops<tf.Tensor> = {
  unary(op, x, param) {
    switch (op) {
      case "neg":
        return tf.neg(x);
      case "tanh":
        return tf.tanh(x);
      case "sigmoid":
        return tf.sigmoid(x);
      case "relu":
        return tf.relu(x);
      case "gelu": {
        const inner = tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      }
      case "exp":
        return tf.exp(x);
      case "log":
        return tf.log(x);
      case "sqrt":
        return tf.sqrt(x);
      case "square":
        return tf.mul(x, x);
      case "scale":
        return tf.mul(x, param![0]);
      case "sumKeep":
        return tf.sum(x, param![0], true);
      case "sumAxis":
        return tf.sum(x, param![0]);
      case "mean":
        return tf.mean(x);
      case "softmax":
        return tf.softmax(x);
      case "logSoftmax":
        return tf.logSoftmax(x);
      case "transpose":
        return tf.transpose(x);
      case "reshape":
        return tf.reshape(x, param!);
      case "broadcastTo":
        return tf.broadcastTo(x, param!);
    }
    throw new Error(`unknown op ${op}`);
  },
  binary(op, a, b) {
    switch (op) {
      case "add":
        return tf.add(a, b);
      case "sub":
        return tf.sub(a, b);
      case "mul":
        return tf.mul(a, b);
      case "div":
        return tf.div(a, b);
      case "matmul":
        return tf.matMul(a, b);
    }
    throw new Error(`unknown op ${op}`);
  },
};

const LEAF_SHAPES = [[2, 3], [3], [2, 1], [1, 3], [], [3, 2]];

function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  const rank = Math.max(a.length, b.length);
  for (let i = 1; i <= rank; i++) {
    const da = a[a.length - i] ?? 1;
    const db = b[b.length - i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return false;
  }
  return true;
}

function extremes(t: Tensor): { min: number; maxAbs: number } {
  let min = Infinity;
  let maxAbs = 0;
  for (const v of t.data) {
    min = Math.min(min, v);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  return { min, maxAbs };
}

/**
 * Draws a random program over `leafCount` leaves, evaluating it with our engine as it goes so
 * that each choice can look at shapes and values (log and sqrt only of positive nodes, division
 * only by values away from zero, exp only of moderate ones).
 */
function randomProgram(
  rng: Rng,
  leaves: Tensor[],
  opCount: number,
): { steps: Step[]; shapes: (readonly number[])[] } {
  const nodes: Tensor[] = [...leaves];
  const steps: Step[] = [];
  const pick = () => rng.int(nodes.length);
  const unaryOps = [
    "neg",
    "tanh",
    "sigmoid",
    "relu",
    "gelu",
    "exp",
    "log",
    "sqrt",
    "square",
    "scale",
    "sumKeep",
    "sumAxis",
    "mean",
    "softmax",
    "logSoftmax",
    "transpose",
    "reshape",
    "broadcastTo",
  ];
  const binaryOps = ["add", "add", "sub", "mul", "mul", "div", "matmul"];
  let attempts = 0;
  while (steps.length < opCount && attempts++ < 10_000) {
    let step: Step | null = null;
    if (rng.next() < 0.55) {
      const op = binaryOps[rng.int(binaryOps.length)];
      const i = pick();
      const j = rng.next() < 0.2 ? i : pick(); // x op x: the same tensor twice
      const a = nodes[i].shape;
      const b = nodes[j].shape;
      if (op === "matmul") {
        if (a.length === 2 && b.length === 2 && a[1] === b[0]) step = { op, args: [i, j] };
      } else if (broadcastable(a, b)) {
        if (op === "div") {
          const d = extremes(nodes[j]);
          if (d.min > 0.2 && d.maxAbs < 20) step = { op, args: [i, j] };
        } else if (extremes(nodes[i]).maxAbs < 20 && extremes(nodes[j]).maxAbs < 20) {
          step = { op, args: [i, j] };
        }
      }
    } else {
      const op = unaryOps[rng.int(unaryOps.length)];
      const i = pick();
      const x = nodes[i];
      const { min, maxAbs } = extremes(x);
      switch (op) {
        case "log":
        case "sqrt":
          if (min > 0.1) step = { op, args: [i] };
          break;
        case "exp":
        case "square":
          if (maxAbs < 3) step = { op, args: [i] };
          break;
        case "scale":
          step = { op, args: [i], param: [Math.round(rng.uniform(-2, 2) * 100) / 100] };
          break;
        case "sumKeep":
        case "sumAxis":
          if (x.rank > 0) step = { op, args: [i], param: [rng.int(x.rank)] };
          break;
        case "softmax":
        case "logSoftmax":
          if (x.rank > 0) step = { op, args: [i] };
          break;
        case "transpose":
          if (x.rank === 2) step = { op, args: [i] };
          break;
        case "reshape":
          if (x.size === 6) {
            const shapes = [[6], [3, 2], [2, 3], [1, 6]];
            step = { op, args: [i], param: shapes[rng.int(shapes.length)] };
          }
          break;
        case "broadcastTo": {
          const targets = [[2, 3], [4, 2, 3], [3, 2]].filter((t) =>
            broadcastable(x.shape, t) && t.length >= x.rank &&
            t.slice(t.length - x.rank).every((d, k) => x.shape[k] === d || x.shape[k] === 1)
          );
          if (targets.length > 0) {
            step = { op, args: [i], param: targets[rng.int(targets.length)] };
          }
          break;
        }
        default:
          step = { op, args: [i] };
      }
    }
    if (step === null) continue;
    const args = step.args.map((k) => nodes[k]);
    nodes.push(
      args.length === 1
        ? ours.unary(step.op, args[0], step.param)
        : ours.binary(step.op, args[0], args[1]),
    );
    steps.push(step);
  }
  return { steps, shapes: nodes.map((n) => n.shape) };
}

/** Runs `steps` with `ops`; the loss is Σ over every node of Σ node ⊙ weight (all reused). */
function runProgram<T>(
  ops: Ops<T> & { weighted: (x: T, w: Float32Array) => T; plus: (a: T, b: T) => T },
  leaves: T[],
  steps: Step[],
  weights: Float32Array[],
): T {
  const nodes = [...leaves];
  for (const step of steps) {
    const args = step.args.map((k) => nodes[k]);
    nodes.push(
      args.length === 1
        ? ops.unary(step.op, args[0], step.param)
        : ops.binary(step.op, args[0], args[1]),
    );
  }
  // Every node feeds the loss as well as its consumers, so intermediate gradients accumulate
  // from several paths (the case that exposes shared gradient buffers).
  let loss = ops.weighted(nodes[0], weights[0]);
  for (let k = 1; k < nodes.length; k++) loss = ops.plus(loss, ops.weighted(nodes[k], weights[k]));
  return loss;
}

Deno.test("random graphs: gradients equal tf.grads (300 seeded DAGs of every op)", async () => {
  if (tf.getBackend() !== "cpu") assert(await tf.setBackend("cpu"), "tfjs cpu backend");
  const failures: string[] = [];
  let opsCovered = new Set<string>();
  for (let seed = 1; seed <= 300; seed++) {
    const rng = new Rng(seed);
    const leafCount = 2 + rng.int(3);
    const leaves = Array.from({ length: leafCount }, () => {
      const shape = LEAF_SHAPES[rng.int(LEAF_SHAPES.length)];
      const size = shape.reduce((p, d) => p * d, 1);
      return new Tensor(rng.uniformArray(size, -1.5, 1.5), shape, { requiresGrad: true });
    });
    const { steps, shapes } = randomProgram(rng, leaves, 6 + rng.int(10));
    steps.forEach((s) => opsCovered.add(s.op));
    const weights = shapes.map((s) => rng.uniformArray(s.reduce((p, d) => p * d, 1), -1, 1));

    for (const leaf of leaves) leaf.zeroGrad();
    const loss = runProgram(
      {
        ...ours,
        weighted: (x, w) => x.mul(new Tensor(w, x.shape)).sum(),
        plus: (a, b) => a.add(b),
      },
      leaves,
      steps,
      weights,
    );
    loss.backward();

    const expected = tf.tidy(() => {
      const tfLeaves = leaves.map((l) => tf.tensor(l.data, [...l.shape]));
      const f = (...xs: tf.Tensor[]) =>
        runProgram(
          {
            ...theirs,
            weighted: (x, w) => tf.sum(tf.mul(x, tf.tensor(w, x.shape))),
            plus: (a, b) => tf.add(a, b),
          },
          xs,
          steps,
          weights,
        ) as tf.Scalar;
      return tf.grads(f)(tfLeaves).map((g) => g.dataSync() as Float32Array);
    });

    leaves.forEach((leaf, k) => {
      const got = leaf.grad ?? new Float32Array(leaf.size);
      const want = expected[k];
      let scale = 1;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < want.length; i++) {
        // float32 on both sides through up to ~15 ops: relative to the gradient's magnitude.
        if (!(Math.abs(got[i] - want[i]) <= 2e-4 * scale)) {
          failures.push(
            `seed ${seed}, leaf ${k} ${JSON.stringify(leaf.shape)}, element ${i}: ` +
              `ours ${got[i]} vs tf.grads ${want[i]}; program ${
                steps.map((s) => `${s.op}(${s.args}${s.param ? `;${s.param}` : ""})`).join(" ")
              }`,
          );
          break;
        }
      }
    });
  }
  opsCovered = new Set([...opsCovered].sort());
  assert(opsCovered.size >= 22, `ops covered: ${[...opsCovered]}`);
  assert(failures.length === 0, `${failures.length} gradient mismatches:\n${failures.join("\n")}`);
});
