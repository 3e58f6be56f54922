/**
 * Block diagrams drawn from a Layers model's own graph: the layers (or whole blocks, see
 * {@link blockOf}) as boxes, arranged top to bottom by their depth in the graph, with arrows
 * along the model's connections — so a Fire module shows its two expand branches side by side and
 * an Xception block its shortcut beside the separable convolutions. Nothing is drawn by hand: the
 * diagram changes when the builder does.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { Figure, svgDocument } from "../viz/figure.ts";
import { escapeXml, FONT } from "../viz/svg.ts";
import { blockCosts, blockOf, layerCosts } from "./complexity.ts";

/** Options of {@link modelDiagram}. */
export interface DiagramOptions {
  /** Figure title. */
  title?: string;
  /** Draw one box per block instead of per layer (default false). */
  byBlock?: boolean;
  /** Keep only these layers (by name; default all); edges from outside the set are dropped. */
  include?: (layerName: string) => boolean;
  /** Box width in pixels (default 190). */
  boxWidth?: number;
}

/** Fill colour per layer class (blocks are filled by their costliest layer's class). */
const COLORS: Record<string, string> = {
  Conv2D: "#cfe2f3",
  SeparableConv2D: "#d9ead3",
  DepthwiseConv2D: "#d9ead3",
  BatchNormalization: "#fff2cc",
  MaxPooling2D: "#f4cccc",
  ZeroPadding2D: "#f4cccc",
  GlobalAveragePooling2D: "#f4cccc",
  Concatenate: "#ead1dc",
  Add: "#ead1dc",
  Dense: "#d9d2e9",
};

interface GraphNode {
  id: string;
  label: string;
  detail: string;
  color: string;
  parents: string[];
}

const fmtShape = (s: number[]) => s.join("×");
const fmtCount = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : `${n}`;

/** The model's graph as nodes with parents (layers, or blocks). */
function graphOf(model: tf.LayersModel, opts: DiagramOptions): GraphNode[] {
  const keep = opts.include ?? (() => true);
  const costs = new Map(layerCosts(model).map((c) => [c.name, c]));
  const parentsOf = (layer: tf.layers.Layer) =>
    layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
  const layers = model.layers.filter((l) => keep(l.name));
  if (!opts.byBlock) {
    const names = new Set(layers.map((l) => l.name));
    return layers.map((l) => {
      const c = costs.get(l.name);
      const cls = l.getClassName();
      return {
        id: l.name,
        label: l.name,
        detail: c ? `${cls} ${fmtShape(c.outputShape)}` : `input ${
          fmtShape(
            (l.outputShape as number[]).slice(1),
          )
        }`,
        color: COLORS[cls] ?? "#eeeeee",
        parents: parentsOf(l).filter((p) => names.has(p)),
      };
    });
  }
  const blocks = blockCosts(model);
  const blockNames = new Set(layers.map((l) => blockOf(l.name)));
  const nodes: GraphNode[] = [];
  const input = layers.find((l) => l.getClassName() === "InputLayer");
  if (input) {
    nodes.push({
      id: input.name,
      label: input.name,
      detail: `input ${fmtShape((input.outputShape as number[]).slice(1))}`,
      color: "#eeeeee",
      parents: [],
    });
  }
  for (const b of blocks.filter((b) => blockNames.has(b.block))) {
    const members = b.layers.map((n) => model.getLayer(n));
    const parents = new Set(
      members.flatMap(parentsOf).map((p) => blockOf(p)).filter((p) =>
        p !== b.block && (blockNames.has(p) || p === input?.name)
      ),
    );
    const main = members.reduce((m, l) =>
      (costs.get(l.name)?.multAdds ?? 0) > (costs.get(m.name)?.multAdds ?? 0) ? l : m
    );
    nodes.push({
      id: b.block,
      label: b.block,
      detail: `${fmtShape(b.outputShape)} · ${fmtCount(b.params)} params`,
      color: COLORS[main.getClassName()] ?? "#eeeeee",
      parents: [...parents],
    });
  }
  return nodes;
}

