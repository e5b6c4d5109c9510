/**
 * The server's models, by "project/version", as Roboflow's model manager has them: the ones it was
 * started with, and the ones it loads itself from `--models-dir <dir>/<project>/<version>` on
 * `POST /model/add`. One owner each: a model given to createServer stays its caller's (removing it
 * only unregisters it; the caller disposes it); a model the registry loaded is the registry's, disposed
 * when it is removed, cleared or the server closes. Client-named ids resolve only inside the models dir.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Model } from '../model';
import { HttpError } from './http-error';

/** One path segment of a model id: no separators, no "." or "..". */
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;

export class ModelRegistry {
  readonly #given: ReadonlyMap<string, Model>;
  readonly #loaded = new Map<string, Model>();
  readonly #owned = new Set<Model>();
  readonly #loading = new Map<string, Promise<Model>>();
  readonly #modelsDir: string | undefined;
  readonly #load: ((file: string) => Promise<Model>) | undefined;

  constructor(given: Record<string, Model>, options: { modelsDir?: string; load?: (file: string) => Promise<Model> } = {}) {
    this.#given = new Map(Object.entries(given));
    for (const [id, model] of this.#given) this.#loaded.set(id, model);
    this.#modelsDir = options.modelsDir === undefined ? undefined : realpathSync(options.modelsDir);
    this.#load = options.load;
  }

  /** The loaded model of `id`, or undefined. */
  get(id: string): Model | undefined {
    return this.#loaded.get(id);
  }

  ids(): string[] {
    return [...this.#loaded.keys()];
  }

  entries(): [string, Model][] {
    return [...this.#loaded.entries()];
  }

  /**
   * Registers `id`: a model already loaded, one the server was started with, or the package at
   * `<models dir>/<project>/<version>`; 404 when there is none.
   */
  async add(id: string): Promise<Model> {
    const loaded = this.#loaded.get(id);
    if (loaded) return loaded;
    const given = this.#given.get(id);
    if (given) {
      this.#loaded.set(id, given);
      return given;
    }
    const pending = this.#loading.get(id);
    if (pending) return pending;
    const file = this.#packagePath(id);
    if (!file || !this.#load) throw new HttpError(404, `no model '${id}' here; this server has: ${this.ids().join(', ') || 'none'}${this.#modelsDir ? ` (and loads project/version folders from its models dir)` : ''}`);
    const loading = this.#load(file).then((model) => {
      this.#owned.add(model);
      this.#loaded.set(id, model);
      return model;
    });
    this.#loading.set(id, loading);
    try {
      return await loading;
    } finally {
      this.#loading.delete(id);
    }
  }

  /** Unregisters `id` (disposing it when the registry loaded it); false when it was not loaded. */
  async remove(id: string): Promise<boolean> {
    const model = this.#loaded.get(id);
    if (!model) return false;
    this.#loaded.delete(id);
    if (this.#owned.delete(model)) await model.dispose();
    return true;
  }

  async clear(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.remove(id)));
  }

  /** Disposes what the registry loaded (models given to it stay their caller's). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.all([...this.#owned].map((m) => m.dispose()));
    this.#owned.clear();
    this.#loaded.clear();
  }

  /** `<models dir>/<project>/<version>` when it exists and stays inside the models dir (no traversal, no symlink out). */
  #packagePath(id: string): string | undefined {
    if (!this.#modelsDir) return undefined;
    const [project, version, ...rest] = id.split('/');
    if (rest.length > 0 || !SEGMENT.test(project ?? '') || !SEGMENT.test(version ?? '')) return undefined;
    const candidate = path.join(this.#modelsDir, project, version);
    if (!existsSync(candidate)) return undefined;
    const real = realpathSync(candidate);
    return real.startsWith(this.#modelsDir + path.sep) ? real : undefined;
  }
}
