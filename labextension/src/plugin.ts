/**
 * NeuroLake's front-end plugins (JupyterLab 4 and Notebook 7):
 *
 * * `apply-rewrite` puts a suggested rewrite into the cell whose report offered it;
 * * `notebook` answers what the renderers ask of the notebook and its kernel: result pages,
 *   Accept/Reject of `%%nl` answers, "Insert as %%sql cell below";
 * * `preflight` shows preflight while typing and the running bar (elapsed, Cancel), with the
 *   settings from JupyterLab's settings registry;
 * * `panels` adds the Lakehouse (left) and Governance (right) sidebars where the shell has them;
 * * `pipeline-designer` (`pipelines/plugin.ts`) draws the workspace's pipelines as a graph and
 *   writes `%%pipeline` cells.
 *
 * The renderers know nothing of cells or kernels: they send DOM events that bubble up to the
 * notebook, and these plugins find the cell and the kernel of the event's target.
 */

import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ICodeCellModel } from '@jupyterlab/cells';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { NeuroLakeApi } from './api/client';
import { KernelChannel } from './kernel/channel';
import {
  FEEDBACK_EVENT,
  IFeedbackDetail,
  INSERT_CELL_EVENT
} from './nl/render';
import { GovernancePanel } from './panels/governance';
import { LakehousePanel } from './panels/lakehouse';
import { IPreflightKernel } from './preflight/client';
import { designerPlugin } from './pipelines/plugin';
import { PREFLIGHT_DELAY_MS, PreflightManager } from './preflight/plugin';
import { isWrite } from './report/render';
import { withRewrite } from './report/rewrite';
import { rendererSettings } from './report/settings';
import { APPLY_REWRITE_EVENT } from './report/strip';
import { IPage, IPageEventDetail, PAGE_EVENT } from './report/table';
import { REPORT_MIME } from './report/types';
import { insertAtCursor, insertCellBelow, insertQuery } from './util/cells';

const PLUGIN_ID = 'neurolake-lab:plugin';

/** The notebook panel and cell index holding `target` (a node inside a cell's output). */
function cellOf(
  tracker: INotebookTracker,
  target: Node
): { panel: NotebookPanel; index: number } | null {
  let found: { panel: NotebookPanel; index: number } | null = null;
  tracker.forEach(panel => {
    panel.content.widgets.forEach((cell, index) => {
      if (!found && cell.node.contains(target)) {
        found = { panel, index };
      }
    });
  });
  return found;
}

function kernelOf(panel: NotebookPanel): () => IPreflightKernel | null {
  return () =>
    (panel.sessionContext.session?.kernel ?? null) as IPreflightKernel | null;
}

const applyRewrite: JupyterFrontEndPlugin<void> = {
  id: 'neurolake-lab:apply-rewrite',
  description:
    'Applies the cost model suggestions of a NeuroLake report to its cell.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    document.addEventListener(APPLY_REWRITE_EVENT, event => {
      const sql = (event as CustomEvent<{ sql: string }>).detail?.sql;
      const where = event.target ? cellOf(tracker, event.target as Node) : null;
      if (!where || !sql) {
        return;
      }
      const cell = where.panel.content.widgets[where.index];
      cell.model.sharedModel.setSource(
        withRewrite(cell.model.sharedModel.getSource(), sql)
      );
      where.panel.content.activeCellIndex = where.index;
    });
  }
};

const notebookBridge: JupyterFrontEndPlugin<void> = {
  id: 'neurolake-lab:notebook',
  description:
    'Result pages, %%nl feedback and cell insertion for the NeuroLake renderers.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const channels = new Map<string, KernelChannel>();
    const channel = (panel: NotebookPanel, target: string) => {
      const key = `${panel.id}:${target}`;
      let found = channels.get(key);
      if (!found) {
        found = new KernelChannel(target, kernelOf(panel));
        channels.set(key, found);
        panel.sessionContext.kernelChanged.connect(() => found?.dispose());
        panel.disposed.connect(() => {
          found?.dispose();
          channels.delete(key);
        });
      }
      return found;
    };
    document.addEventListener(PAGE_EVENT, event => {
      const detail = (event as CustomEvent<IPageEventDetail>).detail;
      const where = event.target ? cellOf(tracker, event.target as Node) : null;
      if (!where) {
        return;
      }
      detail.handled = true;
      const { resultId, offset, limit, sort } = detail.request;
      channel(where.panel, 'neurolake.results')
        .request<IPage & { error?: string }>({
          result_id: resultId,
          offset,
          limit,
          sort
        })
        .then(reply =>
          reply.error ? detail.fail(reply.error) : detail.respond(reply)
        )
        .catch((err: Error) => detail.fail(err.message));
    });
    document.addEventListener(FEEDBACK_EVENT, event => {
      const detail = (event as CustomEvent<IFeedbackDetail>).detail;
      const where = event.target ? cellOf(tracker, event.target as Node) : null;
      if (!where) {
        return;
      }
      detail.handled = true;
      channel(where.panel, 'neurolake.feedback')
        .request<{ ok: boolean; message: string }>({
          answer_id: detail.answerId,
          verdict: detail.verdict
        })
        .then(reply => detail.respond(reply.ok, reply.message))
        .catch((err: Error) => detail.respond(false, err.message));
    });
    document.addEventListener(INSERT_CELL_EVENT, event => {
      const source = (event as CustomEvent<{ source: string }>).detail?.source;
      const where = event.target ? cellOf(tracker, event.target as Node) : null;
      if (!where || !source) {
        return;
      }
      where.panel.content.activeCellIndex = where.index;
      insertCellBelow(tracker, source);
    });
  }
};

