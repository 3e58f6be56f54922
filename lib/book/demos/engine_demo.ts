/// <reference lib="dom" />
/**
 * Browser entry of the site's engine demo: chapter 1's autograd engine (the same TypeScript,
 * bundled) trains a small MLP on a few hundred MNIST digits in the page and draws its loss curve.
 *
 * The page provides `<canvas id="engine-loss">`, `<button id="engine-train">`,
 * `<p id="engine-status">` and `data-digits` (URL of the digits file: a 4-byte little-endian
 * count, then `count * 784` pixel bytes, then `count` label bytes). `window.engineDemo` exposes
 * the state for tests.
 *
 * @module
 */
import { Linear, ReLU, Sequential } from "../../autograd/nn.ts";
import { Adam } from "../../autograd/optim.ts";
import { crossEntropy } from "../../autograd/losses.ts";
import { Rng } from "../../autograd/random.ts";
import { Tensor } from "../../autograd/tensor.ts";

/** What the demo exposes on `window.engineDemo`. */
interface EngineDemoState {
  /** Loss of every step so far. */
  losses: number[];
  /** Accuracy on the held-out digits after training. */
  heldOutAccuracy?: number;
  /** True once training finished. */
  done: boolean;
  /** An error message, if it failed. */
  error?: string;
}

const state: EngineDemoState = { losses: [], done: false };
(globalThis as unknown as { engineDemo: EngineDemoState }).engineDemo = state;

function draw(canvas: HTMLCanvasElement, losses: number[]): void {
  const g = canvas.getContext("2d")!;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#ccc";
  g.strokeRect(30.5, 0.5, w - 31, h - 21);
  if (losses.length < 2) return;
  const max = Math.max(...losses);
  g.fillStyle = "#555";
  g.font = "11px sans-serif";
  g.fillText(max.toFixed(2), 0, 10);
  g.fillText("0", 18, h - 22);
  g.fillText(`step ${losses.length}`, w - 60, h - 5);
  g.strokeStyle = "#0b5cad";
  g.beginPath();
  losses.forEach((l, i) => {
    const x = 31 + (i / (losses.length - 1)) * (w - 32);
    const y = (h - 21) * (1 - l / max);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

async function run(root: HTMLElement): Promise<void> {
  const canvas = root.querySelector<HTMLCanvasElement>("#engine-loss")!;
  const status = root.querySelector<HTMLElement>("#engine-status")!;
  const steps = Number(root.dataset.steps ?? 150);
  const bytes = new Uint8Array(await (await fetch(root.dataset.digits!)).arrayBuffer());
  const count = new DataView(bytes.buffer).getUint32(0, true);
  const pixels = bytes.subarray(4, 4 + count * 784);
  const labels = bytes.subarray(4 + count * 784, 4 + count * 785);
  const held = Math.floor(count / 5); // the last fifth is held out
  const trainCount = count - held;
  const rng = new Rng(7);
  const model = new Sequential(new Linear(784, 64, rng), new ReLU(), new Linear(64, 10, rng));
  const optimizer = new Adam(model.parameters(), { lr: 3e-3 });
  const batch = 32;
  state.losses = [];
  state.done = false;
  for (let step = 0; step < steps; step++) {
    const x = new Float32Array(batch * 784);
    const y = new Uint8Array(batch);
    for (let i = 0; i < batch; i++) {
      const k = Math.floor(rng.uniform(0, trainCount)) % trainCount;
      for (let j = 0; j < 784; j++) x[i * 784 + j] = pixels[k * 784 + j] / 255;
      y[i] = labels[k];
    }
    const loss = crossEntropy(model.forward(new Tensor(x, [batch, 784])), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    state.losses.push(loss.item());
    if (step % 5 === 4 || step === steps - 1) {
      draw(canvas, state.losses);
      status.textContent = `step ${step + 1}/${steps}: loss ${loss.item().toFixed(3)}`;
      await new Promise((r) => setTimeout(r, 0)); // let the page paint
    }
  }
  const x = new Float32Array(held * 784);
  for (let j = 0; j < held * 784; j++) x[j] = pixels[trainCount * 784 + j] / 255;
  const predicted = model.forward(new Tensor(x, [held, 784])).argmax();
  let right = 0;
  for (let i = 0; i < held; i++) if (predicted[i] === labels[trainCount + i]) right++;
  state.heldOutAccuracy = right / held;
  status.textContent += `; accuracy on ${held} held-out digits: ${
    (100 * state.heldOutAccuracy).toFixed(1)
  }%`;
  state.done = true;
}

const root = document.getElementById("engine-demo");
if (root) {
  const button = root.querySelector<HTMLButtonElement>("#engine-train")!;
  button.addEventListener("click", () => {
    button.disabled = true;
    run(root).catch((e) => {
      state.error = String(e);
      root.querySelector("#engine-status")!.textContent = `failed: ${e}`;
    }).finally(() => (button.disabled = false));
  });
}
