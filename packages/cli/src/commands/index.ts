import type { Command } from './command.js';
import { detectCommand } from './detect.js';
import { evalCommand } from './eval.js';
import { datasetsCommand } from './datasets.js';
import { trainCommand } from './train.js';
import { serveCommand } from './serve.js';
import { benchCommand } from './bench.js';
import { pullCommand } from './pull.js';
import { workerCommand, submitCommand, collectCommand } from './queueCommands.js';
import { exportCommand } from './export.js';
import { infoCommand } from './info.js';
import { convertCommand } from './convert.js';

// Every sub-command of `aaclip`, in the order `aaclip --help` lists them.
export const commands: Command[] = [detectCommand, evalCommand, trainCommand, serveCommand, datasetsCommand, benchCommand, pullCommand, workerCommand, submitCommand, collectCommand, exportCommand, infoCommand, convertCommand];
