/**
 * Bad input never gives a silently wrong number: each case is a clear error naming the op (or
 * file and tensor) and the shapes, or the IEEE result PyTorch and tfjs give. Also the rule for
 * calling `backward()` on a graph whose parameters changed in place.
 */
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { crossEntropy, focalLoss, labelSmoothingCrossEntropy, mseLoss } from "./losses.ts";
import { Linear } from "./nn.ts";
import { Adam, AdamW, SGD } from "./optim.ts";
import { Rng } from "./random.ts";
import { decodeSafetensors, encodeSafetensors } from "./serialize.ts";
import { tensor } from "./tensor.ts";

Deno.test("the issue's repro: add of equal shapes no longer shares one gradient buffer", () => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
  const y = tensor([1, 1, 1], undefined, { requiresGrad: true });
  const c = x.add(y);
  y.add(x).add(c.mul(c)).sum().backward();
  // d/dx [(y + x) + (x + y)²] = 1 + 2(x + y); the same for y. tf.grads agrees.
  assertEquals(Array.from(x.grad!), [5, 7, 9]);
  assertEquals(Array.from(y.grad!), [5, 7, 9]);
});

Deno.test("broadcastTo refuses a smaller target shape", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  assertThrows(() => x.broadcastTo([3]), Error, "broadcastTo: cannot broadcast shape [2,3]");
  assertThrows(() => x.broadcastTo([1, 3]), Error, "to the smaller [1,3]");
  assertThrows(() => x.broadcastTo([4, 3]), Error, "broadcastTo: shapes [2,3] and [4,3]");
  assertEquals(x.broadcastTo([2, 2, 3]).shape, [2, 2, 3]);
});

Deno.test("softmax, logSoftmax and argmax of a scalar are errors, not [0]", () => {
  const s = tensor(3);
  assertThrows(() => s.softmax(), Error, "softmax: works along the last axis");
  assertThrows(() => s.logSoftmax(), Error, "logSoftmax: works along the last axis");
  assertThrows(() => s.argmax(), Error, "shape [] has none (a scalar)");
  assertEquals(tensor([7]).softmax().toArray(), [1]);
});

Deno.test("mseLoss needs equal shapes, not just equal sizes", () => {
  assertThrows(
    () => mseLoss(tensor([[1], [2]]), tensor([[1, 2]])),
    Error,
    "mseLoss: prediction [2,1] and target [1,2] must have the same shape",
  );
  assertThrows(
    () => mseLoss(tensor([[1, 2, 3], [4, 5, 6]]), tensor([[1, 2], [3, 4], [5, 6]])),
    Error,
    "prediction [2,3] and target [3,2]",
  );
  assertEquals(mseLoss(tensor([1, 2]), tensor([1, 4])).item(), 2);
});

Deno.test("relu keeps NaN (IEEE, as PyTorch and tfjs) instead of turning it into 0", () => {
  const y = tensor([1, 2, 3]);
  y.data[1] = NaN;
  const out = y.relu().toArray();
  assertEquals(out[0], 1);
  assert(Number.isNaN(out[1]), `relu(NaN) = ${out[1]}`);
  assertEquals(tensor([-1, 0]).relu().toArray(), [0, 0]);
  const infinite = tensor([0, 0]);
  infinite.data.set([-Infinity, Infinity]);
  assertEquals(infinite.relu().toArray(), [0, Infinity]);
  assert(Object.is(tensor([-0]).relu().data[0], 0), "relu(-0) is +0");
});

Deno.test("optimizers reject hyper-parameters that would give NaN", () => {
  const params = new Linear(2, 2, new Rng(1)).parameters();
  assertThrows(() => new Adam(params, { beta1: 1 }), Error, "Adam: beta1 must be in [0, 1), got 1");
  assertThrows(() => new Adam(params, { beta2: 1.5 }), Error, "Adam: beta2 must be in [0, 1)");
  assertThrows(() => new Adam(params, { beta1: -0.1 }), Error, "beta1 must be in [0, 1)");
  assertThrows(() => new Adam(params, { eps: 0 }), Error, "Adam: eps must be > 0, got 0");
  assertThrows(() => new AdamW(params, { eps: -1e-8 }), Error, "AdamW: eps must be > 0");
  assertThrows(() => new AdamW(params, { weightDecay: -1 }), Error, "AdamW: weightDecay");
  assertThrows(() => new Adam(params, { lr: NaN }), Error, "learning rate must be positive");
  assertThrows(() => new SGD(params, { lr: 0.1, momentum: 1 }), Error, "SGD: momentum");
  new Adam(params, { beta1: 0, beta2: 0.99, eps: 1e-7 }); // edge values that are fine
});

