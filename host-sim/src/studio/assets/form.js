// The selected step's form, drawn from its action in the manifest: basic and advanced tabs,
// one input per field (named after the field) chosen by the field's schema, visibleWhen
// honoured as the user types, variables of earlier steps offered where their type fits,
// problems shown beside their field, and the step's outputs with the variables they fill.

import {
  actionSpec, h, inputsOf, isReference, isSecret, schemaTypes, state, tr, word,
} from './dom.js';

// How a field is drawn and read, from its schema alone.
export function kindOf(field) {
  const schema = field.schema ?? {};
  const types = schemaTypes(schema);
  if (Array.isArray(schema.enum) || field.choices?.length) return 'choice';
  if (types.length === 1 && types[0] === 'boolean') return 'boolean';
  if (types.includes('array') && schema.items?.type === 'string') return 'list';
  if (types.length && types.every((t) => t === 'integer' || t === 'number')) return 'number';
  if (schema['x-rpa-type'] || (types.length === 1 && types[0] === 'object')) return 'object';
  if (types.length === 1 && types[0] === 'string') {
    if (isSecret(field)) return 'secret';
    const long = schema.maxLength === undefined || schema.maxLength > 512;
    return long && !schema.format ? 'text' : 'line';
  }
  return 'json';
}

// The JSON value a field's input holds, or undefined when it is not filled in.
export function toParam(field, raw) {
  if (raw === undefined || raw === null) return undefined;
  const kind = kindOf(field);
  if (kind === 'choice' || kind === 'boolean') return raw === '' ? undefined : raw;
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '') return undefined;
  if (isReference(raw)) return raw.trim();
  const trimmed = raw.trim();
  switch (kind) {
    case 'number':
      return /^[+-]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
    case 'list':
      if (trimmed.startsWith('[')) {
        try {
          const list = JSON.parse(trimmed);
          if (Array.isArray(list)) return list;
        } catch { /* the check says what is wrong */ }
      }
      return raw;
    case 'object':
    case 'json':
      try {
        return JSON.parse(trimmed);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

// What a field's input shows for a value of a flow file.
export function fromParam(field, value) {
  const kind = field ? kindOf(field) : 'json';
  if (kind === 'choice' || kind === 'boolean') return value;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

// The value a field has for visibleWhen: what is filled in, else its default.
function currentValue(spec, step, name) {
  const field = inputsOf(spec).find((f) => f.name === name);
  if (!field) return undefined;
  return toParam(field, step.values[name]) ?? field.schema?.default;
}

export function isVisible(field, step) {
  const conditions = field.visibleWhen;
  if (!conditions) return true;
  const spec = actionSpec(step.action);
  return Object.entries(conditions).every(([other, allowed]) => {
    const current = JSON.stringify(currentValue(spec, step, other));
    return allowed.some((value) => JSON.stringify(value) === current);
  });
}

// Variables that earlier steps (and the flow's own "variables") define, before step `index`.
export function variablesBefore(index) {
  const list = Object.keys(state.variables).map((name) => ({name, schema: null, label: name, from: word('fromFlow')}));
  state.steps.slice(0, index).forEach((step, j) => {
    const spec = actionSpec(step.action);
    for (const [output, variable] of Object.entries(step.outputs)) {
      if (!variable) continue;
      const field = spec?.outputs?.find((o) => o.name === output);
      list.push({name: variable, schema: field?.schema ?? null, label: field ? tr(field.label) : output, from: word('fromStep', {n: j + 1})});
    }
  });
  return list;
}

// Whether an output of this schema may fill an input of that one: the same host type when
// either names one (x-rpa-type), else a JSON type in common (and the same item type for lists).
export function compatible(output, input) {
  if (!output) return true;
  const a = output['x-rpa-type'];
  const b = input?.['x-rpa-type'];
  if (a || b) return a === b;
  const outTypes = schemaTypes(output);
  const inTypes = schemaTypes(input);
  if (!outTypes.length || !inTypes.length) return true;
  const common = outTypes.filter((t) => inTypes.includes(t) || (t === 'integer' && inTypes.includes('number')));
  if (!common.length) return false;
  if (common.length === 1 && common[0] === 'array') {
    const outItem = output.items?.type;
    const inItem = input.items?.type;
    if (outItem && inItem && outItem !== inItem) return false;
  }
  return true;
}

export function variablesFor(index, field) {
  return variablesBefore(index).filter((v) => compatible(v.schema, field.schema));
}

// An error document: code, message, hint, and what the remote service said.
export function errorDoc(doc) {
  const up = doc.upstream;
  const upstream = up && [up.httpStatus, up.code, up.message, up.requestId].filter((x) => x !== undefined && x !== null).join(' · ');
  return h('div', {class: 'error-doc'},
    h('div', {class: 'e-head'}, h('code', {text: doc.code}), ' ', h('span', {class: 'e-message', text: tr(doc.message)})),
    doc.hint ? h('div', {class: 'e-hint'}, h('strong', {text: `${word('hint')}: `}), h('span', {text: tr(doc.hint)})) : null,
    upstream ? h('div', {class: 'e-upstream', text: `${word('upstream')}: ${upstream}`}) : null,
    doc.details ? h('div', {class: 'e-details'}, h('strong', {text: `${word('details')}: `}), h('code', {text: JSON.stringify(doc.details)})) : null);
}

function envNameOf(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}

function shortJson(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// Draws the form of the selected step into `root`. `changed(step)` is called after each edit.
export function renderForm(root, changed) {
  root.replaceChildren();
  const index = state.selected;
  const step = state.steps[index];
  if (!step) {
    root.append(h('p', {class: 'empty', text: word('formEmpty')}));
    return;
  }
  const spec = actionSpec(step.action);
  root.append(h('div', {class: 'form-head'},
    h('h3', {text: `${word('step', {n: index + 1})} · ${spec ? tr(spec.title) : step.action}`}),
    spec ? h('p', {class: 'description', text: tr(spec.description)}) : null));
  root.append(h('div', {class: 'step-error', 'data-testid': 'step-error'}));
  if (!spec) {
    refreshForm(root);
    return;
  }

  const tabs = h('div', {class: 'tabs', role: 'tablist'});
  const panels = [];
  for (const tab of ['basic', 'advanced']) {
    const selected = state.tab === tab;
    const button = h('button', {
      type: 'button', role: 'tab', id: `tab-${tab}`, 'data-testid': `tab-${tab}`,
      'aria-selected': String(selected), 'aria-controls': `panel-${tab}`, tabindex: selected ? '0' : '-1',
      class: selected ? 'tab selected' : 'tab',
      onclick: () => { state.tab = tab; renderForm(root, changed); document.getElementById(`tab-${tab}`)?.focus(); },
      onkeydown: (ev) => {
        if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
          state.tab = state.tab === 'basic' ? 'advanced' : 'basic';
          renderForm(root, changed);
          document.getElementById(`tab-${state.tab}`)?.focus();
        }
      },
    }, h('span', {text: word(tab)}), h('span', {class: 'tab-problems', dataset: {tab}}));
    tabs.append(button);
    const panel = h('div', {role: 'tabpanel', id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}`, class: 'panel', hidden: !selected});
    const fields = spec.inputs?.[tab] ?? [];
    if (!fields.length) panel.append(h('p', {class: 'empty', text: word('noFields')}));
    for (const field of fields) panel.append(renderField(step, index, field, () => changed(step)));
    panels.push(panel);
  }
  root.append(tabs, ...panels);

  if (spec.outputs?.length) {
    const outputs = h('fieldset', {class: 'outputs'}, h('legend', {text: word('outputs')}),
      h('p', {class: 'help', text: word('outputsHint')}));
    for (const output of spec.outputs) {
      const id = `output-${output.name}`;
      const input = h('input', {
        type: 'text', id, name: `outputs.${output.name}`, value: step.outputs[output.name] ?? '',
        spellcheck: false, autocomplete: 'off',
        oninput: (ev) => { step.outputs[output.name] = ev.target.value.trim(); changed(step); },
      });
      outputs.append(h('div', {class: 'field output', dataset: {field: `outputs.${output.name}`}},
        h('label', {for: id}, tr(output.label), h('span', {class: 'type', text: ` (${output.name})`})),
        h('div', {class: 'with-prefix'}, h('span', {class: 'prefix', text: '${'}), input, h('span', {class: 'prefix', text: '}'})),
        h('p', {class: 'help', text: tr(output.help)}),
        h('p', {class: 'error', 'data-testid': `error-outputs.${output.name}`})));
    }
    root.append(outputs);
  }
  refreshForm(root);
}

function renderField(step, index, field, changed) {
  const kind = kindOf(field);
  const id = `field-${field.name}`;
  const raw = step.values[field.name];
  const schema = field.schema ?? {};
  const set = (value) => {
    step.values[field.name] = value;
    step.touched.add(field.name);
    changed();
  };
  const described = `${id}-help ${id}-error`;
  const common = {id, name: field.name, 'aria-describedby': described, 'aria-required': field.required ? 'true' : undefined};
  let input;
  const extras = [];
  switch (kind) {
    case 'choice': {
      const choices = field.choices?.length ? field.choices : (schema.enum ?? []).map((value) => ({value, label: null}));
      // Each option's value is the choice's value as text (JSON for a number or the like).
      input = h('select', {...common, onchange: (ev) => set(choices.find((c) => shortJson(c.value) === ev.target.value)?.value ?? '')});
      if (!field.required) {
        const fallback = choices.find((c) => JSON.stringify(c.value) === JSON.stringify(schema.default));
        input.append(h('option', {value: '', text: schema.default !== undefined ? word('defaultIs', {value: fallback ? tr(fallback.label) || shortJson(fallback.value) : shortJson(schema.default)}) : '—'}));
      }
      for (const choice of choices) {
        input.append(h('option', {value: shortJson(choice.value), text: choice.label ? `${tr(choice.label)} (${shortJson(choice.value)})` : shortJson(choice.value)}));
      }
      const current = choices.find((c) => JSON.stringify(c.value) === JSON.stringify(raw));
      input.value = current ? shortJson(current.value) : '';
      if (input.selectedIndex < 0) input.selectedIndex = 0;
      break;
    }
    case 'boolean':
      input = h('input', {...common, type: 'checkbox', checked: raw ?? schema.default ?? false, onchange: (ev) => set(ev.target.checked)});
      break;
    case 'object': {
      const options = variablesFor(index, field);
      input = h('select', {...common, onchange: (ev) => set(ev.target.value)});
      input.append(h('option', {value: '', text: word('chooseVariable')}));
      for (const v of options) input.append(h('option', {value: `\${${v.name}}`, text: `\${${v.name}} · ${v.label} (${v.from})`}));
      if (raw && !options.some((v) => `\${${v.name}}` === raw)) input.append(h('option', {value: raw, text: raw}));
      input.value = raw ?? '';
      if (!options.length) extras.push(h('p', {class: 'help warn', text: word('noVariable')}));
      break;
    }
    case 'list':
    case 'text':
    case 'json':
      input = h('textarea', {...common, rows: kind === 'text' ? 5 : 3, spellcheck: kind === 'text', value: raw ?? '', oninput: (ev) => set(ev.target.value)});
      break;
    case 'secret': {
      const hide = () => (isReference(input.value) ? 'text' : 'password');
      input = h('input', {...common, type: 'password', autocomplete: 'new-password', spellcheck: false, value: raw ?? '',
        oninput: (ev) => { input.type = hide(); set(ev.target.value); }});
      input.type = hide();
      const env = envNameOf(field.name);
      extras.push(h('button', {type: 'button', class: 'link', 'data-testid': `env-${field.name}`, text: word('useEnv', {name: env}),
        onclick: () => { input.value = `\${env:${env}}`; input.type = 'text'; set(input.value); }}));
      break;
    }
    default:
      input = h('input', {...common, type: 'text', spellcheck: false, autocomplete: 'off', value: raw ?? '',
        inputmode: kind === 'number' ? 'numeric' : schema.format === 'uri' ? 'url' : undefined,
        oninput: (ev) => set(ev.target.value)});
  }
  if (schema.default !== undefined && 'placeholder' in input && kind !== 'choice') input.placeholder = shortJson(schema.default);

  // Variables of a fitting type, for any field that can also be typed in.
  let picker = null;
  if (kind !== 'object' && kind !== 'choice' && kind !== 'boolean') {
    const options = variablesFor(index, field);
    if (options.length) {
      picker = h('select', {class: 'insert-variable', 'aria-label': word('insertVariable'), 'data-testid': `variables-${field.name}`,
        onchange: (ev) => {
          const name = ev.target.value;
          ev.target.selectedIndex = 0;
          if (!name) return;
          const reference = `\${${name}}`;
          const inline = kind === 'line' || kind === 'text';
          if (inline && typeof input.selectionStart === 'number' && input.value) {
            const {selectionStart: a, selectionEnd: b, value} = input;
            input.value = value.slice(0, a) + reference + value.slice(b);
          } else {
            input.value = reference;
          }
          if (kind === 'secret') input.type = 'text';
          set(input.value);
          input.focus();
        }},
      h('option', {value: '', text: word('insertVariable')}),
      ...options.map((v) => h('option', {value: v.name, text: `\${${v.name}} · ${v.label} (${v.from})`})));
    }
  }

  const notes = [];
  // What the field takes, in the words the guides and host-sim inspect use (from the API).
  const takes = state.info?.takes?.[step.action]?.[field.name];
  if (takes) notes.push(`${tr(takes)}.`);
  if (kind === 'json') notes.push(word('jsonHint'));
  if (kind === 'secret') notes.push(word('secretHint'));
  const label = h('label', {for: id},
    h('span', {text: tr(field.label)}),
    field.required ? h('span', {class: 'required', title: word('required'), 'aria-label': word('required'), text: ' *'}) : null,
    h('span', {class: 'type', text: ` (${field.name})`}));
  const control = kind === 'boolean' ? h('div', {class: 'check'}, input, label) : h('div', {class: 'control'}, input, picker);
  return h('div', {class: `field kind-${kind}`, dataset: {field: field.name}},
    kind === 'boolean' ? null : label,
    control,
    ...extras,
    h('p', {class: 'help', id: `${id}-help`, text: [tr(field.help), ...notes].filter(Boolean).join(' ')}),
    h('p', {class: 'error', id: `${id}-error`, 'data-testid': `error-${field.name}`}));
}

// The problem to show beside a field of step `index`, if any.
export function problemOf(index, name) {
  const step = state.steps[index];
  const result = state.results[index];
  if (result?.error?.field === name || (result?.error?.field && name === `outputs.${result.error.field}`)) return result.error;
  const doc = state.checks[index]?.fields?.[name];
  if (!doc) return null;
  return state.showAll || step?.touched?.has(name) ? doc : null;
}

// Updates what changes as the user types, without drawing the form again (the focus stays):
// which fields are shown, and the problems beside them and on the tabs.
export function refreshForm(root) {
  const index = state.selected;
  const step = state.steps[index];
  if (!step) return;
  const spec = actionSpec(step.action);
  const counts = {basic: 0, advanced: 0};
  for (const el of root.querySelectorAll('.field[data-field]')) {
    const name = el.dataset.field;
    const field = inputsOf(spec).find((f) => f.name === name);
    const visible = !field || isVisible(field, step);
    el.hidden = !visible;
    const doc = visible ? problemOf(index, name) : null;
    const slot = el.querySelector('.error');
    slot.replaceChildren(...(doc ? [errorDoc(doc)] : []));
    el.classList.toggle('invalid', Boolean(doc));
    el.querySelector('input, select, textarea')?.setAttribute('aria-invalid', doc ? 'true' : 'false');
    if (doc && field) counts[spec.inputs.basic.includes(field) ? 'basic' : 'advanced'] += 1;
  }
  for (const badge of root.querySelectorAll('.tab-problems')) {
    const n = counts[badge.dataset.tab];
    badge.textContent = n ? ` ⚠ ${n}` : '';
  }
  const stepError = root.querySelector('[data-testid="step-error"]');
  if (stepError) {
    const check = state.checks[index];
    const result = state.results[index];
    const ownField = result?.error?.field && root.querySelector(`.field[data-field="${CSS.escape(result.error.field)}"]`);
    const doc = check?.error ?? (result?.error && !ownField ? result.error : null);
    stepError.replaceChildren(...(doc ? [errorDoc(doc)] : []));
  }
}

export {envNameOf};
