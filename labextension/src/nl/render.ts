/**
 * A `%%nl` answer (`application/vnd.neurolake.nl+json`): the question as understood (intent and
 * explanation), the SQL highlighted (Copy, Insert as %%sql cell below), and Accept / Reject,
 * which the notebook plugin sends to the kernel's learning store over `neurolake.feedback`.
 */

import { h } from '../util/dom';

export const NL_MIME = 'application/vnd.neurolake.nl+json';
export const INSERT_CELL_EVENT = 'neurolake:insert-cell';
export const FEEDBACK_EVENT = 'neurolake:feedback';

export interface INlAnswer {
  version: 1;
  question: string;
  explanation: string;
  how: string;
  source: string;
  intent: Record<string, unknown> | null;
  sql: string;
  /** [class, text] pairs from pygments: k keyword, n name, s string, m number, ... */
  sql_tokens: [string, string][];
  answer_id: string | null;
  executed: boolean;
}

export interface IFeedbackDetail {
  answerId: string;
  verdict: 'accept' | 'reject';
  respond: (ok: boolean, message: string) => void;
  handled?: boolean;
}

/** Short phrases for the parts of the intent a reader checks first. */
export function intentChips(intent: Record<string, unknown> | null): string[] {
  if (!intent) {
    return [];
  }
  const chips: string[] = [];
  const name = (v: unknown) =>
    String(v ?? '')
      .split('.')
      .pop() ?? '';
  if (intent.action) {
    chips.push(String(intent.action));
  }
  const measures = (intent.measures as { label?: string }[] | undefined) ?? [];
  for (const m of measures) {
    if (m.label) {
      chips.push(m.label);
    }
  }
  if (intent.entity) {
    chips.push(`from ${intent.entity}`);
  }
  const grouping =
    (intent.grouping as
      { column?: string; grain?: string | null }[] | undefined) ?? [];
  for (const g of grouping) {
    chips.push(`by ${name(g.column)}${g.grain ? ` (${g.grain})` : ''}`);
  }
  const window = intent.window as { text?: string } | undefined;
  if (window?.text) {
    chips.push(window.text);
  }
  const filters =
    (intent.filters as
      | { column?: string; op?: string; value?: unknown; text?: string }[]
      | undefined) ?? [];
  for (const f of filters) {
    chips.push(
      f.text ?? `${name(f.column)} ${f.op ?? '='} ${JSON.stringify(f.value)}`
    );
  }
  return chips;
}

/** The SQL as highlighted spans (colors from JupyterLab's editor theme variables). */
export function highlighted(answer: INlAnswer): HTMLElement {
  const pre = h('pre', { class: 'nl-sql', 'data-neurolake': 'nl-sql' });
  const tokens = answer.sql_tokens?.length
    ? answer.sql_tokens
    : [['t', answer.sql] as [string, string]];
  for (const [cls, text] of tokens) {
    pre.append(
      cls === 't' ? text : h('span', { class: `nl-tok-${cls}` }, text)
    );
  }
  return pre;
}

export function renderAnswer(answer: INlAnswer): HTMLElement {
  const status = h('span', {
    class: 'nl-feedback-status',
    'data-neurolake': 'nl-feedback-status'
  });
  const button = (label: string, action: string, title: string, cls = '') =>
    h(
      'button',
      { class: `jp-Button jp-mod-styled ${cls}`, 'data-action': action, title },
      label
    );

  const copy = button('Copy', 'copy', 'Copy the SQL', 'jp-mod-reject');
  copy.addEventListener('click', () => {
    const done = () => (status.textContent = 'SQL copied.');
    if (navigator.clipboard?.writeText) {
      void navigator.clipboard
        .writeText(answer.sql)
        .then(done, () => fallbackCopy(answer.sql, done));
    } else {
      fallbackCopy(answer.sql, done);
    }
  });
  const insert = button(
    'Insert as %%sql cell below',
    'insert',
    'A new %%sql cell below holding this SQL',
    'jp-mod-reject'
  );
  insert.addEventListener('click', () => {
    insert.dispatchEvent(
      new CustomEvent(INSERT_CELL_EVENT, {
        bubbles: true,
        detail: { source: `%%sql\n${answer.sql}` }
      })
    );
  });
  const actions = h('div', { class: 'nl-answer-actions' }, copy, insert);
  if (answer.answer_id) {
    const accept = button(
      'Accept',
      'accept',
      'Keep this SQL for similar questions',
      'jp-mod-accept'
    );
    const reject = button(
      'Reject',
      'reject',
      'This answer is wrong: do not reuse it',
      'jp-mod-warn'
    );
    const send = (verdict: 'accept' | 'reject') => {
      accept.disabled = reject.disabled = true;
      status.textContent =
        verdict === 'accept' ? 'Keeping\u2026' : 'Noting\u2026';
      const detail: IFeedbackDetail = {
        answerId: answer.answer_id as string,
        verdict,
        respond: (ok, message) => {
          status.textContent = message;
          status.classList.toggle('nl-error', !ok);
          if (!ok) {
            accept.disabled = reject.disabled = false;
          } else {
            (verdict === 'accept' ? accept : reject).classList.add('nl-chosen');
          }
        }
      };
      accept.dispatchEvent(
        new CustomEvent(FEEDBACK_EVENT, { bubbles: true, detail })
      );
      if (!detail.handled) {
        detail.respond(
          false,
          'Accept and Reject need the NeuroLake kernel of this notebook (not running?).'
        );
      }
    };
    accept.addEventListener('click', () => send('accept'));
    reject.addEventListener('click', () => send('reject'));
    actions.append(accept, reject);
  }
  actions.append(status);
  const chips = intentChips(answer.intent);
  return h(
    'div',
    { class: 'nl-answer', 'data-neurolake': 'nl-answer' },
    h(
      'div',
      { class: 'nl-understood' },
      h('b', {}, 'Understood: '),
      answer.explanation,
      h('span', { class: 'nl-muted' }, ` (${answer.how})`)
    ),
    chips.length
      ? h(
          'div',
          { class: 'nl-intent', 'data-neurolake': 'nl-intent' },
          ...chips.map(c => h('span', { class: 'nl-chip' }, c))
        )
      : null,
    highlighted(answer),
    actions
  );
}

function fallbackCopy(text: string, done: () => void): void {
  const area = h('textarea', { class: 'nl-offscreen' });
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
  done();
}
