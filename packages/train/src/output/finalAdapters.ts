import path from 'node:path';
import { checkTensorShapes, writeSafetensors, type ExpectedShapes, type TensorMap } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/backend-node';

/** The trained adapters' name in the output folder: the name `--model <dir>` looks for. */
export const FINAL_ADAPTERS_FILE = 'aaclip_adapters.safetensors';

/**
 * Writes `<out>/aaclip_adapters.safetensors`: every adapter weight under the reference's key
 * names (text_adapter.*, image_adapter.*), float32 — the file `aaclip detect --adapters` loads.
 * The weights are checked against `shapes` first; the file appears complete or not at all.
 * Returns its path.
 */
export async function writeFinalAdapters(outDir: string, adapters: TensorMap, shapes: ExpectedShapes): Promise<string> {
  const file = path.join(outDir, FINAL_ADAPTERS_FILE);
  const checked = checkTensorShapes(shapes, adapters, 'trained adapters');
  await writeFileAtomic(file, writeSafetensors(checked));
  return file;
}
