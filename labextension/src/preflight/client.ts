/**
 * The client of the kernel's `neurolake.preflight` comm (neurolake_lab/kernel/preflight.py).
 *
 * `update(code)` is called on every keystroke. It waits until typing pauses (`delay` ms), drops a
 * request the user typed past (only the newest text is sent; an answer to an older one is
 * ignored), sends nothing for plain Python or while the kernel is busy (so preflight never
 * queues behind a running cell; the text is sent once the kernel is idle again), and calls
 * `onResult` with the answer.
 */

import { CommsOverSubshells } from '@jupyterlab/services';

import { openComm } from '../kernel/channel';
import { ICompliance, ICost, ILineage } from '../report/types';

/** What the kernel answers (see `preflight_cell`). */
export interface IPreflightReply {
  id: number;
  /** `busy`: the message reached the kernel while a cell ran; nothing was computed. */
  kind: 'sql' | 'nl' | 'python' | 'error' | 'busy';
  ms?: number;
  result: IPreflightResult | null;
}

export interface IPreflightResult {
  cost?: ICost | null;
  lineage?: ILineage;
  compliance?: ICompliance;
  error?: { title?: string; message: string; hint?: string | null } | null;
  sql?: string | null;
  preflight_ms?: number;
  /** The result cache would answer the cell: nothing is read, `cost` is 0 ms (not predicted). */
  cached?: boolean;
}

/** The part of a comm the client uses (JupyterLab's `Kernel.IComm` fits). */
export interface IPreflightComm {
  readonly isDisposed: boolean;
  /** Where JupyterLab sends the comm's messages (NeuroLake's go to the main shell). */
  commsOverSubshells?: CommsOverSubshells;
  open(data?: unknown): unknown;
  send(data: unknown): unknown;
  close(): unknown;
  onMsg: (msg: { content: { data: unknown } }) => void | PromiseLike<void>;
}

/** The part of a kernel connection the client uses. */
export interface IPreflightKernel {
  readonly status: string;
  readonly isDisposed: boolean;
  createComm(target: string): IPreflightComm;
}

/** Where one answer's time went (the browser test and bench/README.md read it). */
export interface IPreflightTiming {
  changedAt: number;
  sentAt: number;
  receivedAt: number;
  kernelMs: number;
}

export const PREFLIGHT_TARGET = 'neurolake.preflight';
/** How often a busy kernel is looked at again, ms. */
export const BUSY_RETRY_MS = 250;

/** Whether a cell is one preflight reads: `%%sql`, `%%nl` or a `%sql` line. */
export function isNeuroLakeCell(code: string): boolean {
  const first = code.trimStart().split('\n', 1)[0];
  return /^%%(sql|nl)\b/.test(first) || /^%sql\s/.test(first);
}

export interface IPreflightOptions {
  /** Pause in typing before a request is sent, ms. */
  delay: number;
  onResult: (reply: IPreflightReply, code: string) => void;
  /** The cell is no longer one preflight reads (clear the bar). */
  onClear?: () => void;
}

export class PreflightClient {
  constructor(
    private readonly kernel: () => IPreflightKernel | null,
    private options: IPreflightOptions
  ) {}

  /** Requests sent (tests and the benchmark count them). */
  sent = 0;
  /** Answers ignored because newer text was already sent. */
  dropped = 0;
  /** Time the kernel spent answering, ms (what preflight added to its busy time). */
  kernelMs = 0;
  /**
   * Where the time of the last answer went, on the page's clock (`performance.now()`): when
   * the text last changed, when it was sent, when the answer came, and the kernel's own ms.
   */
  lastTiming: IPreflightTiming | null = null;

  set delay(ms: number) {
    this.options = { ...this.options, delay: ms };
  }

  /** The cell's text changed. */
  update(code: string): void {
    window.clearTimeout(this._timer);
    this._latest++; // an answer to anything sent before is now stale
    this._changedAt = performance.now();
    if (!isNeuroLakeCell(code)) {
      this.options.onClear?.();
      return;
    }
    const id = this._latest;
    this._timer = window.setTimeout(
      () => this._send(id, code),
      this.options.delay
    );
  }

  /** Stop: nothing pending is sent, no answer is delivered, the comm closes. */
  dispose(): void {
    window.clearTimeout(this._timer);
    this._latest++;
    if (this._comm && !this._comm.isDisposed) {
      this._comm.close();
    }
    this._comm = null;
  }

  private _send(id: number, code: string): void {
    const kernel = this.kernel();
    if (!kernel || kernel.isDisposed) {
      return;
    }
    if (kernel.status !== 'idle') {
      // silent while the kernel works (preflight must not queue behind a cell); the text
      // is looked at again once it is idle, unless the user typed on
      if (id === this._latest) {
        this._timer = window.setTimeout(
          () => this._send(id, code),
          BUSY_RETRY_MS
        );
      }
      return;
    }
    const comm = this._open(kernel);
    if (!comm) {
      return;
    }
    this._code.set(id, code);
    this._sentAt.set(id, [this._changedAt, performance.now()]);
    this.sent++;
    comm.send({ id, code });
  }

  private _open(kernel: IPreflightKernel): IPreflightComm | null {
    if (this._comm && !this._comm.isDisposed && this._commKernel === kernel) {
      return this._comm;
    }
    try {
      const comm = openComm(kernel, PREFLIGHT_TARGET, data =>
        this._receive(data as IPreflightReply)
      );
      this._comm = comm;
      this._commKernel = kernel;
      return comm;
    } catch {
      return null; // not a NeuroLake kernel (no such target): stay silent
    }
  }

  private _receive(reply: IPreflightReply): void {
    const receivedAt = performance.now();
    this.kernelMs += reply.ms ?? 0;
    const code = this._code.get(reply.id);
    const stamps = this._sentAt.get(reply.id);
    this._code.delete(reply.id);
    this._sentAt.delete(reply.id);
    if (reply.id !== this._latest || code === undefined) {
      this.dropped++;
      return;
    }
    if (reply.kind === 'busy') {
      // a cell was running when it arrived: ask again once the kernel is idle
      this._timer = window.setTimeout(
        () => this._send(reply.id, code),
        BUSY_RETRY_MS
      );
      return;
    }
    if (stamps) {
      this.lastTiming = {
        changedAt: stamps[0],
        sentAt: stamps[1],
        receivedAt,
        kernelMs: reply.ms ?? 0
      };
    }
    this.options.onResult(reply, code);
  }

  private _timer = 0;
  private _latest = 0;
  private _comm: IPreflightComm | null = null;
  private _commKernel: IPreflightKernel | null = null;
  private _code = new Map<number, string>();
  private _sentAt = new Map<number, [number, number]>();
  private _changedAt = 0;
}
