// The fleet's compliance over time as an SVG line drawn from the check history: at each check, the
// share of the hosts seen so far whose latest check up to then was COMPLIANT.
import {h, svg} from './dom.js';
import {seconds, timeText} from './format.js';

// history: ComplianceCheck[] in any order -> [{t, pct, compliant, hosts}] oldest first.
export function compliancePoints(history) {
  const checks = history.map((c) => ({host: c.host, t: seconds((c.report && c.report.checked_at) || c.received_at) ||
    seconds(c.received_at), ok: c.report && c.report.status === 'COMPLIANCE_STATUS_COMPLIANT'}))
    .filter((c) => c.t > 0).sort((a, b) => a.t - b.t);
  const latest = new Map();
  const points = [];
  for (const c of checks) {
    latest.set(c.host, c.ok);
    const compliant = [...latest.values()].filter(Boolean).length;
    const point = {t: c.t, pct: (100 * compliant) / latest.size, compliant, hosts: latest.size};
    if (points.length && points[points.length - 1].t === c.t) points[points.length - 1] = point;
    else points.push(point);
  }
  return points;
}

const W = 1000, H = 260, L = 48, R = 16, T = 12, B = 30;

export function complianceChart(history) {
  const points = compliancePoints(history);
  if (points.length === 0) return h('p', {class: 'muted'}, 'No compliance check yet: nothing to chart.');
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1);
  const x = (t) => L + ((W - L - R) * (t - t0)) / (t1 - t0);
  const y = (pct) => T + ((H - T - B) * (100 - pct)) / 100;
  // A step line: the share holds until the next check changes it.
  let d = `M${x(points[0].t).toFixed(1)},${y(points[0].pct).toFixed(1)}`;
  for (let i = 1; i < points.length; i++) {
    d += ` H${x(points[i].t).toFixed(1)} V${y(points[i].pct).toFixed(1)}`;
  }
  const area = `${d} V${y(0)} H${x(points[0].t).toFixed(1)} Z`;
  const grid = [0, 25, 50, 75, 100].map((p) => [
    svg('line', {x1: L, x2: W - R, y1: y(p), y2: y(p), class: 'grid'}),
    svg('text', {x: L - 6, y: y(p) + 4, class: 'axis', 'text-anchor': 'end'}, `${p}%`)]);
  const ticks = [t0, (t0 + t1) / 2, t1].map((t, i) => svg('text', {x: x(t), y: H - 8, class: 'axis',
    'text-anchor': ['start', 'middle', 'end'][i]}, timeText(Math.round(t))));
  const dots = points.map((p) => svg('circle', {cx: x(p.t), cy: y(p.pct), r: 3, class: 'dot'},
    svg('title', {}, `${timeText(p.t)}: ${p.compliant}/${p.hosts} compliant (${Math.round(p.pct)}%)`)));
  const last = points[points.length - 1];
  return h('figure', {class: 'chart'},
    svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart-svg',
      'aria-label': `Fleet compliance over time; now ${Math.round(last.pct)}% (${last.compliant} of ${last.hosts} hosts)`},
    grid, svg('path', {d: area, class: 'area'}), svg('path', {d, class: 'line'}), dots, ticks),
    h('figcaption', {class: 'muted small'},
      `Share of hosts whose latest check so far was compliant, over the ${points.length} check time(s) in the history. Now ${Math.round(last.pct)}%.`));
}
