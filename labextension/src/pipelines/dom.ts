/** The designer's buttons: plain elements in JupyterLab's colours. */

import { h, IAttrs } from '../util/dom';

/** A button (`accept`: the main action, in the brand colour). */
export function button(
  label: string,
  onClick: () => void,
  attrs: IAttrs = {},
  accept = false
): HTMLButtonElement {
  const node = h(
    'button',
    { class: accept ? 'nl-pl-button nl-pl-accept' : 'nl-pl-button', ...attrs },
    label
  );
  node.addEventListener('click', onClick);
  return node;
}
