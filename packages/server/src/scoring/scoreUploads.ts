import { AaclipError, toRgb8, type AnomalyDetector, type RawImage } from '@aaclip/core';
import { mapValueRange, nonFiniteDetection, renderOverlayPng } from '@aaclip/eval';
import { decodeImageBytes } from '@aaclip/node-io';
import { HttpError } from '../http/httpError.js';
import type { DetectResult, MapFormat } from '../api/schemas.js';

/** One uploaded image: its bytes and the name errors give it (the multipart file name, or "body"). */
export interface Upload {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** 8-bit RGB as `aaclip detect` hands images to the detector. */
function rgbImage(image: RawImage, source: string): RawImage {
  const { width, height, data } = toRgb8(image, source);
  return { width, height, channels: 3, bitDepth: 8, data };
}

/**
 * Scores uploads the way `aaclip detect` scores files: each decoded (its size checked from the
 * header against `maxPixels` first), converted to 8-bit RGB, all of them through one detector
 * call, non-finite results refused; with map=png the heatmap overlay detect writes, its colours
 * spanning these images' maps. Any image that fails fails the request, naming it.
 */
export async function scoreUploads(
  detector: AnomalyDetector,
  uploads: readonly Upload[],
  options: { className: string; map: MapFormat; maxPixels: number },
): Promise<DetectResult[]> {
  const images: RawImage[] = [];
  for (const { name, bytes } of uploads) {
    try {
      images.push(rgbImage(await decodeImageBytes(bytes, name, { maxPixels: options.maxPixels }), name));
    } catch (err) {
      if (!(err instanceof AaclipError)) throw err;
      if (err.code === 'too-large') throw new HttpError(413, 'too_many_pixels', err.message);
      throw new HttpError(400, 'invalid_image', err.message);
    }
  }
  const detections = await detector.detect(images, options.className);
  detections.forEach((detection, i) => {
    const problem = nonFiniteDetection(detection);
    if (problem) throw new AaclipError(problem, uploads[i]!.name, { code: 'internal' });
  });
  const range = options.map === 'png' ? mapValueRange(detections.map((d) => d.anomalyMap)) : null;
  return Promise.all(
    detections.map(async (detection, i): Promise<DetectResult> => {
      const result: DetectResult = { image_score: detection.imageScore, pixel_max: detection.pixelMax };
      if (options.map === 'none') return result;
      result.map_size = detection.imageSize;
      if (range) result.map_png = Buffer.from(await renderOverlayPng(images[i]!, detection, range)).toString('base64');
      else result.map_f32 = float32Base64(detection.anomalyMap);
      return result;
    }),
  );
}

/** The values as little-endian float32 bytes, base64. */
function float32Base64(values: Float32Array): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}
