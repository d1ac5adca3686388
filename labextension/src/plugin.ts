/**
 * NeuroLake's notebook plugins: one puts a suggested rewrite into the cell whose report offered
 * it; the Pipeline Designer (`pipelines/plugin.ts`) draws the workspace's pipelines.
 *
 * A report's "apply" button sends a DOM event (the MIME renderer knows nothing of cells); this
 * plugin finds the notebook cell holding the button and replaces the cell's SQL with the rewrite,
 * keeping its magic line (`%%sql -o r` stays), so the user re-runs the cheaper query with one key.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';

import { designerPlugin } from './pipelines/plugin';
import { withRewrite } from './report/rewrite';
import { APPLY_REWRITE_EVENT } from './report/strip';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'neurolake-lab:apply-rewrite',
  description:
    'Applies the cost model suggestions of a NeuroLake report to its cell.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    document.addEventListener(APPLY_REWRITE_EVENT, event => {
      const target = event.target as Node | null;
      const sql = (event as CustomEvent<{ sql: string }>).detail?.sql;
      if (!target || !sql) {
        return;
      }
      tracker.forEach(panel => {
        for (const cell of panel.content.widgets) {
          if (cell.node.contains(target)) {
            const source = cell.model.sharedModel.getSource();
            cell.model.sharedModel.setSource(withRewrite(source, sql));
            panel.content.activeCellIndex = panel.content.widgets.indexOf(cell);
          }
        }
      });
    });
  }
};

export default [plugin, designerPlugin];
