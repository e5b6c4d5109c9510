/**
 * Option validation, done in TypeScript before anything crosses into C++.
 * One message format everywhere: "Expected <what> for <name> but received <value>".
 */
import { InvalidOptionError } from '../errors';

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}' (string)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${String(value)} (${typeof value})`;
}

export function invalid(name: string, expected: string, actual: unknown): InvalidOptionError {
  return new InvalidOptionError(`Expected ${expected} for ${name} but received ${describe(actual)}`);
}

/** Throws on keys that are not in `allowed`, suggesting the closest match for a misspelling. */
export function checkKeys(name: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase() || a.replace(/[-_]/g, '') === key.replace(/[-_]/g, ''));
    throw new InvalidOptionError(
      `Unknown option ${name}.${key}${near ? ` (did you mean ${near}?)` : ''}; allowed: ${allowed.join(', ')}`,
    );
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function optionsObject(name: string, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalid(name, 'an object', value);
  checkKeys(name, value, allowed);
  return value;
}

export function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `an integer between ${min} and ${max}`, value);
  }
  return value;
}

export function number(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(name, `a number between ${min} and ${max}`, value);
  }
  return value;
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalid(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
  return value;
}
