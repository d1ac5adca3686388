/**
 * Request/answer over a kernel comm target (`neurolake.results`, `neurolake.feedback`): each
 * request carries an id, the kernel's answer carries it back.
 */

import { CommsOverSubshells } from '@jupyterlab/services';

import type { IPreflightComm, IPreflightKernel } from '../preflight/client';

/**
 * Opens a comm to one of NeuroLake's targets, on the kernel's main shell. JupyterLab would send
 * a comm's messages to a subshell, where ipykernel handles them on another thread beside a
 * running cell; the kernel's session is one DuckDB connection, so its comms queue behind cells
 * like any request (the kernel also refuses to serve them beside a cell: kernel/comms.py).
 */
export function openComm(
  kernel: IPreflightKernel,
  target: string,
  onMsg: (data: unknown) => void
): IPreflightComm {
  const comm = kernel.createComm(target);
  comm.commsOverSubshells = CommsOverSubshells.Disabled;
  comm.onMsg = msg => onMsg(msg.content.data);
  comm.open({});
  return comm;
}

export class KernelChannel {
  constructor(
    private readonly target: string,
    private readonly kernel: () => IPreflightKernel | null
  ) {}

  request<T>(data: Record<string, unknown>, timeoutMs = 30000): Promise<T> {
    const kernel = this.kernel();
    if (!kernel || kernel.isDisposed) {
      return Promise.reject(new Error('the notebook has no running kernel'));
    }
    const comm = this._open(kernel);
    const id = ++this._next;
    return new Promise<T>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this._pending.delete(id);
        reject(new Error('the kernel did not answer (busy with a cell?)'));
      }, timeoutMs);
      this._pending.set(id, reply => {
        window.clearTimeout(timer);
        resolve(reply as T);
      });
      comm.send({ ...data, id });
    });
  }

  dispose(): void {
    if (this._comm && !this._comm.isDisposed) {
      this._comm.close();
    }
    this._comm = null;
  }

  private _open(kernel: IPreflightKernel): IPreflightComm {
    if (this._comm && !this._comm.isDisposed && this._kernel === kernel) {
      return this._comm;
    }
    const comm = openComm(kernel, this.target, data => {
      const reply = data as { id: number };
      const done = this._pending.get(reply.id);
      this._pending.delete(reply.id);
      done?.(reply);
    });
    this._comm = comm;
    this._kernel = kernel;
    return comm;
  }

  private _next = 0;
  private _comm: IPreflightComm | null = null;
  private _kernel: IPreflightKernel | null = null;
  private _pending = new Map<number, (reply: unknown) => void>();
}