Deno.test("cross-entropy losses name themselves and the labels when a label is out of range", () => {
  const logits = tensor([[1, 2, 3], [3, 4, 5]]);
  for (
    const [name, loss] of [
      ["crossEntropy", crossEntropy],
      ["labelSmoothingCrossEntropy", labelSmoothingCrossEntropy],
      ["focalLoss", focalLoss],
    ] as const
  ) {
    assertThrows(
      () => loss(logits, [0, 5]),
      Error,
      `${name}: label 5 of example 1 is not a class index: labels must be integers 0…2 ` +
        "for logits of shape [2,3]",
    );
    assertThrows(() => loss(logits, [0.5, 1]), Error, `${name}: label 0.5 of example 0`);
    assertThrows(() => loss(logits, [-1, 1]), Error, `${name}: label -1 of example 0`);
  }
});

/** A safetensors file with a hand-written header (and `dataBytes` zero bytes of data). */
function fileWithHeader(header: unknown, dataBytes = 8): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

Deno.test("safetensors: bad data_offsets and headers are errors naming file and tensor", () => {
  const entry = (offsets: unknown) => ({ w: { dtype: "F32", shape: [2], data_offsets: offsets } });
  // A negative start would read bytes of the JSON header as weights.
  assertThrows(
    () => decodeSafetensors(fileWithHeader(entry([-8, 0])), "m.safetensors"),
    Error,
    "m.safetensors: tensor 'w': data_offsets [-8, 0] are outside the 8 data bytes",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader(entry([8, 16])), "m.safetensors"),
    Error,
    "m.safetensors: tensor 'w': data_offsets [8, 16] are outside the 8 data bytes (truncated",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader(entry([4, 0])), "m.safetensors"),
    Error,
    "data_offsets [4, 0] are outside",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader({ w: { dtype: "F32", shape: [2] } }), "m.safetensors"),
    Error,
    "m.safetensors: tensor 'w': data_offsets must be [start, end] byte offsets, got undefined",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader(entry([0, "8"])), "m.safetensors"),
    Error,
    "tensor 'w': data_offsets must be [start, end]",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader(null), "m.safetensors"),
    Error,
    "m.safetensors: header must be a JSON object of tensors, got null",
  );
  assertThrows(
    () => decodeSafetensors(fileWithHeader({ w: null }), "m.safetensors"),
    Error,
    "m.safetensors: tensor 'w': header entry must be an object, got null",
  );
  assertThrows(
    () =>
      decodeSafetensors(
        fileWithHeader({ w: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }),
        "m.safetensors",
      ),
    Error,
    "tensor 'w': shape must be a list of sizes",
  );
  // And a good file still round-trips.
  const bytes = encodeSafetensors(new Map([["w", { data: new Float32Array([1, 2]), shape: [2] }]]));
  assertEquals(Array.from(decodeSafetensors(bytes).get("w")!.data), [1, 2]);
});

Deno.test("backward after an in-place parameter update is an error (the graph is stale)", () => {
  const layer = new Linear(2, 1, new Rng(3));
  const optimizer = new SGD(layer.parameters(), { lr: 0.1 });
  const loss = layer.forward(tensor([[1, 2]])).sum();
  loss.backward();
  loss.backward(); // the same graph twice is fine: gradients add up again
  optimizer.step();
  assertThrows(() => loss.backward(), Error, "was changed in place after the forward pass");
  optimizer.zeroGrad();
  layer.forward(tensor([[1, 2]])).sum().backward(); // a fresh forward pass is fine
  assert(layer.parameters().every((p) => p.grad !== null));
});
