/**
 * "New pipeline": pick sources, write or ask for the SQL, choose the target and the mode; the
 * result is a `%%pipeline` cell in the active notebook (optionally run at once), never a
 * pipeline created behind the notebook's back.
 */

import { PipelineApi } from './api';
import { checkSpec, IPipelineSpec, pipelineCell, starterSql } from './cell';
import { h } from '../util/dom';
import { button } from './dom';
import { Mode } from './types';

/** Puts the cell into the active notebook (and runs it); the notebook's name, or throws. */
export type InsertCell = (text: string, run: boolean) => Promise<string>;

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'nl-pl-field' }, h('span', {}, label), input);
}

export function newPipelineForm(
  api: PipelineApi,
  insert: InsertCell
): HTMLElement {
  const name = h('input', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-name',
    placeholder: 'daily_totals'
  });
  const into = h('input', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-into',
    placeholder: 'mart.totals'
  });
  const mode = h('select', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-mode'
  });
  for (const m of ['append', 'overwrite', 'merge']) {
    mode.appendChild(h('option', { value: m }, m));
  }
  const key = h('input', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-key',
    placeholder: 'id (merge only)'
  });
  const schedule = h('input', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-schedule',
    placeholder: 'every 1h, daily at 02:00, 0 6 * * *'
  });
  const question = h('input', {
    class: 'jp-mod-styled',
    'data-neurolake': 'new-question',
    placeholder: 'or ask: total amount per customer'
  });
  const sql = h('textarea', {
    class: 'jp-mod-styled nl-pl-sql-input',
    'data-neurolake': 'new-sql',
    rows: '7',
    spellcheck: 'false'
  });
  const sources = h(
    'div',
    { class: 'nl-pl-sources', 'data-neurolake': 'new-sources' },
    'loading tables…'
  );
  const message = h('div', {
    class: 'nl-pl-message',
    'data-neurolake': 'new-message',
    role: 'status'
  });
  let asked = '';
  const picked: string[] = [];

  const say = (text: string, error = false): void => {
    message.textContent = text;
    message.classList.toggle('nl-pl-error', error);
  };

  api.tables().then(
    tables => {
      sources.textContent = '';
      if (!tables.length) {
        sources.textContent = 'No Iceberg tables yet.';
      }
      for (const table of tables) {
        const box = h('input', {
          type: 'checkbox',
          value: table,
          'data-neurolake': 'new-source'
        });
        box.addEventListener('change', () => {
          const at = picked.indexOf(table);
          if (box.checked && at < 0) {
            picked.push(table);
          } else if (!box.checked && at >= 0) {
            picked.splice(at, 1);
          }
          if (!sql.value.trim() || sql.dataset.starter === 'yes') {
            sql.value = starterSql(picked);
            sql.dataset.starter = 'yes';
          }
        });
        sources.appendChild(
          h('label', { class: 'nl-pl-source' }, box, ` ${table}`)
        );
      }
    },
    err => {
      sources.textContent = `Cannot list tables: ${err.message}`;
    }
  );
  sql.addEventListener('input', () => {
    sql.dataset.starter = 'no';
  });

  const ask = async (): Promise<void> => {
    const text = question.value.trim();
    if (!text) {
      say('Write a question first.', true);
      return;
    }
    say('Asking…');
    try {
      const answer = await api.sqlFor(text);
      sql.value = answer.sql;
      sql.dataset.starter = 'no';
      asked = text;
      say(
        answer.notes.length
          ? `SQL written (${answer.notes.join('; ')})`
          : 'SQL written: check it.'
      );
    } catch (err) {
      say((err as Error).message, true);
    }
  };

  const spec = (): IPipelineSpec => ({
    name: name.value.trim(),
    into: into.value.trim(),
    mode: mode.value as Mode,
    key: key.value
      .split(',')
      .map(k => k.trim())
      .filter(k => k),
    schedule: schedule.value,
    sql: sql.value,
    question: asked && sql.dataset.starter !== 'yes' ? asked : undefined
  });

  const submit = async (run: boolean): Promise<void> => {
    const wanted = spec();
    const problem = checkSpec(wanted);
    if (problem) {
      say(problem, true);
      return;
    }
    try {
      const notebook = await insert(pipelineCell(wanted), run);
      say(
        run
          ? `Added to ${notebook} and running: the pipeline appears when the cell has run.`
          : `Added to ${notebook}: run the cell to create the pipeline.`
      );
    } catch (err) {
      say((err as Error).message, true);
    }
  };

  return h(
    'div',
    { class: 'nl-pl-pane nl-pl-form', 'data-neurolake': 'pipeline-new' },
    h('h3', {}, 'New pipeline'),
    field('Name', name),
    h('div', { class: 'nl-pl-field' }, h('span', {}, 'Sources'), sources),
    h(
      'div',
      { class: 'nl-pl-ask' },
      question,
      button('Ask', () => void ask(), { 'data-neurolake': 'new-ask' })
    ),
    field('SQL', sql),
    field('Target', into),
    field('Mode', mode),
    field('Key', key),
    field('Schedule', schedule),
    h(
      'div',
      { class: 'nl-pl-actions' },
      button('Insert cell', () => void submit(false), {
        'data-neurolake': 'new-insert'
      }),
      button(
        'Insert and run',
        () => void submit(true),
        { 'data-neurolake': 'new-insert-run' },
        true
      )
    ),
    message
  );
}
