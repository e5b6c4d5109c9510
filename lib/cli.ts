/**
 * edge-classify <command> ...  — the command line.
 *   classify <files|dirs|globs>  (also the default: edge-classify <images...>)
 *   serve --model project/version=path ...
 *   info <model>
 *   bench [--model path]
 * Exit codes: 0 success, 1 a model or image failed, 2 bad usage. Errors go to stderr.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `Usage: edge-classify <command> [options]

Commands:
  classify <files|dirs|globs>   classify images, print Roboflow JSON (the default command)
  serve --model id=path ...     a local drop-in for Roboflow's classification HTTP API
  info <model>                  a model's metadata, input, classes, backend, device and build info
  bench [--model path]          the standard benchmark of a model on this machine

Run 'edge-classify <command> --help' for a command's options.
Exit codes: 0 success, 1 a model or image failed, 2 bad usage.`;

/** Parses a command's arguments; on bad usage prints why and the usage, and returns undefined. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string, command: string) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${usage}\n`);
      return { help: true as const };
    }
    return { help: false as const, values: parsed.values as { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K] extends { multiple: true } ? string[] : string }, positionals: parsed.positionals };
  } catch (error) {
    fail(`${command}: ${(error as Error).message}\n\n${usage}`);
    return undefined;
  }
}

export function fail(message: string): void {
  process.stderr.write(`edge-classify ${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'classify':
      return (await import('./cli-classify')).classifyCommand(rest);
    case 'serve':
      return (await import('./cli-serve')).serveCommand(rest);
    case 'info':
      return (await import('./cli-info')).infoCommand(rest);
    case 'bench':
      return (await import('./cli-bench')).benchCommand(rest);
    case undefined:
      process.stderr.write(`${USAGE}\n`);
      return EXIT.usage;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    default:
      return (await import('./cli-classify')).classifyCommand(argv);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      fail(`: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = EXIT.failed;
    },
  );
}
