// The flow as the JSON that `host-sim run` takes:
// {"name"?, "variables"?, "steps": [{"action", "params", "outputs"}]}.
// Built and read here, in the page: a secret typed into the page never goes to the server to
// be written into a file, and a file never comes back from the server.

import {actionSpec, inputsOf, isReference, isSecret, newKey, state, word} from './dom.js';
import {envNameOf, fromParam, isVisible, toParam} from './form.js';

// The flow of the canvas. With `secrets: false`, each secret typed in is written as
// ${env:NAME} instead (one NAME per distinct secret); `env` lists the names used.
export function toFlow({secrets}) {
  const env = [];
  const named = new Map(); // secret -> NAME
  const steps = state.steps.map((step) => {
    const spec = actionSpec(step.action);
    const params = {};
    for (const field of inputsOf(spec)) {
      if (!isVisible(field, step)) continue;
      let value = toParam(field, step.values[field.name]);
      if (value === undefined) continue;
      if (!secrets && isSecret(field) && typeof value === 'string' && !isReference(value)) {
        if (!named.has(value)) {
          const base = envNameOf(field.name);
          let name = base;
          for (let i = 2; env.includes(name); i += 1) name = `${base}_${i}`;
          named.set(value, name);
          env.push(name);
        }
        value = `\${env:${named.get(value)}}`;
      }
      params[field.name] = value;
    }
    Object.assign(params, step.extra);
    const outputs = Object.fromEntries(Object.entries(step.outputs).filter(([, variable]) => variable));
    return {action: step.action, params, outputs};
  });
  const flow = {};
  if (state.flowName !== undefined) flow.name = state.flowName;
  if (Object.keys(state.variables).length) flow.variables = state.variables;
  flow.steps = steps;
  return {flow, env};
}

export function flowText(options) {
  const {flow, env} = toFlow(options);
  return {text: `${JSON.stringify(flow, null, 2)}\n`, env};
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Parses a flow file's text; throws an Error saying what is wrong.
export function parseFlow(text) {
  const flow = JSON.parse(text);
  const problem = () => new Error(word('notAFlow'));
  if (!isObject(flow) || !Array.isArray(flow.steps)) throw problem();
  if (Object.keys(flow).some((k) => !['name', 'variables', 'steps'].includes(k))) throw problem();
  if (flow.variables !== undefined && !isObject(flow.variables)) throw problem();
  for (const step of flow.steps) {
    if (!isObject(step) || typeof step.action !== 'string') throw problem();
    if (Object.keys(step).some((k) => !['action', 'params', 'outputs'].includes(k))) throw problem();
    if (step.params !== undefined && !isObject(step.params)) throw problem();
    if (step.outputs !== undefined && (!isObject(step.outputs) || Object.values(step.outputs).some((v) => typeof v !== 'string'))) throw problem();
  }
  return flow;
}

// A new step of `action`, with its defaults, the studio's pre-filled values and a variable
// for each output (named after it, numbered when an earlier step took the name).
export function newStep(action) {
  const spec = actionSpec(action);
  const step = {key: newKey(), action, values: {}, extra: {}, outputs: {}, touched: new Set()};
  const prefill = state.info?.prefill?.[action] ?? {};
  for (const field of inputsOf(spec)) {
    const fallback = field.schema?.default;
    if (field.name in prefill) step.values[field.name] = fromParam(field, prefill[field.name]);
    else if (field.choices?.length && fallback !== undefined) step.values[field.name] = fromParam(field, fallback);
    else if (field.required && field.choices?.length) step.values[field.name] = field.choices[0].value;
  }
  const taken = new Set(state.steps.flatMap((s) => Object.values(s.outputs)));
  for (const output of spec?.outputs ?? []) {
    let name = output.name;
    for (let i = 2; taken.has(name); i += 1) name = `${output.name}${i}`;
    taken.add(name);
    step.outputs[output.name] = name;
  }
  return step;
}

// Puts a parsed flow on the canvas.
export function applyFlow(flow) {
  state.flowName = flow.name;
  state.variables = flow.variables ?? {};
  state.steps = flow.steps.map((s) => {
    const spec = actionSpec(s.action);
    const step = {key: newKey(), action: s.action, values: {}, extra: {}, outputs: {...(s.outputs ?? {})}, touched: new Set()};
    for (const [name, value] of Object.entries(s.params ?? {})) {
      const field = inputsOf(spec).find((f) => f.name === name);
      if (field) {
        step.values[name] = fromParam(field, value);
        step.touched.add(name);
      } else {
        step.extra[name] = value;
      }
    }
    return step;
  });
  state.selected = state.steps.length ? 0 : -1;
  state.results = [];
  state.checks = [];
  state.showAll = false;
}
