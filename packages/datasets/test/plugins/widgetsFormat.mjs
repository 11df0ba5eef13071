// A dataset format as a user's package would ship it: importing the module registers it.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { registerDataset } from '@aaclip/datasets';

registerDataset('widgets', {
  summary: 'widgets: <root>/good/*.png, <root>/bad/*.png with masks in <root>/bad_masks/',
  optionsSchema: z.strictObject({ className: z.string().min(1).default('widget') }),
  async read(root, { className }) {
    const list = async (dir) => (await readdir(path.join(root, dir))).sort().map((f) => path.join(root, dir, f));
    const problems = [];
    const masks = new Set(await list('bad_masks'));
    const samples = (await list('good')).map((imagePath) => ({ imagePath, maskPath: null, label: 0, className, split: 'test', defectType: 'good' }));
    for (const imagePath of await list('bad')) {
      const maskPath = path.join(root, 'bad_masks', path.basename(imagePath));
      if (!masks.has(maskPath)) problems.push({ kind: 'missing-mask', file: imagePath, problem: 'no mask in bad_masks/' });
      samples.push({ imagePath, maskPath: masks.has(maskPath) ? maskPath : null, label: 1, className, split: 'test', defectType: 'bad' });
    }
    return { domain: 'industrial', classes: [className], samples, problems, promptName: () => `blue ${className}` };
  },
});
