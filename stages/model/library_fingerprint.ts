/**
 * What a native library file is, as a short string that changes when its bytes do: the GNU
 * build ID the linker wrote into an ELF file (a hash of the build, read from its first pages),
 * else the sha256 of the whole file. Why not always the sha256: OpenBLAS is 36 MB, and reading
 * it took ~0.4 s of every command here; its build ID is in the first kilobytes.
 */
import { createHash } from "node:crypto";

/** `gnu-build-id:<hex>` or `sha256:<hex>`. */
export function libraryFingerprint(path: string): string {
  const id = elfBuildId(readHead(path, 64 * 1024));
  if (id) return `gnu-build-id:${id}`;
  return `sha256:${createHash("sha256").update(Deno.readFileSync(path)).digest("hex")}`;
}

function readHead(path: string, bytes: number): Uint8Array {
  const file = Deno.openSync(path);
  try {
    const head = new Uint8Array(bytes);
    let filled = 0;
    while (filled < bytes) {
      const n = file.readSync(head.subarray(filled));
      if (n === null || n === 0) break;
      filled += n;
    }
    return head.subarray(0, filled);
  } finally {
    file.close();
  }
}

const PT_NOTE = 4;
const NT_GNU_BUILD_ID = 3;

/**
 * The build ID in a 64-bit little-endian ELF file's note segments, as hex, when they lie within
 * `head` (its first bytes); undefined for anything else.
 */
export function elfBuildId(head: Uint8Array): string | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const isElf64Le = head.length >= 64 && view.getUint32(0) === 0x7f454c46 && head[4] === 2 &&
    head[5] === 1;
  if (!isElf64Le) return undefined;
  const phoff = Number(view.getBigUint64(0x20, true));
  const [phentsize, phnum] = [view.getUint16(0x36, true), view.getUint16(0x38, true)];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > head.length) return undefined;
    if (view.getUint32(at, true) !== PT_NOTE) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 32, true));
    const id = buildIdNote(head, view, offset, Math.min(offset + size, head.length));
    if (id) return id;
  }
  return undefined;
}

/** Walks the notes in [start, end): each is namesz, descsz, type, then name and desc, 4-aligned. */
function buildIdNote(head: Uint8Array, view: DataView, start: number, end: number) {
  const align = (n: number) => (n + 3) & ~3;
  for (let at = start; at + 12 <= end;) {
    const [nameSize, descSize, type] = [0, 4, 8].map((o) => view.getUint32(at + o, true));
    const name = at + 12;
    const desc = name + align(nameSize);
    if (desc + descSize > end) return undefined;
    const isGnu = nameSize === 4 && head[name] === 0x47 && head[name + 1] === 0x4e &&
      head[name + 2] === 0x55 && head[name + 3] === 0;
    if (isGnu && type === NT_GNU_BUILD_ID && descSize > 0) {
      return Array.from(
        head.subarray(desc, desc + descSize),
        (b) => b.toString(16).padStart(2, "0"),
      )
        .join("");
    }
    at = desc + align(descSize);
  }
  return undefined;
}
