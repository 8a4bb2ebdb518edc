// Tiny DOM helpers: typed lookups and element creation without innerHTML (all text is set as text).

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

/** Shows an error in a role="alert" banner; `null` hides it. */
export function showError(banner: HTMLElement, message: string | null): void {
  const text = banner.querySelector('[data-role="message"]') ?? banner;
  text.textContent = message ?? '';
  banner.hidden = message === null;
}
