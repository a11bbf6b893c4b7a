// Small helpers over the DOM: building elements, words in the page's language, talking to
// the studio server. Text always goes in as text (textContent), never as HTML.

export const state = {
  info: null, // GET /api/studio: manifest, words, prefill, emulator, lang
  lang: 'en',
  steps: [], // {key, action, values: {field: string|boolean}, extra: {param: value}, outputs: {output: variable}, touched: Set}
  flowName: undefined, // a loaded flow's "name"
  variables: {}, // a loaded flow's "variables", kept as they are
  selected: -1,
  tab: 'basic',
  checks: [], // per step: {error?, fields: {name: doc}} from the last check
  results: [], // per step: {status, outputs, error} from the last run
  showAll: false, // show every problem, not only those of touched fields (after Run)
  received: null, // what the emulator received
  log: [],
  running: false,
  message: null, // {text, kind}
};

let nextKey = 1;
export const newKey = () => nextKey++;

// h('div', {class: 'x', dataset: {testid: 'y'}, onclick: f}, child, 'text', ...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (name === 'value') el.value = value; // the property: no secret in the markup, and textareas too
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// A bilingual text of the manifest or of the server ({"zh-CN", "en"}) in the page's language.
export function tr(text) {
  if (text === undefined || text === null) return '';
  if (typeof text === 'string') return text;
  return (state.lang === 'zh-CN' ? text['zh-CN'] : text.en) ?? text.en ?? '';
}

// One of the page's own words, with {placeholders} filled in.
export function word(key, values = {}) {
  const text = tr(state.info?.words?.[key]) || key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}

export function actionSpec(id) {
  return state.info?.manifest?.actions?.find((a) => a.id === id);
}

export function inputsOf(spec) {
  return [...(spec?.inputs?.basic ?? []), ...(spec?.inputs?.advanced ?? [])];
}

export async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error;
    throw new Error(error ? `${tr(error.message)}${error.hint ? ` ${tr(error.hint)}` : ''}` : `HTTP ${response.status}`);
  }
  return data;
}

export function announce(text) {
  const live = document.getElementById('announce');
  if (live) live.textContent = text;
}

export function isSecret(field) {
  return field?.schema?.writeOnly === true;
}

export function schemaTypes(schema) {
  const t = schema?.type;
  return Array.isArray(t) ? t : t ? [t] : [];
}

// A reference to a variable or an environment variable, as the whole value.
export function isReference(value) {
  return typeof value === 'string' && /^\$\{(env:)?[\p{L}\p{N}_-]+\}$/u.test(value.trim());
}
