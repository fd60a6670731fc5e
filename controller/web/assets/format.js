// Turning API values into text: enum names, int64 seconds sent as strings, labels.

// "ROLLOUT_STATUS_RUNNING" -> "RUNNING" (the prefix is the enum's name).
export function enumText(value, prefix) {
  if (value === undefined || value === null || value === '') return '—';
  const s = String(value);
  return prefix && s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

// A CSS class for a state badge: "bad", "good", "warn", "info" or "muted".
const GOOD = new Set(['COMPLIANT', 'SUCCEEDED', 'APPLIED', 'RESTORED', 'UNCHANGED', 'REFUSED_RELAY',
  'ONLINE', 'OK']);
const BAD = new Set(['DRIFTED', 'RELAY_OPEN', 'FAILED', 'HALTED', 'ABORTED', 'ERROR', 'ROLLBACK_FAILED',
  'RELAY_ACCEPTED', 'OFFLINE', 'UNREACHABLE', 'NO_ANSWER']);
const WARN = new Set(['INCONCLUSIVE', 'PAUSED', 'ROLLING_BACK', 'ROLLED_BACK', 'PENDING', 'WOULD_CHANGE',
  'SKIPPED', 'NEVER_CHECKED', 'REFUSED_PLAN']);
const INFO = new Set(['RUNNING', 'PUSHED', 'SENT']);

export function tone(text) {
  if (GOOD.has(text)) return 'good';
  if (BAD.has(text)) return 'bad';
  if (WARN.has(text)) return 'warn';
  if (INFO.has(text)) return 'info';
  return 'muted';
}

// int64 arrives as a string of seconds since the epoch; "0" or "" means never.
export function seconds(v) {
  const n = Number(v || 0);
  return Number.isFinite(n) ? n : 0;
}

function pad(n) { return String(n).padStart(2, '0'); }

export function timeText(v) {
  const s = seconds(v);
  if (!s) return 'never';
  const d = new Date(s * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
         `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function agoText(v, now = Date.now() / 1000) {
  const s = seconds(v);
  if (!s) return 'never';
  const d = Math.max(0, Math.round(now - s));
  if (d < 60) return `${d} s ago`;
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

export function shortCommit(c) { return c ? String(c).slice(0, 10) : '—'; }

export function labelsText(labels) {
  return Object.entries(labels || {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
}

// "env=prod, role=mx" -> {env: 'prod', role: 'mx'}; returns an error string for a bad one.
export function parseLabels(text) {
  const out = {};
  for (const part of String(text || '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return {error: `label "${part}" is not KEY=VALUE`};
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return {labels: out};
}
