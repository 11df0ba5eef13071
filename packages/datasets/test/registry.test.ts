import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AaclipError } from '@aaclip/core';
import {
  getDataset, isDatasetRegistered, listDatasets, loadDataset, registerDataset, scanDataset, unregisterDataset,
  type DatasetFactory,
} from '../src/index.js';

const BUILT_IN = ['mvtec', 'visa', 'btad', 'mpdd', 'brain-mri', 'liver-ct', 'resc', 'cvc-clinicdb', 'cvc-colondb', 'kvasir', 'cvc-300', 'jsonl', 'folder'];

/** A custom format a user's package might add: every line of the root's name is a sample. */
const listOptions = z.strictObject({ count: z.number().int().min(1), className: z.string().default('widget') });
const listFormat: DatasetFactory<typeof listOptions> = {
  summary: 'test format',
  optionsSchema: listOptions,
  async read(root, options) {
    const samples = Array.from({ length: options.count }, (_, i) => ({
      imagePath: path.join(root, `${i}.png`),
      maskPath: i % 2 ? path.join(root, `${i}_mask.png`) : null,
      label: (i % 2) as 0 | 1,
      className: options.className,
      split: 'test' as const,
      defectType: i % 2 ? 'dent' : 'good',
    }));
    const problems = options.count === 3 ? [{ kind: 'missing-mask' as const, file: path.join(root, '1.png'), problem: 'no mask' }] : [];
    return { domain: 'industrial', classes: [options.className], samples, problems, promptName: (c) => `a ${c}` };
  },
};

afterEach(() => {
  unregisterDataset('widgets');
});

describe('dataset registry', () => {
  it('has every built-in format, in order, each with a zod options schema', () => {
    const names = listDatasets().map((d) => d.name);
    expect(names.slice(0, BUILT_IN.length)).toEqual(BUILT_IN);
    for (const name of BUILT_IN) expect(typeof getDataset(name).factory.optionsSchema.safeParse).toBe('function');
  });

  it('finds formats case-insensitively and by the reference names as aliases', () => {
    expect(getDataset('MVTec').name).toBe('mvtec');
    expect(getDataset('Brain').name).toBe('brain-mri');
    expect(getDataset('Colon_Kvasir').name).toBe('kvasir');
    expect(getDataset('Retina').name).toBe('resc');
  });

  it('fails on an unknown name, listing the known ones', () => {
    expect(() => getDataset('imagenet')).toThrowError(AaclipError);
    try {
      getDataset('imagenet');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('"imagenet"');
      for (const name of BUILT_IN) expect(message).toContain(name);
      expect(message.split('\n')).toHaveLength(1);
    }
  });

  it('adds a custom format that loadDataset then opens by name, with validated options', async () => {
    registerDataset('widgets', listFormat, { aliases: ['gizmos'] });
    expect(isDatasetRegistered('GIZMOS')).toBe(true);
    const ds = await loadDataset('gizmos', '/data/w', { count: 4 });
    expect(ds.kind).toBe('widgets');
    expect(ds.root).toBe(path.resolve('/data/w'));
    expect(ds.samples.map((s) => s.label)).toEqual([0, 1, 0, 1]);
    expect(ds.promptName('widget')).toBe('a widget');
    expect(listDatasets().map((d) => d.name)).toContain('widgets');
  });

  it('names the option at fault, and refuses unknown options', async () => {
    registerDataset('widgets', listFormat);
    await expect(loadDataset('widgets', '/d', { count: 0 })).rejects.toThrow(/^widgets option "count": /);
    await expect(loadDataset('widgets', '/d', {})).rejects.toThrow(/^widgets option "count": /);
    await expect(loadDataset('widgets', '/d', { count: 2, colour: 'red' })).rejects.toThrow(/^widgets options: .*colour/);
  });

  it('fails loading on a problem, naming the file; scanning returns the problems instead', async () => {
    registerDataset('widgets', listFormat);
    await expect(loadDataset('widgets', '/d', { count: 3 })).rejects.toThrow(`${path.join(path.resolve('/d'), '1.png')}: no mask`);
    const scan = await scanDataset('widgets', '/d', { count: 3 });
    expect(scan.problems).toHaveLength(1);
    expect(scan.dataset.samples).toHaveLength(3);
  });

  it('refuses a taken name or alias unless replacing, and rejects bad names', () => {
    registerDataset('widgets', listFormat);
    expect(() => registerDataset('Widgets', listFormat)).toThrow(/already registered/);
    expect(() => registerDataset('other', listFormat, { aliases: ['MVTEC'] })).toThrow(/"MVTEC".*already registered/);
    expect(() => registerDataset('widgets', listFormat, { replace: true })).not.toThrow();
    expect(listDatasets().filter((d) => d.name === 'widgets')).toHaveLength(1);
    expect(() => registerDataset('bad name', listFormat)).toThrow(/dataset name "bad name"/);
    expect(unregisterDataset('widgets')).toBe(true);
    expect(isDatasetRegistered('widgets')).toBe(false);
  });
});