const preflight: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Preflight beside NeuroLake cells while typing, elapsed time and Cancel while they run.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry],
  activate: (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    registry: ISettingRegistry | null
  ) => {
    const manager = new PreflightManager(tracker, {
      enabled: true,
      delay: PREFLIGHT_DELAY_MS
    });
    const apply = (settings: ISettingRegistry.ISettings) => {
      manager.configure({
        enabled: settings.get('preflight').composite as boolean,
        delay: settings.get('preflightDelay').composite as number
      });
      rendererSettings.pageSize = settings.get('pageSize').composite as number;
    };
    if (registry) {
      void registry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason =>
          console.warn('NeuroLake settings could not be loaded', reason)
        );
    }
  }
};

const lakehouseIcon = new LabIcon({
  name: 'neurolake:lakehouse',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 7v4c0 1.7 3.6 3 8 3s8-1.3 8-3V7c0 1.7-3.6 3-8 3S4 8.7 4 7z"/><path d="M4 13v4c0 1.7 3.6 3 8 3s8-1.3 8-3v-4c0 1.7-3.6 3-8 3s-8-1.3-8-3z"/></g></svg>'
});
const governanceIcon = new LabIcon({
  name: 'neurolake:governance',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm-1.2 14.2-3.5-3.5 1.4-1.4 2.1 2.1 4.9-4.9 1.4 1.4-6.3 6.3z"/></svg>'
});

/** Whether a cell's outputs hold a report of a statement that changed a table. */
function wroteTable(panel: NotebookPanel, index: number): boolean {
  const model = panel.content.widgets[index]?.model;
  if (!model || model.type !== 'code') {
    return false;
  }
  const outputs = (model as ICodeCellModel).outputs;
  for (let i = 0; i < outputs.length; i++) {
    const data = outputs.get(i).data[REPORT_MIME] as
      { statement_type?: string } | undefined;
    if (data && isWrite(data)) {
      return true;
    }
  }
  return false;
}

const panels: JupyterFrontEndPlugin<void> = {
  id: 'neurolake-lab:panels',
  description:
    'The Lakehouse and Governance sidebars, reading the /neurolake/api/ REST API.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILabShell],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const api = new NeuroLakeApi();
    const lakehouse = new LakehousePanel(api, {
      insertName: name => void insertAtCursor(tracker, name),
      insertQuery: sql => void insertQuery(tracker, sql)
    });
    lakehouse.title.icon = lakehouseIcon;
    const governance = new GovernancePanel(api);
    governance.title.icon = governanceIcon;
    lakehouse.selected.connect((_, table) => void governance.showPii(table));
    try {
      app.shell.add(lakehouse, 'left', { rank: 150 });
      app.shell.add(governance, 'right', { rank: 150 });
    } catch (err) {
      console.info('NeuroLake: this shell has no side panels', err);
      return;
    }
    let timer = 0;
    NotebookActions.executed.connect((_, { notebook, cell }) => {
      const panel = tracker.find(p => p.content === notebook);
      const wrote = panel
        ? wroteTable(panel, notebook.widgets.indexOf(cell))
        : false;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        if (governance.isVisible) {
          void governance.refreshAudit();
        }
        if (wrote && lakehouse.isVisible) {
          void lakehouse.refresh();
        }
      }, 300);
    });
  }
};

export default [
  applyRewrite,
  notebookBridge,
  preflight,
  panels,
  designerPlugin
];
