import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import * as tf from "@tensorflow/tfjs";
import { gradcheck } from "./gradcheck.ts";
import { Rng } from "./random.ts";
import { noGrad, Tensor, tensor } from "./tensor.ts";
import { compareWithTf, randomTensor } from "./testing.ts";

Deno.test("worked example from the chapter: d = a + b, e = b + c, f = d * e", () => {
  const a = tensor([1, 2, 3, 4, 5], undefined, { requiresGrad: true });
  const b = tensor([2, 2, 2, 2, 2], undefined, { requiresGrad: true });
  const c = tensor([5, 4, 3, 2, 1], undefined, { requiresGrad: true });
  const d = a.add(b);
  const e = b.add(c);
  const f = d.mul(e);
  assertEquals(f.creationOp, "mul");
  assertEquals(f.creators, [d, e]);
  f.backward(new Float32Array([1, 1, 1, 1, 1]));
  // df/da = e; df/db = e + d (b reaches f along two paths); df/dc = d.
  assertEquals(Array.from(a.grad!), [7, 6, 5, 4, 3]);
  assertEquals(Array.from(b.grad!), [10, 10, 10, 10, 10]);
  assertEquals(Array.from(c.grad!), [3, 4, 5, 6, 7]);
});

Deno.test("gradient accumulates over every use of a tensor (y = x*x + x)", () => {
  const x = tensor([3], undefined, { requiresGrad: true });
  x.mul(x).add(x).sum().backward();
  assertEquals(x.grad![0], 7);
});

Deno.test("diamond graph: one tensor feeding two branches that meet again", () => {
  const x = tensor([2], undefined, { requiresGrad: true });
  const left = x.mul(3);
  const right = x.exp();
  const top = left.mul(right); // 3x·e^x, derivative 3e^x(1 + x)
  top.sum().backward();
  const expected = 3 * Math.exp(2) * 3;
  assert(Math.abs(x.grad![0] - expected) < 1e-3 * expected, `${x.grad![0]} vs ${expected}`);
});

Deno.test("repeated backward accumulates leaf gradients exactly once more", () => {
  const x = tensor([1, 2], undefined, { requiresGrad: true });
  const h = x.mul(x); // intermediate reused by two consumers
  const loss = h.add(h).sum(); // 2x², gradient 4x
  loss.backward();
  assertEquals(Array.from(x.grad!), [4, 8]);
  loss.backward();
  assertEquals(Array.from(x.grad!), [8, 16]);
  x.zeroGrad();
  assertEquals(x.grad, null);
});

