/** A small element builder: the panels and bars are plain DOM in JupyterLab's CSS variables. */

export type Child = Node | string | null | undefined | false;

export interface IAttrs {
  [name: string]: string | number | boolean | undefined | null;
}

/** `h('button', {class: 'x', 'data-neurolake': 'y'}, 'text')`; false/null attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: IAttrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'class') {
      el.className = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      el.append(child);
    }
  }
  return el;
}

/** Relative age of an ISO time ("3 min ago"), with the exact time kept for a tooltip. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) {
    return '';
  }
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 60) {
    return 'just now';
  }
  const minutes = seconds / 60;
  if (minutes < 60) {
    return `${Math.round(minutes)} min ago`;
  }
  const hours = minutes / 60;
  if (hours < 24) {
    return `${Math.round(hours)} h ago`;
  }
  return `${Math.round(hours / 24)} d ago`;
}

/** The nodes that are there (for `replaceChildren` with optional parts). */
export function present(...nodes: Child[]): (Node | string)[] {
  return nodes.filter(
    (n): n is Node | string => n !== null && n !== undefined && n !== false
  );
}
