/** NeuroLake Lab's JupyterLab extension: renders cell reports beside notebook cells. */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { rendererFactory } from './report/renderer';
import { REPORT_MIME } from './report/types';

export * from './report/types';
export { renderReport } from './report/render';
export { ReportWidget } from './report/renderer';
export { STRIP_SECTIONS, stripItems } from './report/strip';

const extension: IRenderMime.IExtension = {
  id: 'neurolake-lab:report',
  description:
    'Renders NeuroLake cell reports: result preview, row count and time.',
  rendererFactory,
  // rank 0: preferred over the text/html fallback the kernel sends alongside
  rank: 0,
  dataType: 'json',
  documentWidgetFactoryOptions: []
};

export default extension;

export { REPORT_MIME as MIME_TYPE };
