/** A tiny helper for the designer's DOM (plain elements, JupyterLab's CSS variables). */

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') {
      node.className = value;
    } else {
      node.setAttribute(key, value);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.appendChild(
      typeof child === 'string' ? document.createTextNode(child) : child
    );
  }
  return node;
}

/** A button in JupyterLab's colours (``accept``: the main action, in the brand colour). */
export function button(
  label: string,
  onClick: () => void,
  attrs: Record<string, string> = {},
  accept = false
): HTMLButtonElement {
  const node = h(
    'button',
    {
      class: `jp-Button ${accept ? 'jp-mod-accept' : 'jp-mod-styled'} nl-pl-button`,
      ...attrs
    },
    label
  );
  node.addEventListener('click', onClick);
  return node;
}
