import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { loadInceptionV3, pooledOutputs } from "../../lib/models/inception.ts";
await useWasm();
console.log(tf.getBackend());
for (const size of Deno.args.map(Number)) {
  const t0 = performance.now();
  const net = await loadInceptionV3({ inputSize: size });
  console.log(
    `load ${size}: ${((performance.now() - t0) / 1000).toFixed(1)} s, params ${net.countParams()}`,
  );
  for (const names of [["mixed5", "mixed7", "mixed9", "mixed10"], ["mixed7"]]) {
    const m = pooledOutputs(net, names);
    const x = tf.randomUniform([8, size, size, 3]);
    (m.predict(x.slice(0, 1)) as tf.Tensor).dispose();
    const t = performance.now();
    const y = m.predict(x) as tf.Tensor;
    await y.data();
    console.log(
      size,
      names.join("+"),
      y.shape,
      `${((performance.now() - t) / 8).toFixed(0)} ms/image`,
    );
    tf.dispose([x, y]);
  }
}
