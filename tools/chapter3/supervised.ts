// Targeted measurement of chapter 3 part 1 (same library calls and settings as the notebook cells):
// `supervised.ts K [finetuneEpochs]` — the probe on freshly pooled features, then the fine-tune.
import { linearHead } from "../../lib/transfer/mod.ts";
import { part1 } from "./part1.ts";

const K = Deno.args[0] ?? "5";
const finetuneEpochs = Number(Deno.args[1] ?? 3);
const p1 = await part1(K);
const maps = await p1.mapsAtCut();
const t0 = performance.now();
const p = { train: p1.pooled(maps.train), val: p1.pooled(maps.val), test: p1.pooled(maps.test) };
console.log("pooled", ((performance.now() - t0) / 1000).toFixed(0), "s");
const head = linearHead({
  inputDim: 512,
  numClasses: p1.d.classes.length,
  seed: 1,
  name: "head_lightning",
});
await p1.probe(head, p);
if (finetuneEpochs > 0) await p1.fineTune(head, maps, finetuneEpochs);
