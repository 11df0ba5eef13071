import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import { hubEnvironment, MODEL_PRESETS, type HubFileProvenance } from '@aaclip/hub';
import type { Command } from './command.js';
import { isHubModelReference, pullHubModel } from '../options/hubModel.js';
import { formatBytes } from '../output/formatBytes.js';

const presetLines = MODEL_PRESETS.map((p) => `  ${p.name.padEnd(14)} ${p.description}\n  ${''.padEnd(14)} weights + config: ${p.model.repo}; tokenizer: ${p.tokenizer.repo}`).join('\n');

const USAGE = `Usage: aaclip pull <preset | org/name[@revision]> [--hub-cache <dir>] [--json]

Fetches a model from the Hugging Face hub into the hub cache, where \`--model <same name>\` in
detect, eval and train (and the Python tools) find it. From the repo's root it takes
open_clip_config.json, the weights (open_clip_model.safetensors, else open_clip_pytorch_model.bin),
AA-CLIP adapters when there (aaclip_adapters.safetensors or adapters.safetensors) and the
tokenizer (bpe_simple_vocab_16e6.txt.gz, or vocab.json + merges.txt; from the preset's tokenizer
repo, or openai/clip-vit-large-patch14, when the repo has none). Nothing else is downloaded.

The cache layout is huggingface_hub's (models--<org>--<name>/blobs, snapshots/<commit>,
refs/<revision>). A cut transfer is tried again and resumed (HTTP Range); every file is checked
against its sha256 (LFS) or git blob id before it is used; a pull of a cached revision transfers
nothing; with the hub out of reach a cached revision is used. A progress bar (bytes, rate) shows
on stderr when it is a terminal. Prints the files and where each came from (revision, commit,
URL, sha256), or that as JSON with --json.

Presets:
${presetLines}

Options:
  --hub-cache <dir>   the hub cache (default: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub)
  --json              print the files and their provenance as JSON on stdout

Environment (as the Hugging Face clients read it):
  HF_ENDPOINT         the hub's address (default https://huggingface.co)
  HF_TOKEN            an access token for gated or private repos (else the file HF_TOKEN_PATH or HF_HOME/token);
                      sent to the hub only, never to the hosts it redirects to
  HF_HUB_CACHE        the cache folder; HF_HOME its parent (default ~/.cache/huggingface)
  HF_HUB_OFFLINE=1    no request at all: the cache serves the model, or the pull fails saying so

Examples:
  aaclip pull ViT-L-14-336
  aaclip detect --model ViT-L-14-336 --class-name "dark bottle" --out results bottle.png
  aaclip pull timm/vit_base_patch16_clip_224.openai@main --json
  HF_HUB_OFFLINE=1 aaclip detect --model ViT-L-14-336 --out results bottle.png`;

function provenanceLine(role: string, p: HubFileProvenance): string {
  return `  ${role.padEnd(9)} ${p.repo}@${p.revision} (commit ${p.commit.slice(0, 12)}) ${p.file}  sha256 ${p.sha256}`;
}

export const pullCommand: Command = {
  name: 'pull',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { 'hub-cache': { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new AaclipError('expects one preset or repo id (usage: aaclip pull <preset | org/name[@revision]>)');
    const reference = positionals[0]!;
    if (!isHubModelReference(reference)) {
      throw new AaclipError(`not a preset (${MODEL_PRESETS.map((p) => p.name).join(', ')}) or a hub repo id (org/name[@revision])`, reference);
    }
    const hub = values['hub-cache'] !== undefined ? { cacheDir: values['hub-cache'] } : {};
    const model = await pullHubModel(reference, reference, hub);
    if (values.json) {
      console.log(JSON.stringify({ reference, cacheDir: hubEnvironment(process.env, hub).cacheDir, files: model.files, provenance: model.provenance, transferredBytes: model.transferredBytes }, null, 2));
      return 0;
    }
    const how = model.fromCache ? 'from the cache, without asking the hub' : model.transferredBytes > 0 ? `${formatBytes(model.transferredBytes)} downloaded` : 'already cached; nothing downloaded';
    console.log(`${reference}: ready (${how})`);
    for (const [role, p] of Object.entries(model.provenance)) if (p) console.log(provenanceLine(role, p));
    console.log(`Files:\n  config    ${model.files.modelConfig}\n  weights   ${model.files.weights}\n  vocab     ${model.files.vocab}${model.files.adapters.map((a) => `\n  adapters  ${a}`).join('')}`);
    const envPrefix = values['hub-cache'] !== undefined ? `HF_HUB_CACHE=${hubEnvironment(process.env, hub).cacheDir} ` : '';
    console.log(`Use it with: ${envPrefix}aaclip detect --model ${reference} ...`);
    return 0;
  },
};
