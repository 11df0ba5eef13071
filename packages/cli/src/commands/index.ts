import type { CommandEntry } from './command.js';

// Every sub-command of `aaclip`, in the order `aaclip --help` lists them. A command's module (and
// the packages it needs: onnxruntime, Fastify, BullMQ…) loads only when that command runs or shows
// its help, so `aaclip pull` or `aaclip info` does not pay for the runtimes it never uses.
export const commands: readonly CommandEntry[] = [
  { name: 'detect', summary: 'score images and write anomaly maps, scores and heatmaps', load: async () => (await import('./detect.js')).detectCommand },
  { name: 'eval', summary: 'evaluate on a dataset: metrics.json, metrics.csv, report.md, report.html', load: async () => (await import('./eval.js')).evalCommand },
  { name: 'train', summary: 'train the AA-CLIP adapters (stage 1 text, stage 2 image) on a dataset', load: async () => (await import('./train.js')).trainCommand },
  { name: 'serve', summary: 'serve the model over HTTP (inspection service)', load: async () => (await import('./serve.js')).serveCommand },
  { name: 'datasets', summary: 'list dataset kinds, check a dataset, write a (few-shot) JSONL manifest, generate a synthetic dataset', load: async () => (await import('./datasets.js')).datasetsCommand },
  { name: 'bench', summary: 'measure start-up, images per second, stage times, memory and the GEMM rate', load: async () => (await import('./bench.js')).benchCommand },
  { name: 'pull', summary: 'fetch a model (preset or Hugging Face repo id) into the hub cache', load: async () => (await import('./pull.js')).pullCommand },
  { name: 'worker', summary: 'score the images queued on a Redis server (BullMQ), until stopped', load: async () => (await import('./worker.js')).workerCommand },
  { name: 'submit', summary: 'queue images for workers on a Redis server; wait and write scores and maps', load: async () => (await import('./submit.js')).submitCommand },
  { name: 'collect', summary: 'wait for the images an earlier submit queued and write their scores and maps', load: async () => (await import('./collect.js')).collectCommand },
  { name: 'export', summary: 'export a self-contained bundle: ONNX graphs, tokenizer, anchors, manifest', load: async () => (await import('./export.js')).exportCommand },
  { name: 'info', summary: 'show a model card: backbone, image size, adapters, precision, files and their sha256', load: async () => (await import('./info.js')).infoCommand },
  { name: 'convert', summary: 'convert checkpoints (open_clip .bin, OpenAI TorchScript .pt, adapter .pth) to safetensors', load: async () => (await import('./convert.js')).convertCommand },
];
