import { readFileSync } from 'node:fs';
import { commands } from './commands/index.js';

/** The version of @aaclip/cli, from its package.json (beside src/ and dist/ alike). */
function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function topLevelHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'aaclip — zero-shot visual anomaly detection (AA-CLIP on ONNX Runtime)',
    '',
    'Usage: aaclip <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `aaclip <command> --help` for the options of a command, `aaclip --version` for the version.',
  ].join('\n');
}

/** Runs the CLI; every failure is reported as one line on stderr with a non-zero exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topLevelHelp());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-V') {
    console.log(`aaclip ${cliVersion()} (node ${process.versions.node})`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    console.error(`aaclip: unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')})`);
    return 2;
  }
  try {
    // Loading the command's module may fail too (a native package that cannot load here): one line.
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(command.usage);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`aaclip ${name}: ${message.split('\n')[0]}`);
    if (process.env.AACLIP_DEBUG && err instanceof Error) console.error(err.stack);
    return 1;
  }
}
