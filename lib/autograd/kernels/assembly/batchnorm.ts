// AssemblyScript source of the WebAssembly SIMD fast path of batch normalisation (../batchnorm.ts
// teaches the same three loops in TypeScript and calls these through ../conv_wasm.ts; built into
// the same module as gemm.ts by `deno task build:wasm`).
//
// x, g, out and dx are NCHW float32 arrays ([n, c, spatial], spatial = h·w, or 1 for [n, c]);
// mean, variance, invStd, gamma, beta, dGamma and dBeta hold c floats. All are byte addresses in
// the module's memory. Each (image, channel) plane is summed four lanes at a time in float32 and
// the planes are added in float64, so sums differ from the TypeScript kernel's float64 sums only
// in float32 rounding. Every function works on the channels [c0, c1) (threads split the channels;
// each channel's result is the same whichever thread computes it).

// Sum of the four lanes, in float64.
// @ts-ignore: decorator
@inline
function lanes(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
    (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

/** Per-channel mean and biased variance (two passes: the mean, then squared deviations). */
export function batchNormStatistics(x: usize, n: i32, c: i32, spatial: i32, mean: usize, variance: usize, c0: i32, c1: i32): void {
  const count = <f64>n * <f64>spatial;
  const vec = spatial & ~3;
  for (let ch = c0; ch < c1; ch++) {
    let sum: f64 = 0;
    for (let b = 0; b < n; b++) {
      const base = x + ((<usize>(b * c + ch) * spatial) << 2);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i < vec; i += 4) acc = f32x4.add(acc, v128.load(base + (<usize>i << 2)));
      sum += lanes(acc);
      for (; i < spatial; i++) sum += <f64>load<f32>(base + (<usize>i << 2));
    }
    const mu = sum / count;
    const muF = <f32>mu;
    const muV = f32x4.splat(muF);
    let sq: f64 = 0;
    for (let b = 0; b < n; b++) {
      const base = x + ((<usize>(b * c + ch) * spatial) << 2);
      let acc = f32x4.splat(0);
      let i = 0;
      for (; i < vec; i += 4) {
        const d = f32x4.sub(v128.load(base + (<usize>i << 2)), muV);
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
      sq += lanes(acc);
      for (; i < spatial; i++) {
        const d = <f64>load<f32>(base + (<usize>i << 2)) - mu;
        sq += d * d;
      }
    }
    store<f32>(mean + (<usize>ch << 2), muF);
    store<f32>(variance + (<usize>ch << 2), <f32>(sq / count));
  }
}

/** out = γ·(x − μ)·invStd + β per channel. */
export function batchNormForward(x: usize, n: i32, c: i32, spatial: i32, mean: usize, invStd: usize, gamma: usize, beta: usize, out: usize, c0: i32, c1: i32): void {
  const vec = spatial & ~3;
  for (let b = 0; b < n; b++) {
    for (let ch = c0; ch < c1; ch++) {
      const off = (<usize>(b * c + ch) * spatial) << 2;
      const src = x + off, dst = out + off;
      const mu = load<f32>(mean + (<usize>ch << 2)), s = load<f32>(invStd + (<usize>ch << 2));
      const gm = load<f32>(gamma + (<usize>ch << 2)), bt = load<f32>(beta + (<usize>ch << 2));
      const muV = f32x4.splat(mu), sV = f32x4.splat(s), gV = f32x4.splat(gm), bV = f32x4.splat(bt);
      let i = 0;
      for (; i < vec; i += 4) {
        const h = f32x4.mul(f32x4.sub(v128.load(src + (<usize>i << 2)), muV), sV);
        v128.store(dst + (<usize>i << 2), f32x4.add(f32x4.mul(gV, h), bV));
      }
      for (; i < spatial; i++) {
        const h = (load<f32>(src + (<usize>i << 2)) - mu) * s;
        store<f32>(dst + (<usize>i << 2), gm * h + bt);
      }
    }
  }
}

/**
 * dβ = Σ g and dγ = Σ g·x̂ per channel (x̂ = (x − μ)·invStd, recomputed), then, when `dx` is not 0,
 * dx = γ·invStd·(g − mean(g) − x̂·mean(g·x̂)) with batch statistics, or γ·invStd·g with fixed ones.
 */
export function batchNormBackward(x: usize, g: usize, n: i32, c: i32, spatial: i32, mean: usize, invStd: usize, gamma: usize, batchStats: bool, dGamma: usize, dBeta: usize, dx: usize, c0: i32, c1: i32): void {
  const count = <f64>n * <f64>spatial;
  const vec = spatial & ~3;
  for (let ch = c0; ch < c1; ch++) {
    const mu = load<f32>(mean + (<usize>ch << 2)), s = load<f32>(invStd + (<usize>ch << 2));
    const muV = f32x4.splat(mu), sV = f32x4.splat(s);
    let sg: f64 = 0, sgx: f64 = 0;
    for (let b = 0; b < n; b++) {
      const off = (<usize>(b * c + ch) * spatial) << 2;
      const xs = x + off, gs = g + off;
      let accG = f32x4.splat(0), accGx = f32x4.splat(0);
      let i = 0;
      for (; i < vec; i += 4) {
        const gv = v128.load(gs + (<usize>i << 2));
        const h = f32x4.mul(f32x4.sub(v128.load(xs + (<usize>i << 2)), muV), sV);
        accG = f32x4.add(accG, gv);
        accGx = f32x4.add(accGx, f32x4.mul(gv, h));
      }
      sg += lanes(accG);
      sgx += lanes(accGx);
      for (; i < spatial; i++) {
        const gv = load<f32>(gs + (<usize>i << 2));
        sg += <f64>gv;
        sgx += <f64>(gv * ((load<f32>(xs + (<usize>i << 2)) - mu) * s));
      }
    }
    store<f32>(dBeta + (<usize>ch << 2), <f32>sg);
    store<f32>(dGamma + (<usize>ch << 2), <f32>sgx);
    if (dx == 0) continue;
    const scale = load<f32>(gamma + (<usize>ch << 2)) * s;
    const meanG = <f32>(sg / count), meanGx = <f32>(sgx / count);
    const scaleV = f32x4.splat(scale), mgV = f32x4.splat(meanG), mgxV = f32x4.splat(meanGx);
    for (let b = 0; b < n; b++) {
      const off = (<usize>(b * c + ch) * spatial) << 2;
      const xs = x + off, gs = g + off, ds = dx + off;
      let i = 0;
      if (!batchStats) {
        for (; i < spatial; i++) store<f32>(ds + (<usize>i << 2), scale * load<f32>(gs + (<usize>i << 2)));
        continue;
      }
      for (; i < vec; i += 4) {
        const h = f32x4.mul(f32x4.sub(v128.load(xs + (<usize>i << 2)), muV), sV);
        const t = f32x4.sub(f32x4.sub(v128.load(gs + (<usize>i << 2)), mgV), f32x4.mul(h, mgxV));
        v128.store(ds + (<usize>i << 2), f32x4.mul(scaleV, t));
      }
      for (; i < spatial; i++) {
        const h = (load<f32>(xs + (<usize>i << 2)) - mu) * s;
        store<f32>(ds + (<usize>i << 2), scale * (load<f32>(gs + (<usize>i << 2)) - meanG - h * meanGx));
      }
    }
  }
}
