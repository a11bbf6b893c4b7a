// host-sim studio: the page. Everything it shows about the plugin comes from the manifest
// (GET /api/studio); its own words come from the server too, in both languages.

import {announce, actionSpec, h, post, state, tr, word} from './dom.js';
import {focusStep, renderCanvas, renderPalette} from './canvas.js';
import {refreshForm, renderForm, variablesFor, kindOf} from './form.js';
import {applyFlow, flowText, newStep, parseFlow, toFlow} from './flowfile.js';
import {runStreamed} from './progress.js';

const $ = (id) => document.getElementById(id);

const actions = {
  add(action, index) {
    const step = newStep(action);
    state.steps.splice(index, 0, step);
    // An input that only a variable can fill (a robot object) takes the nearest fitting one.
    for (const field of [...(actionSpec(action)?.inputs?.basic ?? []), ...(actionSpec(action)?.inputs?.advanced ?? [])]) {
      if (kindOf(field) !== 'object' || step.values[field.name]) continue;
      const fitting = variablesFor(index, field);
      if (fitting.length) step.values[field.name] = `\${${fitting[fitting.length - 1].name}}`;
    }
    state.selected = index;
    state.tab = 'basic';
    flowChanged();
    renderAll();
    announce(word('added', {n: index + 1, title: tr(actionSpec(action)?.title)}));
    focusStep(index);
  },
  move(from, to) {
    if (to < 0 || to >= state.steps.length || from === to) return;
    const [step] = state.steps.splice(from, 1);
    state.steps.splice(to, 0, step);
    if (state.selected === from) state.selected = to;
    else if (state.selected > from && state.selected <= to) state.selected -= 1;
    else if (state.selected < from && state.selected >= to) state.selected += 1;
    flowChanged();
    renderAll();
    announce(word('moved', {n: to + 1}));
    focusStep(to);
  },
  remove(index) {
    state.steps.splice(index, 1);
    if (state.selected >= state.steps.length) state.selected = state.steps.length - 1;
    else if (state.selected > index) state.selected -= 1;
    flowChanged();
    renderAll();
    announce(word('removed', {n: index + 1}));
    focusStep(Math.min(index, state.steps.length - 1));
  },
  select(index) {
    if (state.selected === index) return;
    state.selected = index;
    state.tab = 'basic';
    renderCanvas($('steps'), $('canvas-empty'));
    renderForm($('form-body'), edited);
    focusStep(index);
  },
};

// The flow changed shape: earlier results no longer describe it.
function flowChanged() {
  state.results = [];
  scheduleCheck();
}

// A field of a step was edited.
function edited() {
  state.results[state.selected] = undefined;
  refreshForm($('form-body'));
  renderCanvas($('steps'), $('canvas-empty'));
  scheduleCheck();
}

let checkTimer = null;
let checkSeq = 0;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 250);
}

async function check() {
  const seq = ++checkSeq;
  if (!state.steps.length) {
    state.checks = [];
    return;
  }
  try {
    const answer = await post('/api/check', toFlow({secrets: true}).flow);
    if (seq !== checkSeq || state.running) return;
    state.checks = answer.checks;
    refreshForm($('form-body'));
    renderCanvas($('steps'), $('canvas-empty'));
  } catch (e) {
    showMessage(word('serverError', {why: e.message}), 'error');
  }
}

function showMessage(text, kind = 'info') {
  state.message = text ? {text, kind} : null;
  const el = $('message');
  el.textContent = text ?? '';
  el.className = `message ${kind}`;
}

