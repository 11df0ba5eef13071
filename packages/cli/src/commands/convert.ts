import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError, convertCheckpoints, convertedMetadata, writeSafetensors, type ConvertInput } from '@aaclip/core';
import { nodeSha256, readRegularFile, writeFileAtomic } from '@aaclip/backend-node/node-io';
import type { Command } from './command.js';
import { formatBytes } from '../output/formatBytes.js';

const USAGE = `Usage: aaclip convert <checkpoint...> --out <file.safetensors> [--config-out <file.json>] [--gelu quick|exact]

Converts checkpoints into one safetensors file, reading them as data — nothing in them is ever
executed:
  - open_clip weights: open_clip_pytorch_model.bin / .pth (torch.save zip checkpoints)
  - OpenAI's CLIP TorchScript archives (ViT-L-14-336px.pt, the file the AA-CLIP reference loads):
    the model's state dict is read from its data; its Python code is never read
  - the reference's adapter files (text_adapter.pth, image_adapter_20.pth, also its --relu variant)
  - safetensors files
Several inputs are merged (e.g. the two adapter .pth files into one adapters file); a tensor name
found in two inputs is an error. Tensors keep their names (a module./state_dict. prefix common to a
file's keys is dropped) and their dtypes (OpenAI's fp16 stays fp16; aaclip widens it when it loads).
Legacy (pre-1.6, not zip) torch files are refused: re-save them with a current PyTorch.

The output is written atomically; its __metadata__ records the inputs (aaclip.converted_from: name,
format, tensor count, sha256) and, when one was inferred, the config (aaclip.open_clip_config).

A TorchScript archive carries no model config: convert infers open_clip's from the tensor shapes
(as open_clip's build_model_from_openai_state_dict does: 64-channel attention heads) and writes it
as open_clip_config.json next to --out, or to --config-out. --config-out also infers it for any
other CLIP state dict. OpenAI trained its models with QuickGELU, so the inferred config records
"quick_gelu": true for TorchScript input; the AA-CLIP reference, however, builds ViT-L-14-336 from
a config without it (exact GELU) and trained its adapters that way — pass --gelu exact to
reproduce the reference and to use its published adapters.

Options:
  --out <file>          the safetensors file to write (required; .safetensors)
  --config-out <file>   where to write the inferred open_clip_config.json (infers it for any CLIP input)
  --gelu quick|exact    the activation the inferred config records (default: quick for TorchScript
                        input, exact otherwise)

Examples:
  aaclip convert ViT-L-14-336px.pt --gelu exact --out model/open_clip_model.safetensors
  cp bpe_simple_vocab_16e6.txt.gz model/
  aaclip detect --model model --adapters adapters.safetensors --class-name "dark bottle" --out results bottle.png
  aaclip convert text_adapter.pth image_adapter_20.pth --out adapters.safetensors
  aaclip convert open_clip_pytorch_model.bin --out open_clip_model.safetensors`;

/** The config file convert writes beside its output when it infers one. */
export const INFERRED_CONFIG_NAME = 'open_clip_config.json';

export const convertCommand: Command = {
  name: 'convert',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' }, 'config-out': { type: 'string' }, gelu: { type: 'string' } },
    });
    const out = values.out;
    if (out === undefined) throw new AaclipError('is required (the safetensors file to write)', '--out');
    if (!out.endsWith('.safetensors')) throw new AaclipError(`"${out}" does not end in .safetensors`, '--out');
    if (positionals.length === 0) throw new AaclipError('expects at least one checkpoint (usage: aaclip convert <checkpoint...> --out <file.safetensors>)', 'convert');
    const gelu = values.gelu;
    if (gelu !== undefined && gelu !== 'quick' && gelu !== 'exact') throw new AaclipError(`"${gelu}" is not quick or exact`, '--gelu');
    const written = [out, values['config-out']].filter((f): f is string => f !== undefined).map((f) => path.resolve(f));
    for (const input of positionals) {
      if (written.includes(path.resolve(input))) throw new AaclipError('is both an input and an output', input);
    }

    const inputs: ConvertInput[] = [];
    for (const file of positionals) {
      const bytes = await readRegularFile(file, 'weights');
      inputs.push({ name: file, bytes, sha256: await nodeSha256(bytes) });
    }
    const converted = await convertCheckpoints(inputs, {
      inferConfig: values['config-out'] !== undefined ? 'always' : 'auto',
      ...(gelu !== undefined ? { quickGelu: gelu === 'quick' } : {}),
    });
    for (const s of converted.sources) console.log(`read ${s.name}: ${s.format}, ${s.tensors} tensors`);

    // Everything is built before anything is written; each file is written whole or not at all.
    const bytes = writeSafetensors(converted.tensors, convertedMetadata(converted), out);
    const configFile = converted.config ? (values['config-out'] ?? path.join(path.dirname(out), INFERRED_CONFIG_NAME)) : null;
    await writeFileAtomic(out, bytes);
    console.log(`wrote ${out} (${converted.tensors.size} tensors, ${formatBytes(bytes.length)})`);
    if (configFile && converted.config) {
      await writeFileAtomic(configFile, `${JSON.stringify(converted.config.json, null, 2)}\n`);
      const { vision_cfg: v, text_cfg: t, quick_gelu } = converted.config.parsed.model;
      console.log(
        `wrote ${configFile} (inferred: ViT width ${v.width}, ${v.layers} blocks, patch ${v.patch_size}, image ${v.image_size}; ` +
          `text width ${t.width}, ${t.layers} blocks; ${quick_gelu ? 'QuickGELU' : 'exact GELU'})`,
      );
    }
    if (converted.configProblem) console.error(`convert: no config written (${converted.configProblem}); give one with --model-config when you use these weights`);
    return 0;
  },
};
