import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { decodeBase64 } from "./base64.ts";

Deno.test("decodeBase64: bytes of standard base64, line breaks ignored", () => {
  assertEquals(decodeBase64("AAEC/w=="), new Uint8Array([0, 1, 2, 255]));
  assertEquals(decodeBase64("SGVs\nbG8=\n"), new TextEncoder().encode("Hello"));
  assertEquals(decodeBase64(""), new Uint8Array());
});

Deno.test("decodeBase64: invalid text is an error", () => {
  assertThrows(() => decodeBase64("not*base64"));
});