async function run() {
  if (state.running) return;
  if (!state.steps.length) {
    showMessage(word('emptyFlow'), 'error');
    return;
  }
  clearTimeout(checkTimer);
  checkSeq += 1;
  state.running = true;
  showMessage(word('running'));
  renderToolbar();
  renderCanvas($('steps'), $('canvas-empty'));
  try {
    const answer = await runStreamed(toFlow({secrets: true}).flow);
    state.checks = answer.checks;
    state.results = answer.steps;
    state.received = answer.emulator;
    state.log = answer.log ?? [];
    state.showAll = true;
    const failed = answer.steps.findIndex((s) => s.status === 'error');
    if (!answer.ran) {
      showMessage(word('checkFailed'), 'error');
    } else if (failed >= 0) {
      showMessage(word('ranError', {n: failed + 1}), 'error');
    } else {
      showMessage(word('ranOk'), 'ok');
    }
    if (failed >= 0 && failed !== state.selected) state.selected = failed;
    if (failed >= 0) showTabOfProblem(failed);
  } catch (e) {
    showMessage(word('serverError', {why: e.message}), 'error');
  } finally {
    state.running = false;
    renderAll();
  }
}

// Opens the tab that holds the first problem of step `index`, so that it can be seen.
function showTabOfProblem(index) {
  const spec = actionSpec(state.steps[index]?.action);
  const names = [...Object.keys(state.checks[index]?.fields ?? {}), state.results[index]?.error?.field].filter(Boolean);
  if (!spec || !names.length) return;
  const inBasic = (spec.inputs?.basic ?? []).some((f) => names.includes(f.name));
  const inAdvanced = (spec.inputs?.advanced ?? []).some((f) => names.includes(f.name));
  if (!inBasic && inAdvanced) state.tab = 'advanced';
  else if (inBasic) state.tab = 'basic';
}

async function stop() {
  try {
    await post('/api/stop', {});
  } catch (e) {
    showMessage(word('serverError', {why: e.message}), 'error');
  }
}

// Save: the flow's JSON, shown and downloaded as flow.json; secrets as ${env:NAME} unless
// the user ticks the box.
function openSave() {
  fillSave();
  $('save-dialog').showModal();
}

function fillSave() {
  const secrets = $('save-secrets').checked;
  const {text, env} = flowText({secrets});
  $('flow-json').value = text;
  const notes = [];
  if (secrets) notes.push(word('saveSecretsNote'));
  else if (env.length) notes.push(word('saveEnvNote', {names: env.join(', ')}));
  notes.push(word('saveRunHint'));
  $('save-note').textContent = notes.join(' ');
}

