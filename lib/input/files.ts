/**
 * Command-line image arguments -> image files: files as given, directories walked recursively
 * for image extensions, and `*` / `?` / `**` wildcards (expanded here, for shells that do not).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.bmp']);

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(full);
  }
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands arguments to files, in argument order; throws for an argument that matches nothing. */
export async function expandImages(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (/[*?]/.test(arg)) {
      const base = arg.slice(0, arg.search(/[*?]/)).replace(/[^/]*$/, '') || '.';
      const all: string[] = [];
      await walk(base, all);
      const re = globToRegExp(path.normalize(arg));
      const matched = all.filter((f) => re.test(path.normalize(f)));
      if (matched.length === 0) throw new Error(`no image matches '${arg}'`);
      out.push(...matched);
      continue;
    }
    const stat = await fs.stat(arg).catch(() => undefined);
    if (!stat) throw new Error(`'${arg}' does not exist`);
    if (stat.isDirectory()) {
      const before = out.length;
      await walk(arg, out);
      if (out.length === before) throw new Error(`directory '${arg}' holds no images (${[...IMAGE_EXTENSIONS].join(', ')})`);
    } else out.push(arg);
  }
  return out;
}