Deno.test("deep graphs need no recursion (20,000 chained ops)", () => {
  const x = tensor([1], undefined, { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 20_000; i++) y = y.add(1);
  y.sum().backward();
  assertEquals(x.grad![0], 1);
});

Deno.test("noGrad records no graph", () => {
  const x = tensor([1, 2], undefined, { requiresGrad: true });
  const y = noGrad(() => x.mul(2));
  assertEquals(y.requiresGrad, false);
  assertEquals(y.creators.length, 0);
  assert(x.mul(2).requiresGrad);
});

// Each case: our op, the same op in tfjs, input shapes and value range.
type OpCase = {
  name: string;
  ours: (...x: Tensor[]) => Tensor;
  theirs: (...x: tf.Tensor[]) => tf.Tensor;
  shapes: number[][];
  low?: number;
  high?: number;
};

const GELU_C = Math.sqrt(2 / Math.PI);
const cases: OpCase[] = [
  { name: "add", ours: (a, b) => a.add(b), theirs: tf.add, shapes: [[2, 3], [2, 3]] },
  { name: "add broadcast row", ours: (a, b) => a.add(b), theirs: tf.add, shapes: [[4, 3], [3]] },
  {
    name: "add broadcast both",
    ours: (a, b) => a.add(b),
    theirs: tf.add,
    shapes: [[2, 1, 4], [3, 1]],
  },
  { name: "sub broadcast", ours: (a, b) => a.sub(b), theirs: tf.sub, shapes: [[3, 1], [1, 5]] },
  {
    name: "mul broadcast",
    ours: (a, b) => a.mul(b),
    theirs: tf.mul,
    shapes: [[2, 3, 4], [1, 3, 1]],
  },
  { name: "mul scalar tensor", ours: (a, b) => a.mul(b), theirs: tf.mul, shapes: [[3, 2], []] },
  {
    name: "div broadcast",
    ours: (a, b) => a.div(b),
    theirs: tf.div,
    shapes: [[2, 3], [3]],
    low: 0.5,
    high: 2,
  },
  { name: "neg", ours: (a) => a.neg(), theirs: tf.neg, shapes: [[5]] },
  {
    name: "pow",
    ours: (a) => a.pow(3),
    theirs: (a) => tf.pow(a, tf.scalar(3)),
    shapes: [[6]],
    low: 0.5,
    high: 2,
  },
  { name: "sqrt", ours: (a) => a.sqrt(), theirs: tf.sqrt, shapes: [[6]], low: 0.5, high: 3 },
  { name: "exp", ours: (a) => a.exp(), theirs: tf.exp, shapes: [[2, 3]] },
  { name: "log", ours: (a) => a.log(), theirs: tf.log, shapes: [[2, 3]], low: 0.5, high: 3 },
  { name: "relu", ours: (a) => a.relu(), theirs: tf.relu, shapes: [[3, 4]] },
  { name: "sigmoid", ours: (a) => a.sigmoid(), theirs: tf.sigmoid, shapes: [[3, 4]] },
  { name: "tanh", ours: (a) => a.tanh(), theirs: tf.tanh, shapes: [[3, 4]] },
  {
    name: "gelu",
    ours: (a) => a.gelu(),
    theirs: (x) =>
      tf.mul(
        tf.mul(x, 0.5),
        tf.add(1, tf.tanh(tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
      ),
    shapes: [[3, 4]],
    low: -3,
    high: 3,
  },
  {
    name: "matmul",
    ours: (a, b) => a.matmul(b),
    theirs: (a, b) => tf.matMul(a, b),
    shapes: [[5, 7], [7, 3]],
  },
  {
    name: "transpose 2-D",
    ours: (a) => a.transpose(),
    theirs: (a) => tf.transpose(a),
    shapes: [[3, 5]],
  },
  {
    name: "transpose 3-D",
    ours: (a) => a.transpose([2, 0, 1]),
    theirs: (a) => tf.transpose(a, [2, 0, 1]),
    shapes: [[2, 3, 4]],
  },
  {
    name: "reshape",
    ours: (a) => a.reshape([3, -1]),
    theirs: (a) => tf.reshape(a, [3, -1]),
    shapes: [[2, 6]],
  },
  { name: "sum all", ours: (a) => a.sum(), theirs: (a) => tf.sum(a), shapes: [[3, 4]] },
  { name: "sum axis 0", ours: (a) => a.sum(0), theirs: (a) => tf.sum(a, 0), shapes: [[3, 4]] },
  {
    name: "sum axes keepDims",
    ours: (a) => a.sum([0, 2], true),
    theirs: (a) => tf.sum(a, [0, 2], true),
    shapes: [[2, 3, 4]],
  },
  {
    name: "mean axis -1",
    ours: (a) => a.mean(-1),
    theirs: (a) => tf.mean(a, -1),
    shapes: [[3, 4]],
  },
  {
    name: "broadcastTo",
    ours: (a) => a.broadcastTo([2, 3, 4]),
    theirs: (a) => tf.broadcastTo(a, [2, 3, 4]),
    shapes: [[3, 1]],
  },
  {
    name: "softmax",
    ours: (a) => a.softmax(),
    theirs: (a) => tf.softmax(a),
    shapes: [[3, 5]],
    low: -4,
    high: 4,
  },
  {
    name: "logSoftmax",
    ours: (a) => a.logSoftmax(),
    theirs: (a) => tf.logSoftmax(a),
    shapes: [[3, 5]],
    low: -4,
    high: 4,
  },
  {
    name: "indexSelect with repeats",
    ours: (a) => a.indexSelect([2, 0, 2, 1]),
    theirs: (a) => tf.gather(a, tf.tensor1d([2, 0, 2, 1], "int32")),
    shapes: [[3, 4]],
  },
  {
    name: "pick",
    ours: (a) => a.pick([1, 0, 3]),
    theirs: (a) => tf.sum(tf.mul(a, tf.oneHot(tf.tensor1d([1, 0, 3], "int32"), 4)), 1),
    shapes: [[3, 4]],
  },
];

for (const c of cases) {
  Deno.test(`gradient of ${c.name}: finite differences and tf.grads agree`, async () => {
    const rng = new Rng(11);
    const inputs = c.shapes.map((s) => randomTensor(s, rng, c.low, c.high));
    // Keep ReLU inputs away from the kink, where finite differences are meaningless.
    if (c.name === "relu") {
      inputs[0].data.forEach((v, i, d) => (d[i] = Math.abs(v) < 0.05 ? 0.5 : v));
    }
    const numeric = gradcheck(c.ours, inputs);
    assert(numeric.maxError < 2e-2, `${c.name}: finite differences ${JSON.stringify(numeric)}`);
    const reference = await compareWithTf(c.ours, c.theirs, inputs);
    assert(reference.output < 1e-5, `${c.name}: output differs from tfjs by ${reference.output}`);
    for (const g of reference.grads) {
      assert(g < 1e-4, `${c.name}: gradient differs from tf.grads by ${g}`);
    }
  });
}

Deno.test("bad input raises errors naming the op and the shapes", () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assertThrows(
    () => a.add(tensor([1, 2, 3, 4])),
    Error,
    "add: shapes [2,3] and [4] cannot be broadcast",
  );
  assertThrows(
    () => a.matmul(tensor([[1, 2]])),
    Error,
    "matmul: shapes [2,3] and [1,2] are incompatible",
  );
  assertThrows(() => tensor(new Int32Array([1, 2])), Error, "got Int32Array");
  assertThrows(() => tensor(new Float64Array([1, 2])), Error, "got Float64Array");
  assertThrows(
    () => tensor([1, NaN, 3]),
    Error,
    "tensor: value at flat index 1 of shape [3] is NaN",
  );
  assertThrows(() => tensor([[1, 2], [3]]), Error, "ragged");
  assertThrows(() => a.reshape([4, 2]), Error, "reshape: cannot reshape [2,3] to [4,2]");
  assertThrows(() => a.sum(2), Error, "sum: axis 2 is out of range for rank 2");
  assertThrows(() => a.pick([0, 5]), Error, "pick: index 5 at row 1");
  assertThrows(
    () => new Tensor(new Float32Array(3), [2, 2]),
    Error,
    "shape [2,2] needs 4 values, got 3",
  );
  const x = tensor([1, 2], undefined, { requiresGrad: true });
  assertThrows(() => x.mul(2).backward(), Error, "backward: output has shape [2]");
  assertThrows(() => tensor([1]).backward(), Error, "does not require grad");
});

Deno.test("broadcast edge cases: scalars, size-1 and size-0 dimensions", () => {
  const s = tensor(2);
  assertEquals(s.shape, []);
  assertEquals(s.add(tensor([[1], [2]])).shape, [2, 1]);
  assertEquals(tensor([[1, 2, 3]]).add(tensor([[1], [2]])).toArray(), [2, 3, 4, 3, 4, 5]);
  const empty = new Tensor(new Float32Array(0), [0, 3]);
  assertEquals(empty.add(tensor([1, 2, 3])).shape, [0, 3]);
  assertEquals(empty.sum(0).toArray(), [0, 0, 0]);
});
