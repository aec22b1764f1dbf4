// Small DOM conveniences shared by the dashboard's panels.

export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

export function show(element, visible = true) {
  element.hidden = !visible;
}

export function element(tag, text = "", attributes = {}) {
  const node = document.createElement(tag);
  if (text !== "") node.textContent = text;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

// Definition-list rows (`<div><dt>label</dt><dd>value</dd></div>`) replacing `list`'s content.
export function fillDefinitions(list, rows) {
  list.replaceChildren(
    ...rows.map(([label, value]) => {
      const row = element("div", "", { class: "pair" });
      row.append(element("dt", label), element("dd", value));
      return row;
    }),
  );
}

export function errorText(error) {
  return error && error.message ? error.message : String(error);
}
