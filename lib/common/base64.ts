/**
 * Base64 text → bytes, the one decoder of the book's embedded payloads (our wasm builds, tfjs
 * weight shards in `.min.js` files, figures in notebook outputs). `atob` gives a binary string;
 * this turns it into bytes and ignores the line breaks that notebooks put into long payloads.
 *
 * @module
 */

/** Decodes standard base64 (whitespace ignored); invalid input throws `atob`'s error. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
