export { main } from './main.js';
export { commands } from './commands/index.js';
export type { Command, CommandEntry } from './commands/command.js';
// Full-size random models for benchmarks (aaclip bench --random, scripts/bench-*.mjs).
export { RANDOM_MODEL_PRESETS, randomModelFiles, type RandomModelFiles, type RandomModelName } from './bench/randomClipModel.js';
