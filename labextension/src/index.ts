/** NeuroLake Lab's JupyterLab extension: renders cell reports and `%%nl` answers beside cells. */

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { answerRendererFactory, rendererFactory } from './report/renderer';
import { REPORT_MIME } from './report/types';

export * from './report/types';
export { renderReport } from './report/render';
export { ReportWidget } from './report/renderer';
export { STRIP_SECTIONS, stripItems } from './report/strip';

const extensions: IRenderMime.IExtension[] = [
  {
    id: 'neurolake-lab:report',
    description:
      'Renders NeuroLake cell reports: result pages, strip, lineage graph.',
    rendererFactory,
    // rank 0: preferred over the text/html fallback the kernel sends alongside
    rank: 0,
    dataType: 'json',
    documentWidgetFactoryOptions: []
  },
  {
    id: 'neurolake-lab:nl-answer',
    description:
      'Renders %%nl answers: intent, SQL, explanation, Accept/Reject.',
    rendererFactory: answerRendererFactory,
    rank: 0,
    dataType: 'json',
    documentWidgetFactoryOptions: []
  }
];

export default extensions;

export { REPORT_MIME as MIME_TYPE };
