// The palette of the plugin's actions and the canvas of steps. Steps are added by dragging
// an action onto the canvas (pointer events: mouse, pen or touch) or from the keyboard
// (Enter on an action), reordered by dragging or Alt+↑/Alt+↓, removed with Delete or ✕.

import {actionSpec, h, state, tr, word} from './dom.js';
import {errorDoc} from './form.js';

// The callbacks of the page: add(actionId, index), move(from, to), remove(index), select(index).
let on = null;

export function renderPalette(root, callbacks) {
  on = callbacks;
  root.replaceChildren(...(state.info?.manifest?.actions ?? []).map((action) => {
    const item = h('button', {
      type: 'button', class: 'palette-item', 'data-testid': `palette-${action.id}`, title: tr(action.description),
      onclick: () => {
        if (suppressClick) { suppressClick = false; return; }
        on.add(action.id, state.steps.length);
      },
      onpointerdown: (ev) => beginDrag(ev, {kind: 'add', action: action.id, label: tr(action.title)}),
    }, h('span', {class: 'p-title', text: tr(action.title)}), h('span', {class: 'p-description', text: tr(action.description)}));
    return h('li', {}, item);
  }));
}

// A step's badge in the page's words (the run's answer says ok, error or not run).
function statusText(status) {
  if (status === 'ok') return word('statusOk');
  if (status === 'error') return word('statusError');
  if (status === 'running') return word('running');
  if (status === 'not run') return word('notRun');
  return '';
}

function outputsOf(result) {
  if (!result) return [];
  if (result.error) return [errorDoc(result.error)];
  return (result.outputs ?? []).map((o) => h('div', {class: 'out'},
    h('code', {class: 'var', text: `\${${o.variable}}`}), ' = ',
    h('code', {class: 'value', text: JSON.stringify(o.value)})));
}

export function renderCanvas(root, empty) {
  root.replaceChildren();
  empty.hidden = state.steps.length > 0;
  state.steps.forEach((step, index) => {
    const n = index + 1;
    const spec = actionSpec(step.action);
    const result = state.results[index];
    const status = state.running ? 'running' : result?.status;
    const check = state.checks[index];
    const problems = check ? Object.keys(check.fields ?? {}).length + (check.error ? 1 : 0) : 0;
    const outputs = Object.values(step.outputs).filter(Boolean).map((v) => `\${${v}}`);
    const item = h('li', {
      class: `step${index === state.selected ? ' selected' : ''}${status ? ` status-${status.replace(' ', '-')}` : ''}`,
      'data-testid': `step-${n}`, tabindex: '0', 'aria-current': index === state.selected ? 'step' : undefined,
      'aria-label': `${word('step', {n})}: ${spec ? tr(spec.title) : step.action}`,
      dataset: {key: step.key},
      onclick: (ev) => { if (!ev.target.closest('button')) on.select(index); },
      onkeydown: (ev) => keyOnStep(ev, index),
      onpointerdown: (ev) => { if (!ev.target.closest('button')) beginDrag(ev, {kind: 'move', from: index, label: `${n}. ${spec ? tr(spec.title) : step.action}`}); },
    },
    h('span', {class: 'handle', 'aria-hidden': 'true', text: '⋮⋮'}),
    h('span', {class: 'number', text: String(n)}),
    h('div', {class: 'step-main'},
      h('div', {class: 'step-title', text: spec ? tr(spec.title) : step.action}),
      h('div', {class: 'step-sub'}, h('code', {text: step.action}), outputs.length ? ` → ${outputs.join(' ')}` : ''),
      problems && state.showAll && !result?.error ? h('div', {class: 'step-problems', text: `⚠ ${problems}`}) : null,
      h('div', {class: 'step-result'},
        h('span', {class: `status${status ? ` ${status.replace(' ', '-')}` : ''}`, 'data-testid': `status-${n}`, 'data-status': status, text: statusText(status)}),
        h('div', {class: 'step-outputs', 'data-testid': `outputs-${n}`}, ...(state.running ? [] : outputsOf(result))))),
    h('div', {class: 'step-tools'},
      h('button', {type: 'button', title: word('moveUp'), 'aria-label': word('moveUp'), disabled: index === 0, text: '↑', onclick: () => on.move(index, index - 1)}),
      h('button', {type: 'button', title: word('moveDown'), 'aria-label': word('moveDown'), disabled: index === state.steps.length - 1, text: '↓', onclick: () => on.move(index, index + 1)}),
      h('button', {type: 'button', title: word('remove'), 'aria-label': word('remove'), 'data-testid': `remove-${n}`, text: '✕', onclick: () => on.remove(index)})));
    root.append(item);
  });
}

