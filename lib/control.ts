/**
 * Per-call cancellation: an AbortSignal and/or a timeout turn into a typed
 * rejection at once, and tell the native queue to drop the call if its batch
 * has not started. Work already running finishes; its result is discarded.
 */
import { performance } from 'node:perf_hooks';
import { AbortedError, EdgeClassifyError, TimeoutError } from './errors';

export class CallControl {
  #reason: EdgeClassifyError | undefined;
  readonly #listeners = new Set<(reason: EdgeClassifyError) => void>();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #deadline: number | undefined;

  /** The control of a call without signal or timeout: it never fires, and race() adds nothing. */
  static readonly NONE = new CallControl(undefined, undefined);

  /** NONE when there is neither signal nor timeout. */
  static of(signal: AbortSignal | undefined, timeoutMs: number | undefined): CallControl {
    return signal === undefined && timeoutMs === undefined ? CallControl.NONE : new CallControl(signal, timeoutMs);
  }

  constructor(signal: AbortSignal | undefined, timeoutMs: number | undefined) {
    if (signal) {
      const aborted = () => new AbortedError(`the call was aborted: ${String(signal.reason)}`, { cause: signal.reason });
      if (signal.aborted) {
        this.#reason = aborted();
      } else {
        this.#signal = signal;
        this.#onAbort = () => this.#fire(aborted());
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    }
    if (timeoutMs !== undefined && this.#reason === undefined) {
      this.#deadline = performance.now() + timeoutMs;
      this.#timer = setTimeout(() => this.#fire(new TimeoutError(`the call did not finish within timeoutMs = ${timeoutMs} ms`)), timeoutMs);
    }
  }

  /** Milliseconds left before the timeout (undefined without one). */
  remainingMs(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(0, this.#deadline - performance.now());
  }

  /** Throws the abort or timeout error once there is one. */
  check(): void {
    if (this.#reason) throw this.#reason;
  }

  /** `work`, unless the call is aborted or times out first (then `cancel` runs and the call rejects). */
  race<T>(work: Promise<T>, cancel?: () => void): Promise<T> {
    if (this.#reason === undefined && this.#signal === undefined && this.#timer === undefined) return work; // can never fire
    return new Promise<T>((resolve, reject) => {
      if (this.#reason) {
        cancel?.();
        work.catch(() => undefined); // settles later; nobody waits for it
        reject(this.#reason);
        return;
      }
      const onFire = (reason: EdgeClassifyError) => {
        cancel?.();
        reject(reason);
      };
      this.#listeners.add(onFire);
      work.then(
        (value) => {
          this.#listeners.delete(onFire);
          resolve(value);
        },
        (error: unknown) => {
          this.#listeners.delete(onFire);
          reject(error);
        },
      );
    });
  }

  /** Removes the listener and the timer. */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#signal && this.#onAbort) this.#signal.removeEventListener('abort', this.#onAbort);
  }

  #fire(reason: EdgeClassifyError): void {
    if (this.#reason) return;
    this.#reason = reason;
    for (const listener of [...this.#listeners]) listener(reason);
    this.#listeners.clear();
  }
}
