/**
 * The designer's side pane for one pipeline: what it is, its runs with their incidents and the
 * Monitor's fixes (old and new SQL of a repair), and Run / Pause / Resume.
 */

import { h } from '../util/dom';
import { button } from './dom';
import { HEALTH_LABELS } from './graph';
import { IAction, IIncident, IPipelineDetail, IRun } from './types';

export type PipelineAction = 'run' | 'pause' | 'resume';

function fix(action: IAction): HTMLElement {
  const item = h(
    'li',
    { class: action.ok ? '' : 'nl-pl-failed-fix' },
    h('b', {}, action.kind),
    `: ${action.detail}`
  );
  if (action.old_sql || action.new_sql) {
    item.appendChild(
      h(
        'details',
        { 'data-neurolake': 'pipeline-repair' },
        h('summary', {}, 'old and new SQL'),
        h('div', { class: 'nl-pl-sql-label' }, 'before'),
        h('pre', { class: 'nl-pl-sql' }, action.old_sql ?? ''),
        h('div', { class: 'nl-pl-sql-label' }, 'after'),
        h('pre', { class: 'nl-pl-sql' }, action.new_sql ?? '')
      )
    );
  }
  return item;
}

function incident(found: IIncident): HTMLElement {
  return h(
    'div',
    {
      class: `nl-pl-incident nl-pl-incident-${found.status}`,
      'data-neurolake': 'pipeline-incident'
    },
    h(
      'div',
      {},
      h('b', {}, found.check + (found.cause ? ` (${found.cause})` : '')),
      ` — ${found.status}`
    ),
    h('div', {}, found.detail),
    found.actions.length ? h('ul', {}, ...found.actions.map(fix)) : null
  );
}

function runRow(run: IRun): HTMLElement {
  return h(
    'tr',
    { 'data-neurolake': 'pipeline-run', 'data-status': run.status },
    h('td', {}, (run.start ?? '').replace('T', ' ').replace('+00:00', 'Z')),
    h('td', {}, run.trigger),
    h('td', { class: `nl-pl-status nl-pl-status-${run.status}` }, run.status),
    h(
      'td',
      { class: 'nl-pl-num' },
      run.rows_written === null ? '–' : String(run.rows_written)
    ),
    h(
      'td',
      {},
      run.error ??
        (run.incidents.length ? `${run.incidents.length} incident(s)` : '')
    )
  );
}

/** The pane for one pipeline; `onAction` runs, pauses or resumes it. */
export function pipelinePane(
  detail: IPipelineDetail,
  onAction: (action: PipelineAction) => void
): HTMLElement {
  const p = detail.pipeline;
  const facts: [string, string][] = [
    [
      'writes',
      `${p.target} (${p.mode}${p.key.length ? ` on ${p.key.join(', ')}` : ''})`
    ],
    ['reads', p.sources.join(', ') || '–'],
    ['schedule', p.schedule ?? 'when asked'],
    ['owner', p.owner],
    ['status', p.status + (p.paused_reason ? ` — ${p.paused_reason}` : '')],
    ['SQL version', String(p.version)]
  ];
  const incidents = detail.history.flatMap(run => run.incidents);
  return h(
    'div',
    {
      class: 'nl-pl-pane',
      'data-neurolake': 'pipeline-detail',
      'data-name': p.name
    },
    h(
      'h3',
      {},
      p.name,
      ' ',
      h(
        'span',
        { class: `nl-pl-badge nl-pl-${p.health}` },
        HEALTH_LABELS[p.health]
      )
    ),
    h(
      'div',
      { class: 'nl-pl-actions' },
      button(
        'Run now',
        () => onAction('run'),
        { 'data-neurolake': 'pipeline-run-now' },
        true
      ),
      p.status === 'paused'
        ? button('Resume', () => onAction('resume'), {
            'data-neurolake': 'pipeline-resume'
          })
        : button('Pause', () => onAction('pause'), {
            'data-neurolake': 'pipeline-pause'
          })
    ),
    h(
      'table',
      { class: 'nl-pl-facts' },
      ...facts.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))
    ),
    p.question
      ? h('p', { class: 'nl-pl-question' }, `Built from: “${p.question}”`)
      : null,
    h('pre', { class: 'nl-pl-sql' }, p.sql),
    h('h4', {}, `Incidents (${incidents.length})`),
    incidents.length
      ? h(
          'div',
          { 'data-neurolake': 'pipeline-incidents' },
          ...incidents.map(incident)
        )
      : h(
          'p',
          { class: 'nl-pl-muted' },
          'None: the Monitor has had nothing to report.'
        ),
    h('h4', {}, `Runs (${detail.history.length})`),
    detail.history.length
      ? h(
          'table',
          { class: 'nl-pl-history', 'data-neurolake': 'pipeline-history' },
          h(
            'tr',
            {},
            ...['started', 'trigger', 'status', 'rows', 'note'].map(t =>
              h('th', {}, t)
            )
          ),
          ...detail.history.map(runRow)
        )
      : h('p', { class: 'nl-pl-muted' }, 'Not run yet.')
  );
}

/** The pane for a table node: which pipelines read and write it. */
export function tablePane(
  table: string,
  readers: string[],
  writers: string[]
): HTMLElement {
  return h(
    'div',
    {
      class: 'nl-pl-pane',
      'data-neurolake': 'pipeline-table',
      'data-name': table
    },
    h('h3', {}, table),
    h('p', {}, `Written by: ${writers.join(', ') || 'no pipeline'}`),
    h('p', {}, `Read by: ${readers.join(', ') || 'no pipeline'}`)
  );
}
