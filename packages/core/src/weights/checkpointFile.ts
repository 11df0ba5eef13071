// One entry point for every weights file a user may have: safetensors, torch.save zip checkpoints
// (open_clip_pytorch_model.bin, the reference's adapter .pth files) and TorchScript archives
// (OpenAI's CLIP .pt), told apart by their first bytes; legacy (pre-1.6) torch files are named
// and refused. Nothing in any of them is executed.
import { AaclipError } from '../errors/aaclipError.js';
import type { TensorMap } from '../tensor/tensor.js';
import { readSafetensors } from './safetensors.js';
import { isLegacyTorchSave, readTorchArchive, type TorchArchiveFormat } from './torchCheckpoint.js';

export type CheckpointFormat = 'safetensors' | TorchArchiveFormat;

export interface CheckpointContents {
  readonly format: CheckpointFormat;
  readonly tensors: TensorMap;
  /** safetensors' `__metadata__` (empty for torch files). */
  readonly metadata: Readonly<Record<string, string>>;
}

const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** Reads a weights file of any supported format; `source` names it in errors. */
export async function readCheckpointBytes(bytes: Uint8Array, source: string): Promise<CheckpointContents> {
  if (bytes.length === 0) throw new AaclipError('file is empty', source);
  // torch files: zip, or the legacy pre-1.6 format, which the torch reader recognises and refuses by name.
  if (isZip(bytes) || isLegacyTorchSave(bytes)) {
    const { format, tensors } = await readTorchArchive(bytes, source);
    return { format, tensors, metadata: {} };
  }
  const { tensors, metadata } = readSafetensors(bytes, source);
  return { format: 'safetensors', tensors, metadata };
}
