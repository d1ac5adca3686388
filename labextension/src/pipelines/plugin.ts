/**
 * The Pipeline Designer plugin: a command (palette: "NeuroLake: Pipeline Designer") opening the
 * designer in the main area, the notebook it writes `%%pipeline` cells into (the active one),
 * and a refresh whenever a notebook cell has run.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

import { insertCellBelow } from '../util/cells';
import { PipelineApi } from './api';
import { PipelineDesigner } from './designer';

export const OPEN_DESIGNER = 'neurolake:open-pipeline-designer';

export const designerPlugin: JupyterFrontEndPlugin<void> = {
  id: 'neurolake-lab:pipeline-designer',
  description:
    'Draws the workspace pipelines as a graph and writes %%pipeline cells.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const api = new PipelineApi();
    const tracker = new WidgetTracker<MainAreaWidget<PipelineDesigner>>({
      namespace: 'neurolake-pipelines'
    });
    let current: MainAreaWidget<PipelineDesigner> | null = null;

    const insert = async (text: string, run: boolean): Promise<string> => {
      const panel = notebooks.currentWidget;
      if (!panel) {
        throw new Error(
          'Open a notebook first: the pipeline is written into it as a cell.'
        );
      }
      insertCellBelow(notebooks, text);
      if (run) {
        await NotebookActions.run(panel.content, panel.sessionContext);
      }
      return panel.title.label;
    };

    app.commands.addCommand(OPEN_DESIGNER, {
      label: 'NeuroLake: Pipeline Designer',
      caption:
        'Pipelines as a graph: health, runs, incidents; new %%pipeline cells',
      execute: () => {
        if (!current || current.isDisposed) {
          current = new MainAreaWidget({
            content: new PipelineDesigner(api, insert)
          });
          current.id = 'neurolake-pipeline-designer-panel';
          void tracker.add(current);
        }
        if (!current.isAttached) {
          app.shell.add(current, 'main', { mode: 'split-right' });
        }
        app.shell.activateById(current.id);
      }
    });
    palette?.addItem({ command: OPEN_DESIGNER, category: 'NeuroLake' });
    if (restorer) {
      void restorer.restore(tracker, {
        command: OPEN_DESIGNER,
        name: () => 'designer'
      });
    }
    NotebookActions.executed.connect(() => {
      if (current && !current.isDisposed) {
        current.content.refreshSoon();
      }
    });
  }
};
