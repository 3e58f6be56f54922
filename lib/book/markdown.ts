/**
 * Markdown → HTML for the book's site: GitHub-flavoured markdown (marked), math typeset at build
 * time with KaTeX (`$…$`, `$$…$$`, `\(…\)`, `\[…\]`; no JavaScript needed in the browser, only
 * `katex.min.css` and its fonts), TypeScript highlighting (highlight.js) and heading anchors.
 *
 * @module
 */
import { escapeXml } from "../viz/svg.ts";
import katex from "katex";
import { Marked, type Tokens } from "marked";
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import javascript from "highlight.js/lib/languages/javascript";
import bash from "highlight.js/lib/languages/bash";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";

hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("json", json);
hljs.registerLanguage("python", python);

/** Highlights code (default TypeScript) as HTML; unknown languages are escaped only. */
export function highlight(code: string, language = "typescript"): string {
  const lang = { ts: "typescript", js: "javascript", sh: "bash", shell: "bash", py: "python" }[
    language
  ] ?? language;
  if (hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang }).value;
  return escapeXml(code);
}

/** Typesets TeX with KaTeX; errors are shown in place (red) rather than thrown. */
export function renderMath(tex: string, display: boolean): string {
  return katex.renderToString(tex, { displayMode: display, throwOnError: false, output: "html" });
}

/** A heading found while rendering (for tables of contents). */
export interface Heading {
  /** 1–6. */
  depth: number;
  /** Plain text. */
  text: string;
  /** Anchor id. */
  id: string;
}

/** A URL-fragment slug of heading text. */
export function headingId(text: string): string {
  return text.toLowerCase().normalize("NFKD").replace(/<[^>]+>/g, "").replace(
    /[^\p{L}\p{N}]+/gu,
    "-",
  )
    .replace(/^-+|-+$/g, "") || "section";
}

const MATH =
  /\$\$([^]+?)\$\$|\\\[([^]+?)\\\]|\\\(([^]+?)\\\)|(?<![\\$\w])\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?![\w$])/g;

/**
 * Replaces math outside code with placeholders (so markdown cannot mangle it) and returns the
 * rendered snippets to put back.
 */
function protectMath(md: string): { text: string; math: string[] } {
  const math: string[] = [];
  // Split out fenced code blocks and inline code spans, which keep their dollars.
  const parts = md.split(/(^```[^]*?^```[ \t]*$|^~~~[^]*?^~~~[ \t]*$|`+[^`\n]*?`+)/m);
  const text = parts.map((part, i) => {
    if (i % 2 === 1) return part;
    return part.replace(MATH, (_m, dd?: string, db?: string, ip?: string, id?: string) => {
      const display = dd !== undefined || db !== undefined;
      math.push(renderMath((dd ?? db ?? ip ?? id ?? "").trim(), display));
      return `\uE000MATH${math.length - 1}\uE001`;
    });
  }).join("");
  return { text, math };
}

/** Options for {@linkcode renderMarkdown}. */
export interface MarkdownOptions {
  /** Rewrites link targets (e.g. `../02-cnn/cnn.ipynb` → `02-cnn.html`; `""`: text, no link). */
  rewriteLink?: (href: string) => string;
  /** Heading ids already used on the page (kept unique across cells). */
  usedIds?: Set<string>;
}

/** Renders markdown with math, highlighting and heading anchors; collects headings. */
export function renderMarkdown(
  md: string,
  options: MarkdownOptions = {},
): { html: string; headings: Heading[] } {
  const headings: Heading[] = [];
  const used = options.usedIds ?? new Set<string>();
  const { text, math } = protectMath(md);
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading(this: { parser: { parseInline(t: Tokens.Generic[]): string } }, t: Tokens.Heading) {
        const inner = this.parser.parseInline(t.tokens);
        const plain = inner.replace(/<[^>]+>/g, "").replace(/\uE000MATH\d+\uE001/g, "");
        let id = headingId(plain);
        for (let k = 2; used.has(id); k++) id = `${headingId(plain)}-${k}`;
        used.add(id);
        headings.push({ depth: t.depth, text: plain.trim(), id });
        return `<h${t.depth} id="${id}"><a class="anchor" href="#${id}">${inner}</a></h${t.depth}>\n`;
      },
      code(t: Tokens.Code) {
        const lang = (t.lang ?? "").split(/\s/)[0];
        const body = lang ? highlight(t.text, lang) : escapeXml(t.text);
        return `<pre class="code"><code class="hljs${
          lang ? ` language-${escapeXml(lang)}` : ""
        }">${body}</code></pre>\n`;
      },
      link(
        this: { parser: { parseInline(t: Tokens.Generic[]): string } },
        t: Tokens.Link,
      ) {
        const href = options.rewriteLink ? options.rewriteLink(t.href) : t.href;
        if (href === "") return this.parser.parseInline(t.tokens);
        const title = t.title ? ` title="${escapeXml(t.title)}"` : "";
        return `<a href="${escapeXml(href)}"${title}>${this.parser.parseInline(t.tokens)}</a>`;
      },
    },
  });
  const html = (marked.parse(text, { async: false }) as string).replace(
    /\uE000MATH(\d+)\uE001/g,
    (_m, k: string) => math[Number(k)],
  );
  return { html, headings };
}