function download() {
  const blob = new Blob([$('flow-json').value], {type: 'application/json'});
  const url = URL.createObjectURL(blob);
  const link = h('a', {href: url, download: 'flow.json', hidden: true});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function loadFile(file) {
  if (!file) return;
  try {
    const flow = parseFlow(await file.text());
    applyFlow(flow);
    state.tab = 'basic';
    renderAll();
    scheduleCheck();
    showMessage(word('loaded', {name: file.name, n: flow.steps.length}), 'ok');
  } catch (e) {
    showMessage(word('loadFailed', {name: file.name, why: e.message}), 'error');
  } finally {
    $('load-file').value = '';
  }
}

async function loadExample() {
  try {
    const response = await fetch(`/api/example?lang=${encodeURIComponent(state.lang)}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    applyFlow(parseFlow(await response.text()));
    state.tab = 'basic';
    renderAll();
    scheduleCheck();
    showMessage(word('exampleLoaded'), 'info');
  } catch (e) {
    showMessage(word('serverError', {why: e.message}), 'error');
  }
}

function renderToolbar() {
  $('run').disabled = state.running;
  $('stop').hidden = !state.running;
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === state.lang));
  }
}

function renderWords() {
  document.documentElement.lang = state.lang;
  document.title = `${word('title')} · ${tr(state.info.manifest.name)}`;
  for (const el of document.querySelectorAll('[data-word]')) el.textContent = word(el.dataset.word);
  $('plugin-name').textContent = `${tr(state.info.manifest.name)} ${state.info.manifest.version}`;
}

function renderEmulator() {
  const root = $('emulator-body');
  root.replaceChildren();
  const emulator = state.info.emulator;
  if (!emulator) {
    root.append(h('p', {class: 'empty', text: word('emulatorOff')}));
    return;
  }
  root.append(h('p', {class: 'help', text: word('emulatorAt', {url: emulator.url, appKey: emulator.appKey})}),
    h('p', {class: 'help', text: word('emulatorUsers', {users: emulator.users.join(', '), limited: emulator.flowControlled.join(', ')})}));
  // Reply as a user of the emulated org: what a flow's "Wait for a reply" receives.
  const who = h('select', {'data-testid': 'say-user', 'aria-label': word('sayAs')},
    ...emulator.users.map((u) => h('option', {value: u, text: u})));
  const said = h('input', {type: 'text', 'data-testid': 'say-text', 'aria-label': word('sayText'), placeholder: word('sayText')});
  const outcome = h('p', {class: 'help', 'data-testid': 'say-outcome'});
  const send = h('button', {type: 'button', 'data-testid': 'say-send', text: word('saySend'), onclick: async () => {
    try {
      await post('/api/emulator/say', {userId: who.value, text: said.value});
      outcome.textContent = word('saySent', {user: who.value});
      said.value = '';
    } catch (e) {
      outcome.textContent = e.message;
    }
  }});
  root.append(h('div', {class: 'say'}, h('h3', {text: word('sayAs')}), who, said, send, outcome));
  if (emulator.clicks) root.append(renderClick(emulator));
  if (emulator.webhook) root.append(renderWebhook(emulator.webhook));
  const received = state.received;
  const messages = received?.messages ?? [];
  if (!messages.length) root.append(h('p', {class: 'empty', 'data-testid': 'received-none', text: word('noMessages')}));
  const list = h('ol', {class: 'received', 'data-testid': 'received'});
  messages.forEach((m, i) => list.append(h('li', {class: 'message-received', 'data-testid': `received-${i + 1}`},
    h('div', {}, h('span', {class: 'k', text: `${word('template')}: `}), h('code', {text: m.msgKey})),
    h('div', {}, h('span', {class: 'k', text: `${word('recipients')}: `}), h('span', {text: (m.userIds ?? []).join(', ')})),
    h('div', {}, h('span', {class: 'k', text: `${word('msgParam')}: `})),
    h('pre', {text: JSON.stringify(m.msgParam, null, 2)}))));
  if (messages.length) root.append(list);
  if (received?.uploads?.length) {
    root.append(h('h3', {text: word('uploads')}), h('ul', {}, ...received.uploads.map((u) => h('li', {text: `${u.filename} (${u.size} B) → ${u.mediaId}`}))));
  }
  if (received?.groupMessages?.length) {
    root.append(h('h3', {text: word('groupReceived')}), h('ol', {class: 'received', 'data-testid': 'group-received'},
      ...received.groupMessages.map((m) => h('li', {class: 'message-received'},
        h('div', {}, h('span', {class: 'k', text: `${word('template')}: `}), h('code', {text: m.msgtype})),
        h('pre', {text: JSON.stringify(m.body, null, 2)})))));
  }
  if (received?.stats) root.append(renderStats(received.stats));
  if (state.log.length) {
    root.append(h('details', {class: 'log'}, h('summary', {text: word('log')}),
      h('pre', {'data-testid': 'log', text: state.log.map(logLine).join('\n')})));
  }
}

// The emulator's counters, each labelled in the page's words; the per-template counts as a
// list of their own. Counters still at zero are left out.
function renderStats(stats) {
  const items = [];
  for (const [key, value] of Object.entries(stats)) {
    if (key === 'messagesByTemplate') continue;
    if (typeof value === 'number' && value > 0) items.push(h('li', {}, `${word(`stat.${key}`)} `, h('strong', {text: String(value)})));
  }
  const byTemplate = Object.entries(stats.messagesByTemplate ?? {}).filter(([, n]) => n > 0);
  const root = h('div', {class: 'stats', 'data-testid': 'emulator-stats'}, h('h3', {text: word('stats')}));
  if (!items.length && !byTemplate.length) root.append(h('p', {class: 'empty', text: word('statsNone')}));
  if (items.length) root.append(h('ul', {class: 'counters'}, ...items));
  if (byTemplate.length) {
    root.append(h('p', {class: 'help', text: word('stat.messagesByTemplate')}),
      h('ul', {class: 'counters', 'data-testid': 'stats-by-template'},
        ...byTemplate.map(([template, n]) => h('li', {}, h('code', {text: template}), ' ', h('strong', {text: String(n)})))));
  }
  return root;
}

// A log line ("level: message") with its level in the page's words.
function logLine(line) {
  const match = /^(error|warn|info|debug): (.*)$/s.exec(line);
  return match ? word('logLine', {level: word(`level.${match[1]}`), line: match[2]}) : line;
}

// The emulator's custom robot: what to type into "connect custom robot" to try the webhook
// actions in the page.
function renderWebhook(webhook) {
  return h('div', {class: 'webhook', 'data-testid': 'webhook'},
    h('h3', {text: word('webhook')}),
    h('p', {class: 'help', text: word('webhookHelp', {group: webhook.group})}),
    h('div', {}, h('span', {class: 'k', text: `${word('webhookUrl')}: `}), h('code', {'data-testid': 'webhook-url', text: webhook.url})),
    h('div', {}, h('span', {class: 'k', text: `${word('webhookSecret')}: `}), h('code', {'data-testid': 'webhook-secret', text: webhook.secret})));
}

// Click a card's choice as a user: shown only when the server can (emulator.clicks).
function renderClick(emulator) {
  const who = h('select', {'data-testid': 'click-user', 'aria-label': word('clickAs')},
    ...emulator.users.map((u) => h('option', {value: u, text: u})));
  const card = h('input', {type: 'text', 'data-testid': 'click-card', 'aria-label': word('clickCard'), placeholder: word('clickCard')});
  const choice = h('input', {type: 'text', 'data-testid': 'click-choice', 'aria-label': word('clickChoice'), placeholder: word('clickChoice')});
  const outcome = h('p', {class: 'help', 'data-testid': 'click-outcome'});
  const send = h('button', {type: 'button', 'data-testid': 'click-send', text: word('clickSend'), onclick: async () => {
    try {
      await post('/api/emulator/click', {userId: who.value, outTrackId: card.value, choice: choice.value});
      outcome.textContent = word('clicked', {user: who.value, choice: choice.value});
    } catch (e) {
      outcome.textContent = e.message;
    }
  }});
  const help = h('p', {class: 'help', text: word('clickHelp', {template: emulator.cardTemplate})});
  return h('div', {class: 'say'}, h('h3', {text: word('clickAs')}), help, who, card, choice, send, outcome);
}

function renderAll() {
  renderWords();
  renderToolbar();
  renderPalette($('palette-list'), actions);
  renderCanvas($('steps'), $('canvas-empty'));
  renderForm($('form-body'), edited);
  renderEmulator();
  if (state.message) showMessage(state.message.text, state.message.kind);
}

function setLanguage(lang) {
  state.lang = lang;
  renderAll();
}

async function boot() {
  try {
    const response = await fetch('/api/studio');
    state.info = await response.json();
  } catch (e) {
    document.body.textContent = `studio: ${e.message}`;
    return;
  }
  state.lang = state.info.lang === 'zh-CN' ? 'zh-CN' : 'en';
  $('run').addEventListener('click', run);
  $('stop').addEventListener('click', stop);
  $('save').addEventListener('click', openSave);
  $('save-secrets').addEventListener('change', fillSave);
  $('save-download').addEventListener('click', download);
  $('save-close').addEventListener('click', () => $('save-dialog').close());
  $('load').addEventListener('click', () => $('load-file').click());
  $('load-file').addEventListener('change', (ev) => loadFile(ev.target.files?.[0]));
  $('example').hidden = !state.info.example;
  $('example').addEventListener('click', loadExample);
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  try {
    state.received = await (await fetch('/api/emulator')).json();
  } catch {
    state.received = null;
  }
  renderAll();
  document.body.dataset.ready = 'true';
}

boot();
