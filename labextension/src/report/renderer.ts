/** The MIME renderer widgets JupyterLab creates for reports and `%%nl` answers. */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { NeuroLakeApi } from '../api/client';
import { INlAnswer, NL_MIME, renderAnswer } from '../nl/render';
import { renderReport } from './render';
import { ATTACHED_EVENT } from './table';
import { IReport, REPORT_MIME } from './types';

let api: NeuroLakeApi | null | undefined;

/** The REST client, for details the report lacks (none where the server has no extension). */
function sharedApi(): NeuroLakeApi | null {
  if (api === undefined) {
    try {
      api = new NeuroLakeApi();
    } catch {
      api = null;
    }
  }
  return api;
}

/** The MIME renderer JupyterLab instantiates for each report output. */
export class ReportWidget extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('nl-ReportWidget');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const report = model.data[this._mimeType] as unknown as IReport;
    this.node.replaceChildren(
      renderReport(report, this.node.ownerDocument, sharedApi())
    );
    this.node.dataset.renderedAt = String(performance.now());
    if (this.isAttached) {
      this._announce();
    }
    return Promise.resolve();
  }

  protected onAfterAttach(): void {
    this._announce();
  }

  /** Tells the tables they are in the page (they may ask the kernel for their first page). */
  private _announce(): void {
    this.node
      .querySelectorAll('.nl-result-table')
      .forEach(t => t.dispatchEvent(new Event(ATTACHED_EVENT)));
  }

  private _mimeType: string;
}

/** The renderer of `%%nl` answers. */
export class AnswerWidget extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('nl-AnswerWidget');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const answer = model.data[this._mimeType] as unknown as INlAnswer;
    this.node.replaceChildren(renderAnswer(answer));
    return Promise.resolve();
  }

  private _mimeType: string;
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [REPORT_MIME],
  createRenderer: options => new ReportWidget(options)
};

export const answerRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [NL_MIME],
  createRenderer: options => new AnswerWidget(options)
};
