/** Bytes turned into a string per call of String.fromCharCode (well under engines' argument limits). */
const CHUNK_BYTES = 0x8000;

/** A PNG as a `data:` URL for inlining in HTML; base64 with `btoa`, so it runs in browsers and Node alike. */
export function pngDataUrl(png: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < png.length; start += CHUNK_BYTES) {
    binary += String.fromCharCode(...png.subarray(start, start + CHUNK_BYTES));
  }
  return `data:image/png;base64,${btoa(binary)}`;
}
