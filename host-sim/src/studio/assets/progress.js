// The progress bar under the running step, fed by the streamed answer of POST /api/run
// (JSON lines: {"progress": {step, done, total, text}} while the run goes on, then
// {"result": ...}). Self-contained: it draws into the step's element and goes with the next
// render of the canvas.

import {state, tr} from './dom.js';

// Runs the flow, drawing each progress report under its step; returns the run's answer.
export async function runStreamed(flow) {
  const response = await fetch(`/api/run?lang=${encodeURIComponent(state.lang)}`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', Accept: 'application/x-ndjson'},
    body: JSON.stringify(flow),
  });
  if (!response.ok || !response.body) {
    const data = await response.json().catch(() => null);
    const error = data?.error;
    throw new Error(error ? `${tr(error.message)}${error.hint ? ` ${tr(error.hint)}` : ''}` : `HTTP ${response.status}`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const {value, done} = await reader.read();
    pending += decoder.decode(value ?? new Uint8Array(), {stream: !done});
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.progress) showProgress(message.progress);
      if (message.result) return message.result;
    }
    if (done) throw new Error('the run ended without an answer');
  }
}

// Draws one report under step `step` (1-based): a bar when the total is known, and the text.
export function showProgress({step, done, total, text}) {
  const item = document.querySelector(`[data-testid="step-${step}"] .step-main`);
  if (!item) return;
  let box = item.querySelector('.step-progress');
  if (!box) {
    box = document.createElement('div');
    box.className = 'step-progress';
    box.dataset.testid = `progress-${step}`;
    box.append(document.createElement('progress'), document.createElement('span'));
    item.append(box);
  }
  const [bar, label] = box.children;
  if (total > 0) {
    bar.max = total;
    bar.value = Math.min(done, total);
  } else {
    bar.removeAttribute('value');
  }
  label.textContent = text;
}