/**
 * Draws the model (or the part chosen by `include`) as a layered diagram: each node at the depth
 * of its longest path from the top, nodes of equal depth side by side, arrows from parents; an
 * arrow that skips levels (a shortcut) bends around the boxes on the right.
 */
export function modelDiagram(model: tf.LayersModel, opts: DiagramOptions = {}): Figure {
  const nodes = graphOf(model, opts);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  for (const n of nodes) {
    // Layers come in topological order, so parents already have their depth.
    depth.set(n.id, Math.max(-1, ...n.parents.map((p) => depth.get(p) ?? -1)) + 1);
  }
  const levels: GraphNode[][] = [];
  for (const n of nodes) (levels[depth.get(n.id)!] ??= []).push(n);

  const boxW = opts.boxWidth ?? 190, boxH = 38, gapX = 24, gapY = 22, margin = 20;
  const titleH = opts.title ? 30 : 0;
  const widest = Math.max(...levels.map((l) => l.length));
  const width = margin * 2 + widest * boxW + (widest - 1) * gapX + 60;
  const height = margin * 2 + titleH + levels.length * boxH + (levels.length - 1) * gapY;
  const pos = new Map<string, { x: number; y: number }>();
  levels.forEach((level, d) => {
    const rowW = level.length * boxW + (level.length - 1) * gapX;
    const x0 = (width - 60 - rowW) / 2;
    level.forEach((n, i) => {
      pos.set(n.id, { x: x0 + i * (boxW + gapX), y: margin + titleH + d * (boxH + gapY) });
    });
  });
  const parts: string[] = [
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" ` +
    `markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>` +
    `</marker></defs>`,
  ];
  if (opts.title) {
    parts.push(
      `<text x="${width / 2}" y="${margin + 12}" text-anchor="middle" font-family="${FONT}" ` +
        `font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
    );
  }
  let detour = 0;
  for (const n of nodes) {
    const to = pos.get(n.id)!;
    for (const p of n.parents) {
      const from = pos.get(p);
      if (!from || !byId.has(p)) continue;
      const x1 = from.x + boxW / 2, y1 = from.y + boxH, x2 = to.x + boxW / 2, y2 = to.y;
      const span = depth.get(n.id)! - depth.get(p)!;
      if (span <= 1) {
        parts.push(
          `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" stroke-width="1.2" ` +
            `marker-end="url(#arrow)"/>`,
        );
      } else {
        // A skip connection: out of the parent's right side, down beside the boxes, into the
        // child's right side.
        const side = width - margin - 40 + (detour++ % 3) * 10;
        const ya = from.y + boxH / 2, yb = to.y + boxH / 2;
        parts.push(
          `<path d="M${from.x + boxW},${ya} C${side},${ya} ${side},${ya} ${side},${ya + 15} ` +
            `L${side},${yb - 15} C${side},${yb} ${side},${yb} ${to.x + boxW},${yb}" fill="none" ` +
            `stroke="#888" stroke-width="1.2" stroke-dasharray="4 3" marker-end="url(#arrow)"/>`,
        );
      }
    }
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.id)!;
    parts.push(
      `<rect x="${x}" y="${y}" width="${boxW}" height="${boxH}" rx="5" fill="${n.color}" ` +
        `stroke="#666"/>`,
      `<text x="${x + boxW / 2}" y="${y + 15}" text-anchor="middle" font-family="${FONT}" ` +
        `font-size="12" font-weight="bold">${escapeXml(n.label)}</text>`,
      `<text x="${x + boxW / 2}" y="${y + 30}" text-anchor="middle" font-family="${FONT}" ` +
        `font-size="10" fill="#333">${escapeXml(n.detail)}</text>`,
    );
  }
  return new Figure(svgDocument(width, height, parts.join("")), width, height, opts.title ?? "");
}
