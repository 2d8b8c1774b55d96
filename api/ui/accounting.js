/*
 * accounting.js: a treasury's "Accounting" tab (issue #14 in the dashboard
 * of issue #15): its budgets (spent / committed / remaining bars, the
 * alerts fired), the burn per month of the last 12 months per asset, and
 * the runway per asset. Registered with TD.registerView like views.js.
 *
 * Charts are SVG made with document.createElementNS; every string goes in
 * as a text node or an attribute value, and nothing is styled inline (the
 * Content-Security-Policy has style-src 'self': colours are classes of
 * app.css, sizes are the x/y/width/height attributes).
 *
 * Every figure shown is the API's exact decimal string. Bar lengths are
 * drawn from JS numbers (Number() of those strings): a float is used only
 * for the geometry and is never shown.
 */
'use strict';

(function () {
  const { el, amount, time, message, table, cell } = TD;
  const enc = encodeURIComponent;

  /* The SVG namespace: a name, nothing is fetched from it. */
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /* svg('rect', {x: 0, class: 'a'}, children...): like TD.el, for SVG. */
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false)
          continue;
        if (k === 'data') {
          for (const [dk, dv] of Object.entries(v))
            node.dataset[dk] = String(dv);
        } else {
          node.setAttribute(k, String(v));
        }
      }
    }
    children.flat(Infinity).forEach((c) => {
      if (c === null || c === undefined || c === false)
        return;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ?
        document.createTextNode(String(c)) : c);
    });
    return node;
  }

  /* For drawing only: a decimal string as a JS number (may round). Never
   * shown; a value that is not a number draws as 0. */
  function drawNum(text) {
    const n = Number(text);
    return isFinite(n) ? n : 0;
  }

  /* For the geometry only (rounded to 0.1 user unit). */
  const r1 = (v) => Math.round(v * 10) / 10;

  const isZero = (text) => /^-?0*(\.0*)?$/.test(String(text));
  const isNegative = (text) => String(text).startsWith('-') && !isZero(text);

  function sameTreasury(ev, ctx) {
    const d = ev.data || {};
    return !d.treasury || d.treasury === ctx.params[0];
  }

  /* A category name shown as what it is: a label, not signed. */
  function categoryLabel(name) {
    return el('span.cat', { title: 'Accounting label: not signed, a treasurer ' +
      'may set or correct it without a vote', data: { category: name } },
    el('span.cat-name', null, name));
  }

  /* ---- budgets ---- */

  /*
   * One bar in a 1000 x 24 box stretched to the row's width: spent, then
   * committed, then what remains of the budget; over budget, the bar is
   * scaled to spent + committed, a line marks the budget's amount and a
   * band above the bar marks the part over it.
   */
  function budgetBar(b) {
    const W = 1000;
    const amt = drawNum(b.amount);
    const sp = Math.max(0, drawNum(b.spent));
    const cm = Math.max(0, drawNum(b.committed));
    const total = Math.max(amt, sp + cm) || 1;
    const x = (v) => r1(Math.max(0, Math.min(W, v / total * W)));
    const xs = x(sp);
    const xc = x(sp + cm);
    const xa = x(amt);
    const over = isNegative(b.remaining);
    const unit = ' ' + b.asset;
    return svg('svg', { class: 'bar budget-bar', viewBox: '0 0 ' + W + ' 24',
      preserveAspectRatio: 'none', width: '100%', height: 24, role: 'img',
      'aria-label': 'spent ' + b.spent + unit + ', committed ' + b.committed +
        unit + ', remaining ' + b.remaining + unit + ' of ' + b.amount + unit },
    svg('rect', { class: 'track', x: 0, y: 4, width: W, height: 16 }),
    svg('rect', { class: 'spent', x: 0, y: 4, width: xs, height: 16,
      data: { part: 'spent' } }, svg('title', null, 'spent ' + b.spent + unit)),
    svg('rect', { class: 'committed', x: xs, y: 4, width: r1(xc - xs), height: 16,
      data: { part: 'committed' } },
    svg('title', null, 'committed ' + b.committed + unit)),
    over ? null : svg('rect', { class: 'remaining', x: xc, y: 4,
      width: r1(Math.max(0, xa - xc)), height: 16, data: { part: 'remaining' } },
    svg('title', null, 'remaining ' + b.remaining + unit)),
    over ? svg('rect', { class: 'over-zone', x: xa, y: 4, width: r1(W - xa),
      height: 16 }) : null,
    over ? svg('rect', { class: 'over', x: xa, y: 0, width: r1(W - xa), height: 4,
      data: { part: 'over' } }, svg('title', null, 'over budget: remaining ' +
        b.remaining + unit)) : null,
    over ? svg('line', { class: 'limit', x1: xa, x2: xa, y1: 0, y2: 24,
      'vector-effect': 'non-scaling-stroke', data: { part: 'limit' } }) : null);
  }

  function budgetRow(b) {
    const over = isNegative(b.remaining);
    const fig = (label, value, cls) => [el('dt', null, label),
      el('dd', { class: cls }, amount(value, b.asset))];
    const alerts = (b.alerts || []).slice().sort((p, q) => p - q);
    return el('article.budget', { class: over ? 'is-over' : null,
      data: { category: b.category, period: b.period, asset: b.asset } },
    el('h3', null, categoryLabel(b.category), ' ',
      el('span.period', null, b.period === 'quarter' ? 'per quarter' : 'per month'),
      ' ', el('span.muted', null, b.asset), ' ',
      over ? el('strong.over-tag', null, 'over budget') : null),
    el('p.meta', null, 'Budget ', amount(b.amount, b.asset), ' ' + b.asset +
      ' from ', time(b.period_from), ' to ', time(b.period_to)),
    el('div.budget-body', null,
      el('div.budget-chart', null, budgetBar(b)),
      el('dl.figures', null,
        fig('Spent', b.spent, 'spent'),
        fig('Committed', b.committed, 'committed'),
        fig('Remaining', b.remaining, over ? 'remaining over' : 'remaining'))),
    el('p.alerts', null, el('span.muted', null, 'Alerts this period: '),
      alerts.length === 0 ? el('span.muted', null, 'none') :
        alerts.map((lvl, i) => [i ? ' ' : null, el('span.alert', {
          class: lvl >= 100 ? 'a100' : 'a80', data: { level: lvl } },
        lvl + ' %')])));
  }

  function legend(items) {
    return el('p.legend', { 'aria-hidden': 'true' }, items.map((it) =>
      el('span.lg', null, el('span.swatch', { class: it[0] }), ' ', it[1])));
  }

  function budgetsSection(list) {
    return el('section', { id: 'budgets', 'aria-labelledby': 'budgets-h' },
      el('h2', { id: 'budgets-h' }, 'Budgets'),
      list.length === 0 ? message('info', 'No budget.') : [
        legend([['spent', 'spent'], ['committed', 'committed (open proposals)'],
          ['remaining', 'remaining'], ['over', 'over budget']]),
        list.map(budgetRow)]);
  }

  /* ---- burn per month ---- */

  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
    'Oct', 'Nov', 'Dec'];

  /* "2026-12-05T…" -> [the first day of the month 11 months before, the
   * first day of the next month]: the last 12 calendar months, the current
   * one whole (a report's default "to", now, would leave out an entry of
   * this very second: the range is half-open). */
  function twelveMonths(at) {
    const m = /^(\d{4})-(\d\d)/.exec(String(at));
    if (!m)
      return null;
    const first = (y, mo) => {
      const k = y * 12 + (mo - 1);
      return String(Math.floor(k / 12)).padStart(4, '0') + '-' +
        String(k % 12 + 1).padStart(2, '0') + '-01';
    };
    const y = Number(m[1]);
    const mo = Number(m[2]);
    return [first(y, mo - 11), first(y, mo + 1)];
  }

  /* One asset's months as vertical bars in a 360-wide box (readable at
   * 360 px; capped in width by app.css on a large screen). */
  function burnChart(asset, months) {
    const W = 360;
    const H = 150;
    const top = 18;
    const base = 120;
    const slot = W / months.length;
    const max = Math.max(...months.map((m) => drawNum(m.outflow)), 0);
    let peak = months[0];
    months.forEach((m) => {
      if (drawNum(m.outflow) > drawNum(peak.outflow))
        peak = m;
    });
    return svg('svg', { class: 'chart burn-chart', viewBox: '0 0 ' + W + ' ' + H,
      role: 'img', data: { asset: asset },
      'aria-label': 'Outflow per month of ' + asset + ' (the table below has ' +
        'every amount)' },
    svg('text', { class: 'peak', x: 0, y: 11 }, 'peak ' + peak.outflow + ' ' +
      asset + ' (' + peak.month + ')'),
    svg('line', { class: 'axis', x1: 0, x2: W, y1: base + 0.5, y2: base + 0.5 }),
    months.map((m, i) => {
      const v = drawNum(m.outflow);
      let h = max > 0 ? (v / max) * (base - top) : 0;
      if (v > 0 && h < 1)
        h = 1;		// a tiny outflow stays visible
      const x = r1(i * slot + slot * 0.15);
      const mo = Number(m.month.slice(5, 7));
      const showYear = i === 0 || mo === 1;
      return svg('g', { class: 'month', data: { month: m.month, outflow: m.outflow } },
        svg('title', null, m.month + ': outflow ' + m.outflow + ' ' + asset),
        svg('rect', { class: 'hit', x: r1(i * slot), y: top, width: r1(slot),
          height: base - top }),
        svg('rect', { class: 'burn', x: x, y: r1(base - h), width: r1(slot * 0.7),
          height: r1(h) }),
        svg('text', { class: 'tick', x: r1(i * slot + slot / 2), y: base + 13,
          'text-anchor': 'middle' }, MONTHS[mo - 1] || m.month.slice(5, 7)),
        showYear ? svg('text', { class: 'tick year', x: r1(i * slot + slot / 2),
          y: base + 25, 'text-anchor': 'middle' }, m.month.slice(0, 4)) : null);
    }));
  }

  function burnSection(report, from) {
    const periods = (report && report.periods) || [];
    // per asset, one row per month: the exact strings of the report
    const byAsset = new Map();
    periods.forEach((p) => {
      const month = String(p.from).slice(0, 7);
      (p.assets || []).forEach((a) => {
        if (!byAsset.has(a.asset))
          byAsset.set(a.asset, new Map());
        byAsset.get(a.asset).set(month, a);
      });
    });
    const months = periods.map((p) => String(p.from).slice(0, 7));
    const assets = [...byAsset.keys()].sort();
    // the exact amounts open beside the chart on a wide screen, folded
    // under it on a narrow one
    const wide = window.matchMedia('(min-width: 48rem)').matches;
    const blocks = assets.map((asset) => {
      const rows = months.map((mo) => {
        const a = byAsset.get(asset).get(mo);
        return { month: mo, outflow: a ? a.outflow : '0', inflow: a ? a.inflow : '0',
          known: Boolean(a) };
      });
      const any = rows.some((r) => !isZero(r.outflow));
      return el('div.burn', { data: { asset: asset } },
        el('h3', null, asset),
        any ? null : el('p.muted', null, 'No outflow in these months.'),
        el('div.burn-body', null,
          any ? el('figure.burn-figure', null, burnChart(asset, rows)) : null,
          el('details.amounts', { open: wide || !any },
            el('summary', null, 'Exact amounts per month'),
            table([{ label: 'Month' }, { label: 'Outflow', num: true },
              { label: 'Inflow', num: true }], rows.slice().reverse().map((r) =>
              el('tr', { data: { month: r.month } }, cell(r.month),
                cell(r.known ? amount(r.outflow, asset) : el('span.muted', null, '—'),
                  true),
                cell(r.known ? amount(r.inflow, asset) : el('span.muted', null, '—'),
                  true))), { label: 'Outflow per month of ' + asset }))));
    });
    return el('section', { id: 'burn', 'aria-labelledby': 'burn-h' },
      el('h2', { id: 'burn-h' }, 'Burn per month'),
      el('p.meta', null, 'Executed transfers out per UTC calendar month, the last 12 ' +
        'from ' + (from || '?') + ' (the current month so far).'),
      assets.length === 0 ? message('info', 'No movement yet.') : blocks);
  }

  /* ---- runway ---- */

  const RUNWAY_SCALE = 24;	// months shown by the full bar

  function runwayBar(a) {
    const W = 240;
    const v = a.runway_months === null ? null : drawNum(a.runway_months);
    const w = v === null ? 0 : r1(Math.min(v, RUNWAY_SCALE) / RUNWAY_SCALE * W);
    const cls = v === null ? 'none' : v < 3 ? 'short' : v < 6 ? 'low' : 'long';
    return svg('svg', { class: 'bar runway-bar', viewBox: '0 0 ' + W + ' 16',
      preserveAspectRatio: 'none', width: '100%', height: 16, role: 'img',
      'aria-label': a.runway_months === null ? 'no outflow' :
        a.runway_months + ' months of ' + RUNWAY_SCALE },
    svg('rect', { class: 'track', x: 0, y: 2, width: W, height: 12 }),
    v === null ? null : svg('rect', { class: 'runway ' + cls, x: 0, y: 2, width: w,
      height: 12, data: { part: 'runway' } },
    svg('title', null, a.runway_months + ' months' +
      (v > RUNWAY_SCALE ? ' (the bar stops at ' + RUNWAY_SCALE + ')' : ''))),
    [6, 12, 18].map((m) => svg('line', { class: 'tick-line',
      x1: m / RUNWAY_SCALE * W, x2: m / RUNWAY_SCALE * W, y1: 0, y2: 16,
      'vector-effect': 'non-scaling-stroke' })));
  }

  function runwaySection(rw) {
    const assets = rw.assets || [];
    return el('section', { id: 'runway', 'aria-labelledby': 'runway-h' },
      el('h2', { id: 'runway-h' }, 'Runway'),
      el('p.meta', null, 'At ', time(rw.at), ': balance ÷ (90-day outflow ÷ 3), ' +
        'rounded down to hundredths. The bar shows 0 to ' + RUNWAY_SCALE +
        ' months (ticks every 6).'),
      assets.length === 0 ? message('info', 'No balance.') :
        el('div.cards', { id: 'runway-list' }, assets.map((a) =>
          el('article.runway-item', { data: { asset: a.asset } },
            el('h3', null, a.asset),
            el('dl.figures', null,
              el('dt', null, 'Balance'),
              el('dd.balance', null, amount(a.balance, a.asset)),
              el('dt', null, 'Outflow 30 days'),
              el('dd.o30', null, amount(a.outflow_30d, a.asset)),
              el('dt', null, 'Outflow 90 days'),
              el('dd.o90', null, amount(a.outflow_90d, a.asset)),
              el('dt', null, 'Runway'),
              el('dd', null, a.runway_months === null ?
                el('span.runway-months.muted', null, 'no outflow') :
                [el('span.runway-months.num', null, a.runway_months), ' months'])),
            runwayBar(a)))));
  }

  /* ---- the tab ---- */

  TD.registerView({
    id: 'accounting',
    path: /^\/t\/([^/]+)\/accounting$/,
    title: (p) => 'Accounting of ' + p[0],
    tab: { label: 'Accounting', order: 35, slug: 'accounting' },
    refreshOn: sameTreasury,
    render: async (ctx) => {
      const tid = enc(ctx.params[0]);
      const [budgets, rw] = await Promise.all([
        TD.get('treasuries/' + tid + '/budgets'),
        TD.get('treasuries/' + tid + '/runway'),
        TD.get('treasuries/' + tid).then((t) => { ctx.treasury = t; })]);
      // the last 12 months by the daemon's clock (runway's "at"), not the
      // browser's
      const range = twelveMonths(rw.at);
      const from = range && range[0];
      const report = range ? await TD.get('treasuries/' + tid + '/report?from=' +
        enc(range[0]) + '&to=' + enc(range[1]) + '&period=month') : null;
      return TD.treasuryFrame(ctx, 'accounting', el('div', { id: 'accounting' },
        budgetsSection(budgets.budgets || []),
        burnSection(report, from),
        runwaySection(rw)));
    },
  });
})();
