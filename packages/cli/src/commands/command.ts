/** One `aaclip <name>` sub-command, once its module is loaded. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * A sub-command as `aaclip --help` lists it. `load` imports the command's module, and with it the
 * packages that command needs, only when it runs or shows its help.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}
