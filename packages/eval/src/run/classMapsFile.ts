import { readFile } from 'node:fs/promises';
import { AaclipError, readSafetensors, writeSafetensors } from '@aaclip/core';
import type { Domain, TensorMap } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/node-io';
import type { ClassPredictions } from '../protocol/evaluateClass.js';

const FORMAT = 'aaclip-class-maps';

/**
 * Saves a class's raw predictions (before normalisation) as safetensors: `anomaly_maps` F32
 * [n, H, W], `image_scores` F32 [n], `labels` U8 [n], `masks` U8 [n, H, W]; metadata holds the
 * class, the domain and the image paths (JSON). The metrics can be recomputed from it exactly.
 */
export async function writeClassMaps(file: string, p: ClassPredictions): Promise<void> {
  const tensors: TensorMap = new Map([
    ['anomaly_maps', { dtype: 'F32', shape: [p.count, p.height, p.width], data: p.maps }],
    ['image_scores', { dtype: 'F32', shape: [p.count], data: p.imageScores }],
    ['labels', { dtype: 'U8', shape: [p.count], data: p.labels }],
    ['masks', { dtype: 'U8', shape: [p.count, p.height, p.width], data: p.masks }],
  ]);
  const metadata = { format: FORMAT, class_name: p.className, domain: p.domain, images: JSON.stringify(p.ids ?? []) };
  await writeFileAtomic(file, writeSafetensors(tensors, metadata));
}

/** Reads a file written by writeClassMaps back into predictions for evaluateClass. */
export async function readClassMaps(file: string): Promise<ClassPredictions> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new AaclipError(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  }
  const { tensors, metadata } = readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  if (metadata.format !== FORMAT) throw new AaclipError(`not a class-maps file (metadata format is ${JSON.stringify(metadata.format)})`, file);
  const get = (name: string, dtype: string, rank: number) => {
    const t = tensors.get(name);
    if (!t || t.dtype !== dtype || t.shape.length !== rank) throw new AaclipError(`tensor "${name}" missing or not ${dtype} of rank ${rank}`, file);
    return t;
  };
  const maps = get('anomaly_maps', 'F32', 3);
  const [count, height, width] = maps.shape as [number, number, number];
  const masks = get('masks', 'U8', 3);
  const labels = get('labels', 'U8', 1);
  const scores = get('image_scores', 'F32', 1);
  if (masks.shape.join() !== maps.shape.join() || labels.shape[0] !== count || scores.shape[0] !== count) {
    throw new AaclipError('tensor shapes disagree', file);
  }
  let ids: string[] = [];
  try {
    ids = JSON.parse(metadata.images ?? '[]') as string[];
  } catch {
    throw new AaclipError('metadata "images" is not JSON', file);
  }
  const domain = metadata.domain as Domain;
  return {
    className: metadata.class_name ?? '',
    domain,
    count,
    height,
    width,
    maps: maps.data as Float32Array,
    masks: masks.data as Uint8Array,
    labels: labels.data as Uint8Array,
    imageScores: scores.data as Float32Array,
    ids,
  };
}
