/** Putting text into the notebook's active cell (from the panels, the lineage graph, answers). */

import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

/** Inserts `text` at the cursor of the active cell; false when there is no notebook cell. */
export function insertAtCursor(
  tracker: INotebookTracker,
  text: string
): boolean {
  const cell = tracker.activeCell;
  const editor = cell?.editor;
  if (!cell || !editor) {
    return false;
  }
  editor.replaceSelection?.(text);
  editor.focus();
  return true;
}

/**
 * Puts a query into the active cell: an empty cell becomes a `%%sql` cell holding it, a `%%sql`
 * cell gets it at the cursor, any other cell gets a new `%%sql` cell below.
 */
export function insertQuery(tracker: INotebookTracker, sql: string): boolean {
  const panel = tracker.currentWidget;
  const cell = tracker.activeCell;
  if (!panel || !cell) {
    return false;
  }
  const source = cell.model.sharedModel.getSource();
  if (source.trim() === '') {
    cell.model.sharedModel.setSource(`%%sql\n${sql}`);
    return true;
  }
  if (source.trimStart().startsWith('%%sql')) {
    return insertAtCursor(tracker, sql);
  }
  return insertCellBelow(tracker, `%%sql\n${sql}`);
}

/** A new code cell holding `source` below the active cell, made active. */
export function insertCellBelow(
  tracker: INotebookTracker,
  source: string
): boolean {
  const panel = tracker.currentWidget;
  if (!panel) {
    return false;
  }
  NotebookActions.insertBelow(panel.content);
  const fresh = panel.content.activeCell;
  if (!fresh) {
    return false;
  }
  fresh.model.sharedModel.setSource(source);
  return true;
}
