/**
 * CLIP's text tokenizer: byte-level byte-pair encoding over OpenAI's merges file
 * (`clip/bpe_simple_vocab_16e6.txt.gz`, resolved through the asset registry), a port of
 * `clip/simple_tokenizer.py` so that our ids equal the ones CLIP was trained with:
 *
 * 1. text is HTML-unescaped, whitespace-collapsed and lower-cased (the original also runs `ftfy`,
 *    which only matters for mis-encoded text);
 * 2. a regular expression splits it into words, single digits and runs of punctuation;
 * 3. each piece's UTF-8 bytes become printable characters (`bytesToUnicode`), the last one marked
 *    end-of-word (`</w>`), and the pair with the lowest merge rank is merged until none applies;
 * 4. the vocabulary is the 256 byte characters, the same with `</w>`, the first 48,894 merges and
 *    `<|startoftext|>` (49406), `<|endoftext|>` (49407): 49,408 tokens.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import type { ResolveOptions } from "../data/assets.ts";
import { resolveNamedAsset } from "../data/registry.ts";

/** Id of `<|startoftext|>`. */
export const CLIP_SOT = 49406;
/** Id of `<|endoftext|>`. */
export const CLIP_EOT = 49407;
/** CLIP's text context: every tokenized text is padded or cut to 77 ids. */
export const CLIP_CONTEXT = 77;

/** GPT-2/CLIP's reversible map from bytes to printable unicode characters. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  const ranges: [number, number][] = [[33, 126], [161, 172], [174, 255]];
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) printable.push(c);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return map;
}

const PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** The tokenizer: `encode` one text to BPE ids, `tokenize` texts to padded id rows. */
export class ClipTokenizer {
  private readonly byteChars = bytesToUnicode();
  private readonly encoder = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly vocab: string[];
  private readonly merges: string[][];

  /** Builds the vocabulary from the merges file's text (its first line is a header). */
  constructor(mergesText: string) {
    const lines = mergesText.split("\n");
    const merges = lines.slice(1, 49152 - 256 - 2 + 1).map((l) => l.split(" "));
    if (merges.length !== 48894 || merges.some((m) => m.length !== 2)) {
      throw new Error(`CLIP merges: expected 48,894 pairs after the header, got ${merges.length}`);
    }
    // The byte characters in the original's order: the printable ones first, then the others.
    const byteOrder = [...this.byteChars].sort((x, y) =>
      (x.codePointAt(0)! < 256 ? 0 : 1) - (y.codePointAt(0)! < 256 ? 0 : 1) ||
      x.codePointAt(0)! - y.codePointAt(0)!
    );
    const vocab = [...byteOrder, ...byteOrder.map((c) => `${c}</w>`)];
    for (const [a, b] of merges) vocab.push(a + b);
    vocab.push("<|startoftext|>", "<|endoftext|>");
    this.vocab = vocab;
    this.merges = merges;
    vocab.forEach((t, i) => this.encoder.set(t, i));
    merges.forEach(([a, b], i) => this.ranks.set(`${a} ${b}`, i));
  }

  /** The vocabulary size (49,408). */
  get vocabSize(): number {
    return this.encoder.size;
  }

  /**
   * The same tokenizer as a Hugging Face `tokenizer.json` (what transformers.js reads): the
   * vocabulary and merges above, with the normalizer, pre-tokenizer (the same regular expression,
   * then byte-level), BPE with `</w>` word ends and the start/end post-processor that Hugging
   * Face's `CLIPTokenizerFast` writes. The tiny CLIP fixture ships without this 1.7 MB file:
   * `lib/transfer/clip.ts` writes it from the registered merges file.
   */
  huggingFaceJson(): Record<string, unknown> {
    const special = (id: number, content: string) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    });
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: [special(CLIP_SOT, "<|startoftext|>"), special(CLIP_EOT, "<|endoftext|>")],
      normalizer: {
        type: "Sequence",
        normalizers: [
          { type: "NFC" },
          { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
          { type: "Lowercase" },
        ],
      },
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [
          {
            type: "Split",
            pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
            behavior: "Removed",
            invert: true,
          },
          { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
        ],
      },
      post_processor: {
        type: "RobertaProcessing",
        sep: ["<|endoftext|>", CLIP_EOT],
        cls: ["<|startoftext|>", CLIP_SOT],
        trim_offsets: false,
        add_prefix_space: false,
      },
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: "<|endoftext|>",
        continuing_subword_prefix: "",
        end_of_word_suffix: "</w>",
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(this.vocab.map((t, i) => [t, i])),
        merges: this.merges,
      },
    };
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), `${chars.at(-1)}</w>`];
    while (word.length > 1) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      const [a, b] = [word[best], word[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }

  /** BPE ids of `text` (no start/end tokens). */
  encode(text: string): number[] {
    const clean = unescapeHtml(unescapeHtml(text)).replace(/\s+/g, " ").trim().toLowerCase();
    const ids: number[] = [];
    for (const m of clean.matchAll(PATTERN)) {
      const piece = Array.from(new TextEncoder().encode(m[0]), (b) => this.byteChars[b]).join("");
      for (const t of this.bpe(piece)) ids.push(this.encoder.get(t)!);
    }
    return ids;
  }

  /**
   * Rows of `context` ids: `<|startoftext|>`, the text's ids, `<|endoftext|>`, zeros. Texts too
   * long are cut and end with `<|endoftext|>` (like `clip.tokenize(..., truncate=True)`).
   */
  tokenize(texts: string[], context = CLIP_CONTEXT): Int32Array[] {
    return texts.map((t) => {
      const ids = [CLIP_SOT, ...this.encode(t), CLIP_EOT];
      if (ids.length > context) ids.splice(context - 1, ids.length, CLIP_EOT);
      const row = new Int32Array(context);
      row.set(ids);
      return row;
    });
  }
}

function unescapeHtml(s: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1));
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return named[e.toLowerCase()] ?? all;
  });
}

/** Loads CLIP's tokenizer from the registered merges file (cache → mirror → GitHub). */
export async function loadClipTokenizer(options: ResolveOptions = {}): Promise<ClipTokenizer> {
  const file = await resolveNamedAsset("clip/bpe_simple_vocab_16e6.txt.gz", options);
  return new ClipTokenizer(new TextDecoder().decode(gunzipSync(await Deno.readFile(file))));
}
