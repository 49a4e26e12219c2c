// A small element builder: h('button', {type: 'button', onclick}, 'Send').
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key in el && key !== 'list' && key !== 'form' && !key.startsWith('aria')) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let counter = 0;
export function uid(prefix = 'f') {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A labelled form control: the label is tied to the control by id.
export function field(label, control, hint) {
  control.id ||= uid();
  const parts = [h('label', {for: control.id}, label), control];
  if (hint) {
    const hintEl = h('small', {id: uid('hint'), class: 'hint'}, hint);
    control.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }
  return h('div', {class: 'field'}, parts);
}

// A polite live region the views share for short notices.
export function announce(text) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}
