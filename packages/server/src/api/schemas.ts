import { z } from 'zod';

// The service's requests and responses: one zod schema each, used to check queries and to
// generate /openapi.json (api/openApi.ts), so the document cannot drift from the code.

/** Longest class name accepted: the prompts hold it, and CLIP's context is 77 tokens anyway. */
export const MAX_CLASS_NAME_LENGTH = 200;

export const MAP_FORMATS = ['none', 'png', 'f32'] as const;
export type MapFormat = (typeof MAP_FORMATS)[number];

export const detectQuerySchema = z
  .object({
    class_name: z
      .string()
      .trim()
      .min(1)
      .max(MAX_CLASS_NAME_LENGTH)
      .default('object')
      .describe('the object named in the prompts, e.g. "dark bottle" (as `aaclip detect --class-name`)'),
    map: z
      .enum(MAP_FORMATS)
      .default('none')
      .describe(
        'none: scores only; png: map_png, the heatmap over the image as `aaclip detect` draws it (colours span the ' +
          "request's images' lowest to highest map value); f32: map_f32, the raw S×S anomaly map",
      ),
  })
  .strict();
export type DetectQuery = z.infer<typeof detectQuerySchema>;

export const detectResultSchema = z.object({
  image: z.string().optional().describe('the file name of the multipart part (multipart uploads only)'),
  image_score: z.number().describe("the image's anomaly score (higher: more anomalous), as in detect's scores.json"),
  pixel_max: z.number().describe('the highest value of the anomaly map'),
  map_size: z.number().int().positive().optional().describe('the side S of the anomaly map (with map=png or map=f32)'),
  map_png: z.string().optional().describe('base64 PNG: the anomaly map over the image, at the image size (map=png)'),
  map_f32: z.string().optional().describe('base64 little-endian float32 [S,S] row-major anomaly map, as in maps.safetensors (map=f32)'),
});
export type DetectResult = z.infer<typeof detectResultSchema>;

export const detectResponseSchema = z.union([detectResultSchema, z.array(detectResultSchema)]).describe(
  'one result for a raw image body; an array, in upload order, for multipart files',
);

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string().describe('machine-readable: invalid_image, too_many_pixels, queue_full, unauthorized, …'),
    message: z.string().describe('one line for a person'),
  }),
});

export const healthResponseSchema = z.object({ status: z.literal('ok') });

export const readyResponseSchema = z.object({
  status: z.enum(['ready', 'loading', 'failed', 'closing']),
  backend: z.string().optional().describe('the backend and device the model runs on, once loaded'),
  image_size: z.number().int().optional().describe('the side S of the maps, once loaded'),
});
