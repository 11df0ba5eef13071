export { main } from './main.js';
export { commands } from './commands/index.js';
export type { Command } from './commands/command.js';
