/** `%%nl` answers: intent chips, highlighted SQL, Copy/Insert, Accept/Reject through events. */

import {
  FEEDBACK_EVENT,
  IFeedbackDetail,
  INlAnswer,
  INSERT_CELL_EVENT,
  intentChips,
  renderAnswer
} from '../nl/render';

const answer: INlAnswer = {
  version: 1,
  question: 'revenue by country last month',
  explanation: 'Computed revenue where order_date in last month per country.',
  how: 'offline planner',
  source: 'planner',
  intent: {
    action: 'aggregate',
    entity: 'retail.customers',
    measures: [{ label: 'revenue' }],
    window: { text: 'last month' },
    grouping: [{ column: 'retail.customers.country', grain: null }]
  },
  sql: "SELECT country, SUM(total_amount) AS revenue\nFROM retail.orders WHERE status = 'x'",
  sql_tokens: [
    ['k', 'SELECT'],
    ['t', ' '],
    ['n', 'country'],
    ['p', ','],
    ['t', ' rest'],
    ['s', "'x'"]
  ],
  answer_id: 'n1',
  executed: true
};

describe('%%nl answers', () => {
  it('shows the question as understood', () => {
    expect(intentChips(answer.intent)).toEqual([
      'aggregate',
      'revenue',
      'from retail.customers',
      'by country',
      'last month'
    ]);
    const node = renderAnswer(answer);
    expect(node.textContent).toContain('Understood: Computed revenue');
    expect(node.querySelectorAll('.nl-chip').length).toBe(5);
  });

  it('highlights the SQL from the kernel tokens', () => {
    const sql = renderAnswer(answer).querySelector(
      '[data-neurolake="nl-sql"]'
    ) as HTMLElement;
    expect(sql.querySelector('.nl-tok-k')?.textContent).toBe('SELECT');
    expect(sql.querySelector('.nl-tok-s')?.textContent).toBe("'x'");
    expect(sql.textContent).toBe("SELECT country, rest'x'");
  });

  it('asks the notebook to insert a %%sql cell below', () => {
    const node = renderAnswer(answer);
    document.body.append(node);
    const seen: string[] = [];
    const listener = (e: Event) =>
      seen.push((e as CustomEvent<{ source: string }>).detail.source);
    document.addEventListener(INSERT_CELL_EVENT, listener);
    (node.querySelector('[data-action="insert"]') as HTMLElement).click();
    expect(seen).toEqual([`%%sql\n${answer.sql}`]);
    document.removeEventListener(INSERT_CELL_EVENT, listener);
    node.remove();
  });

  it('sends Accept to the kernel and shows its answer; says so when no kernel takes it', () => {
    const node = renderAnswer(answer);
    document.body.append(node);
    const listener = (e: Event) => {
      const detail = (e as CustomEvent<IFeedbackDetail>).detail;
      detail.handled = true;
      expect(detail).toMatchObject({ answerId: 'n1', verdict: 'accept' });
      detail.respond(true, 'Kept: similar questions will use this SQL.');
    };
    document.addEventListener(FEEDBACK_EVENT, listener);
    (node.querySelector('[data-action="accept"]') as HTMLButtonElement).click();
    expect(
      node.querySelector('[data-neurolake="nl-feedback-status"]')?.textContent
    ).toBe('Kept: similar questions will use this SQL.');
    expect(
      (node.querySelector('[data-action="reject"]') as HTMLButtonElement)
        .disabled
    ).toBe(true);
    document.removeEventListener(FEEDBACK_EVENT, listener);
    node.remove();
    const orphan = renderAnswer(answer);
    (
      orphan.querySelector('[data-action="reject"]') as HTMLButtonElement
    ).click();
    expect(
      orphan.querySelector('[data-neurolake="nl-feedback-status"]')?.textContent
    ).toContain('need the NeuroLake kernel');
    expect(
      (orphan.querySelector('[data-action="reject"]') as HTMLButtonElement)
        .disabled
    ).toBe(false);
  });

  it('has no Accept/Reject for an answer that did not run', () => {
    const node = renderAnswer({ ...answer, answer_id: null, executed: false });
    expect(node.querySelector('[data-action="accept"]')).toBeNull();
    expect(node.querySelector('[data-action="copy"]')).not.toBeNull();
  });
});
