/**
 * What every command shares: exit codes, argument parsing with --help, and error output. Imports no
 * command (main.ts imports the commands; the commands import this).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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
