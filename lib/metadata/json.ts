/** JSON of a model's files, parsed with a ModelLoadError that names the file. */
import { ModelLoadError } from '../errors';

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`invalid JSON in ${where}: ${(error as Error).message}`, { cause: error });
  }
}
