import { createHash } from "node:crypto";
import { join } from "node:path";
import { tempDir } from "../../pipeline/stage_testing.ts";
import { assertEquals } from "../../pipeline/test_assert.ts";
import { elfBuildId, libraryFingerprint } from "./library_fingerprint.ts";

/** A minimal ELF64 header with one PT_NOTE program header and a GNU build-id note. */
function elfWithBuildId(id: number[]): Uint8Array {
  const bytes = new Uint8Array(256);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // \x7fELF, 64-bit, little endian, version
  view.setBigUint64(0x20, 64n, true); // program headers right after the 64-byte header
  view.setUint16(0x36, 56, true);
  view.setUint16(0x38, 2, true);
  view.setUint32(64, 1, true); // a PT_LOAD first, to be skipped
  view.setUint32(120, 4, true); // PT_NOTE
  view.setBigUint64(120 + 8, 176n, true);
  view.setBigUint64(120 + 32, BigInt(16 + id.length), true);
  view.setUint32(176, 4, true); // namesz
  view.setUint32(180, id.length, true); // descsz
  view.setUint32(184, 3, true); // NT_GNU_BUILD_ID
  bytes.set([0x47, 0x4e, 0x55, 0], 188); // "GNU\0"
  bytes.set(id, 192);
  return bytes;
}

Deno.test("elfBuildId reads the GNU build ID from an ELF file's notes", () => {
  assertEquals(elfBuildId(elfWithBuildId([0xde, 0xad, 0xbe, 0xef, 0x01])), "deadbeef01");
});

Deno.test("elfBuildId: not ELF, or the notes cut off, gives none", () => {
  assertEquals(elfBuildId(new TextEncoder().encode("#!/bin/sh\n")), undefined);
  assertEquals(elfBuildId(elfWithBuildId([1, 2, 3, 4]).subarray(0, 190)), undefined);
});

Deno.test("libraryFingerprint: the build ID of an ELF file, else the sha256 of the file", async () => {
  const dir = await tempDir();
  try {
    const elf = join(dir, "libfake.so");
    await Deno.writeFile(elf, elfWithBuildId([0xab, 0xcd]));
    assertEquals(libraryFingerprint(elf), "gnu-build-id:abcd");
    const other = join(dir, "libother.dylib");
    await Deno.writeTextFile(other, "not an ELF file");
    const sha = createHash("sha256").update("not an ELF file").digest("hex");
    assertEquals(libraryFingerprint(other), `sha256:${sha}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