function keyOnStep(ev, index) {
  if (ev.target !== ev.currentTarget) return;
  if (ev.altKey && ev.key === 'ArrowUp') on.move(index, index - 1);
  else if (ev.altKey && ev.key === 'ArrowDown') on.move(index, index + 1);
  else if (ev.key === 'ArrowUp') focusStep(index - 1);
  else if (ev.key === 'ArrowDown') focusStep(index + 1);
  else if (ev.key === 'Delete' || ev.key === 'Backspace') on.remove(index);
  else if (ev.key === 'Enter' || ev.key === ' ') on.select(index);
  else return;
  ev.preventDefault();
}

export function focusStep(index) {
  document.querySelector(`[data-testid="step-${index + 1}"]`)?.focus();
}

// Dragging, with pointer events so that a mouse, a pen or a finger can drag, and so that
// WebDriver's pointer actions drive the very same code.
let drag = null;
let suppressClick = false;

function beginDrag(ev, payload) {
  if (ev.button !== 0 || state.running) return;
  drag = {payload, x: ev.clientX, y: ev.clientY, active: false, ghost: null};
  window.addEventListener('pointermove', moveDrag);
  window.addEventListener('pointerup', endDrag);
  window.addEventListener('pointercancel', cancelDrag);
}

function moveDrag(ev) {
  if (!drag) return;
  if (!drag.active) {
    if (Math.hypot(ev.clientX - drag.x, ev.clientY - drag.y) < 5) return;
    drag.active = true;
    drag.ghost = h('div', {class: 'ghost', 'aria-hidden': 'true', text: drag.payload.label});
    document.body.append(drag.ghost);
    document.body.classList.add('dragging');
  }
  ev.preventDefault();
  drag.ghost.style.transform = `translate(${ev.clientX + 12}px, ${ev.clientY + 8}px)`;
  showDropAt(dropIndex(ev.clientX, ev.clientY));
}

function endDrag(ev) {
  const done = drag;
  cancelDrag();
  if (!done?.active) return;
  suppressClick = done.payload.kind === 'add';
  setTimeout(() => { suppressClick = false; }, 0);
  const index = dropIndex(ev.clientX, ev.clientY);
  if (index === null) return;
  if (done.payload.kind === 'add') on.add(done.payload.action, index);
  else on.move(done.payload.from, index > done.payload.from ? index - 1 : index);
}

function cancelDrag() {
  window.removeEventListener('pointermove', moveDrag);
  window.removeEventListener('pointerup', endDrag);
  window.removeEventListener('pointercancel', cancelDrag);
  drag?.ghost?.remove();
  drag = null;
  document.body.classList.remove('dragging');
  showDropAt(null);
}

// Where a drop at (x, y) puts the step: an index among the steps, or null off the canvas.
function dropIndex(x, y) {
  const canvas = document.getElementById('canvas');
  const box = canvas?.getBoundingClientRect();
  if (!box || x < box.left || x > box.right || y < box.top || y > box.bottom) return null;
  const items = [...document.querySelectorAll('#steps > li.step')];
  const at = items.findIndex((el) => {
    const r = el.getBoundingClientRect();
    return y < r.top + r.height / 2;
  });
  return at === -1 ? items.length : at;
}

function showDropAt(index) {
  const items = [...document.querySelectorAll('#steps > li.step')];
  items.forEach((el, i) => {
    el.classList.toggle('drop-before', index === i);
    el.classList.toggle('drop-after', index === items.length && i === items.length - 1);
  });
  document.getElementById('canvas')?.classList.toggle('drop-target', index !== null);
}
