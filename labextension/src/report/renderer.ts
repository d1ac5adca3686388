/** The MIME renderer widget JupyterLab creates for each report output. */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { renderReport } from './render';
import { IReport, REPORT_MIME } from './types';

/** The MIME renderer JupyterLab instantiates for each report output. */
export class ReportWidget extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('nl-ReportWidget');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const report = model.data[this._mimeType] as unknown as IReport;
    this.node.replaceChildren(renderReport(report, this.node.ownerDocument));
    return Promise.resolve();
  }

  private _mimeType: string;
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [REPORT_MIME],
  createRenderer: options => new ReportWidget(options)
};
