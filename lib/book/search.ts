/**
 * The site's search, prebuilt (no server): {@linkcode searchEntries} cuts each rendered page into
 * sections at its headings, the build writes them all to `assets/search-index.js`, and
 * `search.html` ranks them in the reader's browser with {@linkcode SEARCH_JS}.
 *
 * @module
 */
import type { SearchEntry } from "./site.ts";

const ENTITIES: Record<string, string> = {
  "&lt;": "<",
  "&gt;": ">",
  "&amp;": "&",
  "&quot;": '"',
  "&#39;": "'",
  "&#x27;": "'",
  "&nbsp;": " ",
};

/** Plain text of an HTML fragment: no tags, no MathML copy of formulas, entities decoded. */
export function htmlText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<math[\s\S]*?<\/math>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(?:lt|gt|amp|quot|#39|#x27|nbsp);/g, (e) => ENTITIES[e])
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Search entries of one page: one per `h1`-`h3` section (heading to next heading), each with
 * at most `maxChars` of its text.
 */
export function searchEntries(
  html: string,
  pageTitle: string,
  url: string,
  maxChars = 3000,
): SearchEntry[] {
  const heads = [...html.matchAll(/<h([1-3]) id="([^"]+)">([\s\S]*?)<\/h\1>/g)];
  const out: SearchEntry[] = [];
  heads.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < heads.length ? heads[i + 1].index! : html.length;
    const text = htmlText(html.slice(start, end)).slice(0, maxChars);
    out.push({
      t: htmlText(m[3]),
      p: pageTitle,
      u: m[1] === "1" ? url : `${url}#${m[2]}`,
      x: text,
    });
  });
  if (!heads.length) {
    out.push({ t: pageTitle, p: pageTitle, u: url, x: htmlText(html).slice(0, maxChars) });
  }
  return out;
}

/** `assets/search-index.js`: the entries as a script (works from `file://` too, unlike fetch). */
export function searchIndexScript(entries: SearchEntry[]): string {
  return `window.BOOK_SEARCH_INDEX = ${JSON.stringify(entries).replace(/</g, "\\u003c")};\n`;
}

/** The body of `search.html`. */
export const SEARCH_PAGE =
  `<h1>Search</h1><form class="search-page" action="search.html"><input id="q" type="search" ` +
  `name="q" autofocus aria-label="Search the book"> <button>Search</button></form>` +
  `<p id="search-status"></p><ol id="search-results" class="search-results"></ol>` +
  `<script src="assets/search-index.js"></script><script src="assets/search.js"></script>`;

/**
 * The in-page ranking: every query word must occur (case-insensitive) in a section's title or
 * text; title hits weigh 10, text hits 1 each; the best 30 are listed with a snippet.
 */
export const SEARCH_JS = `(() => {
  const index = window.BOOK_SEARCH_INDEX || [];
  const q = (new URLSearchParams(location.search).get("q") || "").trim();
  const input = document.getElementById("q");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  input.value = q;
  if (!q) { status.textContent = index.length + " sections indexed."; return; }
  const words = q.toLowerCase().split(/\\s+/).filter(Boolean);
  const count = (hay, w) => { let n = 0, i = -1; while ((i = hay.indexOf(w, i + 1)) >= 0) n++; return n; };
  const hits = [];
  for (const e of index) {
    const t = e.t.toLowerCase(), x = e.x.toLowerCase();
    let score = 0, all = true;
    for (const w of words) {
      const s = 10 * count(t, w) + count(x, w);
      if (!s) { all = false; break; }
      score += s;
    }
    if (all) hits.push({ e, score });
  }
  hits.sort((a, b) => b.score - a.score);
  status.textContent = hits.length + (hits.length === 1 ? " section matches" : " sections match") +
    " \\u201c" + q + "\\u201d.";
  for (const { e } of hits.slice(0, 30)) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = e.u;
    a.textContent = e.t;
    const where = document.createElement("span");
    where.className = "search-page-title";
    where.textContent = e.p === e.t ? "" : " \\u2014 " + e.p;
    const at = e.x.toLowerCase().indexOf(words[0]);
    const from = Math.max(0, at - 80);
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    snippet.textContent = (from > 0 ? "\\u2026" : "") + e.x.slice(from, from + 220) + "\\u2026";
    li.append(a, where, snippet);
    list.append(li);
  }
})();
`;
