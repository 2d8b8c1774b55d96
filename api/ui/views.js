/*
 * views.js: the dashboard's views, registered with TD.registerView
 * (core.js): all treasuries with their balances; a treasury's queue,
 * history, ledger and policy (its tabs); one proposal with its canonical
 * text. Every server string goes through TD.el as text.
 *
 * The accounting tab (budgets, burn per month, runway) is accounting.js,
 * registering its view the same way (with TD.treasuryFrame below).
 */
'use strict';

(function () {
  const { el, link, amount, time, badge, message, table, cell } = TD;

  const enc = encodeURIComponent;

  /* The canonical text's "key: value" lines after the first. */
  function canonicalFields(text) {
    const out = [];
    String(text).split('\n').slice(1).forEach((line) => {
      const i = line.indexOf(': ');
      if (i > 0)
        out.push([line.slice(0, i), line.slice(i + 2)]);
    });
    return out;
  }

  function field(fields, key) {
    const f = fields.find((kv) => kv[0] === key);
    return f ? f[1] : '';
  }

  /* What a proposal does, in one line, from its canonical text. */
  function summary(p) {
    const f = canonicalFields(p.canonical);
    switch (p.kind) {
    case 'transfer':
      return el('span', null, amount(field(f, 'amount')), ' ',
        field(f, 'asset'), ' → ', el('code', null, field(f, 'to')));
    case 'batch':
      return el('span', null, field(f, 'transfers') + ' transfers');
    case 'add-signer':
    case 'remove-signer':
    case 'replace-signer':
      return el('span', null, p.kind + ' ', el('code', null,
        field(f, 'signer') || field(f, 'name')));
    case 'set-threshold':
      return el('span', null, 'threshold → ' + field(f, 'threshold'));
    default:
      return el('span', null, p.kind);
    }
  }

  function memoOf(p) {
    const f = canonicalFields(p.canonical);
    const memo = field(f, 'memo');
    return memo ? el('p.memo', null, el('span.muted', null, 'memo: '),
      el('span.memo-text', null, memo)) : null;
  }

  function required(p) {
    return p.required_approvals || p.threshold;
  }

  /* Which signers approved, rejected or have not voted. */
  function votes(p, treasury) {
    const approved = new Map(p.approvals.map((v) => [v.signer, v]));
    const rejected = new Map(p.rejections.map((v) => [v.signer, v]));
    let names = treasury && treasury.config_version === p.config_version ?
      treasury.signers.map((s) => s.name) : [];
    names = names.concat([...approved.keys(), ...rejected.keys()]
      .filter((n) => names.indexOf(n) < 0));
    return el('ul.votes', { 'aria-label': 'Votes' }, names.map((n) => {
      const a = approved.get(n);
      const r = rejected.get(n);
      const state = a ? 'approved' : r ? 'rejected' : 'waiting';
      return el('li', { class: 'vote-' + state, data: { signer: n, vote: state } },
        el('span.mark', { 'aria-hidden': 'true' }, a ? '✓' : r ? '✗' : '·'), ' ',
        el('span.signer', null, n), ' ',
        el('span.muted', null, a ? 'approved' : r ? 'rejected' : 'has not voted'),
        a || r ? [' ', time((a || r).voted_at)] : null);
    }));
  }

  function needs(p) {
    const more = required(p) - p.approval_count;
    if (p.status !== 'pending' || more <= 0)
      return null;
    return el('span.needs', { data: { needs: more } }, 'needs ' + more + ' more');
  }

  function timelock(p) {
    if (p.status !== 'approved' || !p.executable_at)
      return null;
    if (Date.parse(p.executable_at) <= Date.now())
      return el('span.ok', null, 'executable');
    return el('span.timelock', null, 'timelocked: ',
      TD.countdown(p.executable_at, 'executable in', 'executable now'));
  }

  function approveCommand(p) {
    const cmd = 'treasuryctl approve ' + p.id;
    return el('div.cmd', null,
      el('span.muted', null, 'A signer approves with: '),
      el('code', { data: { command: 'approve' } }, cmd), ' ',
      navigator.clipboard ? el('button.small.secondary', { type: 'button',
        'aria-label': 'Copy the command',
        on: { click: (ev) => {
          navigator.clipboard.writeText(cmd).then(() => {
            ev.target.textContent = 'Copied';
          }, () => {});
        } } }, 'Copy') : null);
  }

  /* The execute button (treasurer tokens), with its outcome below it. */
  function executeButton(ctx, p, treasury) {
    if (!ctx.can('treasurer') || p.status !== 'approved')
      return null;
    if (treasury && treasury.frozen)
      return null;
    if (p.executable_at && Date.parse(p.executable_at) > Date.now())
      return null;
    const out = el('span.outcome', { role: 'status' });
    const key = TD.idempotencyKey();
    const btn = el('button', { type: 'button', data: { execute: p.id },
      on: { click: async () => {
        if (!window.confirm('Execute proposal ' + p.id.slice(0, 12) + '…?'))
          return;
        btn.disabled = true;
        out.textContent = 'executing…';
        try {
          const r = await TD.api('POST', 'proposals/' + enc(p.id) + '/execute', {},
            { idempotencyKey: key });
          out.textContent = 'status: ' + r.status;
          ctx.rerender();
        } catch (e) {
          out.textContent = 'refused: ' + e.message;
          btn.disabled = false;
        }
      } } }, 'Execute');
    return el('span.exec', null, btn, ' ', out);
  }

  function frozenBanner(t) {
    if (!t.frozen)
      return null;
    return el('div.banner.frozen', { role: 'alert', id: 'frozen-banner' },
      el('strong', null, 'Frozen'), ' since ', time(t.frozen_at),
      ' (freeze ' + t.freeze_seq + '): nothing executes but the unfreeze proposal.');
  }

  /* ---- all treasuries ---- */

  TD.registerView({
    id: 'treasuries',
    path: /^\/$/,
    title: () => 'Treasuries',
    render: async (ctx) => {
      TD.setCrumbs([{ label: 'Treasuries' }]);
      const list = await TD.getAll('treasuries', 'treasuries');
      const rows = await Promise.all(list.items.map(async (t) => {
        const [b, q] = await Promise.all([
          TD.get('treasuries/' + enc(t.id) + '/balances'),
          TD.get('treasuries/' + enc(t.id) + '/proposals?status=pending&limit=500'),
        ]);
        return { t: t, balances: b.balances, pending: q.proposals.length,
          morePending: Boolean(q.next_cursor) };
      }));
      return el('div', null,
        el('h1', { tabindex: -1 }, 'Treasuries'),
        rows.length === 0 ? message('info', 'No treasury yet.') : null,
        el('div.cards', { id: 'treasuries' }, rows.map((r) =>
          el('section.card', { data: { treasury: r.t.id },
            'aria-labelledby': 'tr-' + r.t.id },
          el('h2', { id: 'tr-' + r.t.id },
            link(TD.treasuryPath(r.t.id), el('span.tname', null, r.t.name)),
            ' ', el('code.tid', null, r.t.id)),
          el('p.meta', null, r.t.threshold + ' of ' + r.t.signers.length +
            ' signers · config ' + r.t.config_version + ' · ',
          link(TD.treasuryPath(r.t.id), r.pending + (r.morePending ? '+' : '') +
            ' pending'),
          r.t.frozen ? [' · ', el('strong.frozen-tag', null, 'frozen')] : null),
          r.balances.length === 0 ? el('p.muted', null, 'No balance yet.') :
            table([{ label: 'Asset' }, { label: 'Balance', num: true }],
              r.balances.map((b) => el('tr', { data: { asset: b.asset } },
                cell(b.asset), cell(amount(b.amount, b.asset), true))),
              { label: 'Balances of ' + r.t.id })))),
        list.more ? message('info', 'Only the first ' + list.items.length +
          ' treasuries are shown.') : null);
    },
  });

  /* ---- a treasury: header and tabs ---- */

  async function treasuryFrame(ctx, tabId, body) {
    const tid = ctx.params[0];
    const t = ctx.treasury;
    TD.setCrumbs([{ label: 'Treasuries', path: '/' },
      { label: t.name, path: TD.treasuryPath(tid) },
      { label: TD.treasuryTabs().find((v) => v.id === tabId).tab.label }]);
    const tabs = el('nav.tabs', { 'aria-label': 'Treasury views' },
      TD.treasuryTabs().map((v) => el('a', {
        href: '#' + TD.treasuryPath(tid, v.tab.slug),
        'aria-current': v.id === tabId ? 'page' : null,
        data: { tab: v.id } }, v.tab.label)));
    return el('div', { data: { treasury: tid } },
      el('h1', { tabindex: -1 }, el('span.tname', null, t.name), ' ',
        el('code.tid', null, t.id)),
      el('p.meta', null, t.threshold + ' of ' + t.signers.length +
        ' signers · config version ' + t.config_version + ' · created ',
      time(t.created_at)),
      el('details.signers', null, el('summary', null, 'Signers'),
        el('ul', null, t.signers.map((s) => el('li', null,
          el('span.signer', null, s.name), ' ', el('span.muted', null, s.key_type),
          ' ', el('code.key', null, s.pubkey))))),
      frozenBanner(t), tabs, body);
  }

  TD.treasuryFrame = treasuryFrame;

  async function withTreasury(ctx) {
    ctx.treasury = await TD.get('treasuries/' + enc(ctx.params[0]));
    return ctx.treasury;
  }

  function sameTreasury(ev, ctx) {
    const d = ev.data || {};
    return !d.treasury || d.treasury === ctx.params[0];
  }

  function proposalCard(ctx, p, t) {
    return el('article.proposal', { data: { proposal: p.id, status: p.status } },
      el('h3', null, link(TD.proposalPath(p.id), '#' + p.nonce + ' ' + p.kind),
        ' ', badge(p.status)),
      el('p.summary', null, summary(p)),
      memoOf(p),
      el('p.progress', null,
        el('span.count', null, p.approval_count + ' of ' + required(p) +
          ' approvals'), p.rejection_count ? ' · ' + p.rejection_count +
          ' rejections' : null, ' ', needs(p), ' ', timelock(p)),
      votes(p, t),
      el('p.meta', null, 'expires ', time(p.expires_at), ' · created ',
        time(p.created_at)),
      p.status === 'pending' ? approveCommand(p) : null,
      executeButton(ctx, p, t));
  }

  TD.registerView({
    id: 'queue',
    path: /^\/t\/([^/]+)(?:\/queue)?$/,
    title: (p) => 'Queue of ' + p[0],
    tab: { label: 'Queue', order: 10, slug: 'queue' },
    refreshOn: sameTreasury,
    render: async (ctx) => {
      const tid = enc(ctx.params[0]);
      const [t, pending, approved] = await Promise.all([withTreasury(ctx),
        TD.getAll('treasuries/' + tid + '/proposals?status=pending', 'proposals'),
        TD.getAll('treasuries/' + tid + '/proposals?status=approved', 'proposals')]);
      // The lists leave out the policy members (required approvals, the
      // delay's end): read each proposal of the queue for them (the first
      // 100; the rest show the list's threshold).
      const items = await Promise.all(approved.items.concat(pending.items)
        .map((p, i) => i < 100 ? TD.get('proposals/' + enc(p.id)) : p));
      return treasuryFrame(ctx, 'queue', el('section', { id: 'queue' },
        el('h2', null, 'Queue'),
        items.length === 0 ? message('info', 'Nothing waits: no pending or ' +
          'approved proposal.') : null,
        items.map((p) => proposalCard(ctx, p, t))));
    },
  });

  TD.registerView({
    id: 'history',
    path: /^\/t\/([^/]+)\/history$/,
    title: (p) => 'History of ' + p[0],
    tab: { label: 'History', order: 20, slug: 'history' },
    refreshOn: sameTreasury,
    render: async (ctx) => {
      const st = ctx.state;
      st.status = st.status || 'executed';
      await withTreasury(ctx);
      const list = await TD.getAll('treasuries/' + enc(ctx.params[0]) +
        '/proposals?status=' + enc(st.status), 'proposals');
      const rows = list.items.slice().reverse().map((p) =>
        el('tr', { data: { proposal: p.id } },
          cell(link(TD.proposalPath(p.id), '#' + p.nonce)),
          cell(p.kind), cell(summary(p)),
          cell(p.status === 'executed' ? time(p.executed_at) : badge(p.status)),
          cell(p.settlement ? el('code.settlement', null, p.settlement.reference) :
            el('span.muted', null, p.status === 'executed' ? 'not recorded' : '—')),
          cell(el('span.memo-text', null, field(canonicalFields(p.canonical), 'memo')))));
      const select = el('select', { id: 'history-status', on: { change: (ev) => {
        st.status = ev.target.value;
        ctx.rerender();
      } } }, ['executed', 'rejected', 'cancelled', 'expired', 'stale', 'vetoed']
        .map((s) => el('option', { value: s, selected: s === st.status }, s)));
      return treasuryFrame(ctx, 'history', el('section', { id: 'history' },
        el('h2', null, 'History'),
        el('p.filters', null, el('label', { for: 'history-status' }, 'Status '), select),
        rows.length === 0 ? message('info', 'No ' + st.status + ' proposal.') :
          table([{ label: 'Nonce' }, { label: 'Kind' }, { label: 'What' },
            { label: st.status === 'executed' ? 'Executed' : 'Status' },
            { label: 'Settlement' }, { label: 'Memo' }], rows,
          { label: 'History', id: 'history-table' })));
    },
  });

  /* ---- ledger ---- */

  function depositForm(ctx, assets, categories) {
    const st = ctx.state;
    st.depositKey = st.depositKey || TD.idempotencyKey();
    const out = el('p.outcome', { role: 'status', id: 'deposit-outcome' },
      st.depositOutcome || '');
    const input = (id, label, attrs) => el('p.field', null,
      el('label', { for: id }, label), el('input', Object.assign({ id: id,
        name: id, autocomplete: 'off', spellcheck: 'false' }, attrs)));
    const form = el('form.deposit', { id: 'deposit-form', on: { submit: async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      const body = { asset: f.elements['dep-asset'].value,
        amount: f.elements['dep-amount'].value.trim(),
        reference: f.elements['dep-reference'].value };
      if (f.elements['dep-source'].value)
        body.source = f.elements['dep-source'].value;
      if (f.elements['dep-memo'].value)
        body.memo = f.elements['dep-memo'].value;
      if (f.elements['dep-category'].value)
        body.category = f.elements['dep-category'].value;
      out.textContent = 'recording…';
      try {
        const e = await TD.api('POST', 'treasuries/' + enc(ctx.params[0]) +
          '/deposits', body, { idempotencyKey: st.depositKey });
        st.depositKey = TD.idempotencyKey();
        st.depositOutcome = 'Recorded: ' + e.amount + ' ' + e.asset +
          ' (ledger #' + e.seq + ')';
        f.reset();
        ctx.rerender();
      } catch (e) {
        out.textContent = 'Refused: ' + e.message;
      }
    } } },
    el('p.field', null, el('label', { for: 'dep-asset' }, 'Asset'),
      el('select', { id: 'dep-asset', name: 'dep-asset', required: true },
        assets.map((a) => el('option', { value: a.code }, a.code + ' (' +
          a.decimals + ' decimals)')))),
    input('dep-amount', 'Amount', { required: true, inputmode: 'decimal',
      pattern: '(0|[1-9][0-9]*)(\\.[0-9]+)?' }),
    input('dep-reference', 'Reference', { required: true, maxlength: 128 }),
    input('dep-source', 'Source (optional)', { maxlength: 128 }),
    input('dep-memo', 'Memo (optional)', {}),
    el('p.field', null, el('label', { for: 'dep-category' }, 'Category (optional label)'),
      el('select', { id: 'dep-category', name: 'dep-category' },
        el('option', { value: '' }, 'none'),
        categories.filter((c) => c.kind === 'income').map((c) =>
          el('option', { value: c.name }, c.name)))),
    el('p.field', null, el('button', { type: 'submit' }, 'Record deposit')), out);
    return el('details.panel', { open: st.depositOpen, on: { toggle: (ev) => {
      st.depositOpen = ev.target.open;
    } } }, el('summary', null, 'Record a deposit'), form);
  }

  /*
   * The ledger: filtered and paginated by the server (GET .../ledger with
   * from, to, kind, asset, category, counterparty; docs/api.md). A page of
   * st.pageSize entries at a time, oldest first as the API pages them,
   * "Load more" asking for the next with the server's cursor (which is
   * bound to the filters it was made with): nothing is fetched beyond what
   * is shown. "Download CSV" exports the same filtered query
   * (format=csv, streamed by the server: every entry, not one page).
   * The filters live in the view's state (in memory: the router matches
   * the hash as a path and has no query part), reset when another
   * treasury is opened. What is typed in the form but not yet applied is
   * kept too (st.draft), so a re-render on a live event does not wipe it.
   */
  const LEDGER_FILTERS = ['from', 'to', 'kind', 'asset', 'category', 'counterparty'];
  const LEDGER_PAGE_SIZES = [25, 100, 500];

  function noFilters() {
    const f = {};
    LEDGER_FILTERS.forEach((k) => { f[k] = ''; });
    return f;
  }

  function ledgerRow(e) {
    return el('tr', { data: { seq: e.seq, kind: e.kind } },
      cell(String(e.seq), true), cell(time(e.created_at)), cell(e.kind),
      cell(e.asset),
      cell(el('span', { class: e.kind === 'deposit' ? 'credit' : 'debit' },
        e.kind === 'deposit' ? '+' : '−', amount(e.amount, e.asset)), true),
      cell(amount(e.balance_after, e.asset), true),
      cell(e.category ? el('span.cat', { title: 'Accounting label: not signed, ' +
        'a treasurer may set or correct it without a vote',
      data: { category: e.category } }, el('span.cat-name', null, e.category)) :
        el('span.muted.uncat', null, 'none')),
      cell(e.counterparty ? el('code.counterparty', null, e.counterparty) : ''),
      cell(e.kind === 'deposit' ? el('span.ref', null, e.reference || '') :
        e.proposal ? link(TD.proposalPath(e.proposal), e.proposal.slice(0, 12) +
          '…') : ''),
      cell(el('span.memo-text', null, e.memo || '')));
  }

  TD.registerView({
    id: 'ledger',
    path: /^\/t\/([^/]+)\/ledger$/,
    title: (p) => 'Ledger of ' + p[0],
    tab: { label: 'Ledger', order: 30, slug: 'ledger' },
    refreshOn: (ev, ctx) => sameTreasury(ev, ctx) &&
      (ev.type === 'deposit' || ev.type === 'proposal.executed' ||
        ev.type.startsWith('category.')),
    render: async (ctx) => {
      const st = ctx.state;
      if (st.tid !== ctx.params[0]) {
        st.tid = ctx.params[0];
        st.filters = noFilters();
        st.pageSize = 100;
        st.draft = null;
        st.shown = 0;
        st.depositOutcome = '';
      }
      const tid = enc(ctx.params[0]);
      const [, balances, assets, cats] = await Promise.all([withTreasury(ctx),
        TD.get('treasuries/' + tid + '/balances'),
        ctx.can('treasurer') ? TD.get('assets') : Promise.resolve({ assets: [] }),
        TD.get('treasuries/' + tid + '/categories')]);
      const categories = cats.categories || [];

      const tbody = el('tbody');
      const region = el('div.scroll', { tabindex: 0, role: 'region',
        'aria-label': 'Ledger entries', id: 'ledger-region' });
      const count = el('p.muted.ledger-count', { id: 'ledger-count',
        role: 'status' });
      const problem = el('p.msg.error', { id: 'ledger-error', role: 'alert',
        hidden: true });
      const csvOut = el('span.outcome', { id: 'ledger-csv-outcome',
        role: 'status' });
      const more = el('button.secondary', { type: 'button', id: 'ledger-more',
        hidden: true }, 'Load more');
      let cursor = null;
      let loaded = 0;
      let gen = 0;
      let busy = false;

      const showProblem = (e) => {
        problem.textContent = e instanceof TD.ApiError ?
          'The daemon refused the filters (' + e.status + '): ' + e.message :
          'The ledger could not be read: ' + String(e.message || e);
        problem.hidden = false;
      };
      const pagePath = (after) => 'treasuries/' + tid + '/ledger' +
        TD.query(Object.assign({}, st.filters, { limit: st.pageSize,
          cursor: after }));
      const setCount = () => {
        count.textContent = loaded + (loaded === 1 ? ' entry' : ' entries') +
          ' shown, oldest first' + (cursor ? '; more after them' :
            loaded ? '; that is all' : '');
        more.hidden = !cursor;
      };
      // one page after the cursor, appended; false when a newer load
      // (another filter) has started meanwhile
      const loadPage = async (myGen) => {
        const page = await TD.get(pagePath(cursor));
        if (myGen !== gen)
          return false;
        page.entries.forEach((e) => tbody.appendChild(ledgerRow(e)));
        loaded += page.entries.length;
        cursor = page.next_cursor || null;
        st.shown = loaded;
        return true;
      };
      // from the first page again, until `want` entries (or the end)
      const reload = async (want) => {
        const myGen = ++gen;
        TD.clear(tbody);
        cursor = null;
        loaded = 0;
        problem.hidden = true;
        problem.textContent = '';
        busy = true;
        region.setAttribute('aria-busy', 'true');
        try {
          do {
            if (!await loadPage(myGen))
              return;
          } while (cursor && loaded < want);
        } catch (e) {
          if (myGen !== gen)
            return;
          if (e instanceof TD.ApiError && e.status === 401)
            return;
          showProblem(e);
          cursor = null;
        } finally {
          if (myGen === gen) {
            busy = false;
            region.removeAttribute('aria-busy');
            setCount();
          }
        }
      };
      more.addEventListener('click', async () => {
        if (busy || !cursor)
          return;
        const myGen = gen;
        busy = true;
        more.disabled = true;
        region.setAttribute('aria-busy', 'true');
        try {
          await loadPage(myGen);
        } catch (e) {
          if (myGen === gen)
            showProblem(e);
        } finally {
          if (myGen === gen) {
            busy = false;
            more.disabled = false;
            region.removeAttribute('aria-busy');
            setCount();
            // the last page: the button goes, the focus to the table
            if (more.hidden && document.activeElement === more)
              region.focus();
          }
        }
      });

      const filter = (id, label, control, hint) => el('span.filter', null,
        el('label', { for: id }, label), control, hint || null);
      const f = st.draft ? st.draft.filters : st.filters;
      const pageSize = st.draft ? st.draft.pageSize : st.pageSize;
      const form = el('form.filters.ledger-filters', { id: 'ledger-filters',
        role: 'search', 'aria-describedby': 'ledger-dates-hint' },
      filter('ledger-from', 'From (UTC)', el('input', { id: 'ledger-from',
        name: 'from', type: 'date', value: f.from })),
      filter('ledger-to', 'Until (UTC)', el('input', { id: 'ledger-to',
        name: 'to', type: 'date', value: f.to })),
      filter('ledger-kind', 'Kind', el('select', { id: 'ledger-kind', name: 'kind' },
        [['', 'all'], ['deposit', 'deposits'], ['transfer', 'transfers']].map((o) =>
          el('option', { value: o[0], selected: f.kind === o[0] }, o[1])))),
      filter('ledger-asset', 'Asset', el('select', { id: 'ledger-asset',
        name: 'asset' }, el('option', { value: '' }, 'all'),
      balances.balances.map((b) =>
        el('option', { value: b.asset, selected: f.asset === b.asset }, b.asset)))),
      filter('ledger-category', 'Category', el('select', { id: 'ledger-category',
        name: 'category' }, el('option', { value: '' }, 'all'),
      el('option', { value: '-', selected: f.category === '-' }, 'uncategorised'),
      categories.map((c) => el('option', { value: c.name,
        selected: f.category === c.name }, c.name + ' (' + c.kind + ')')))),
      filter('ledger-counterparty', 'Counterparty', el('input', {
        id: 'ledger-counterparty', name: 'counterparty', type: 'search',
        value: f.counterparty, autocomplete: 'off', spellcheck: 'false',
        placeholder: 'exact source or to' })),
      filter('ledger-page-size', 'Per page', el('select', { id: 'ledger-page-size',
        name: 'pageSize' }, LEDGER_PAGE_SIZES.map((n) =>
        el('option', { value: n, selected: pageSize === n }, String(n))))),
      el('span.filter-actions', null,
        el('button', { type: 'submit', id: 'ledger-apply' }, 'Apply filters'),
        el('button.secondary', { type: 'button', id: 'ledger-clear',
          on: { click: () => {
            st.filters = noFilters();
            st.draft = null;
            LEDGER_FILTERS.forEach((k) => { form.elements[k].value = ''; });
            reload(st.pageSize);
          } } }, 'Clear')));
      // the form's values: kept as typed, then applied as the filters
      const formValues = () => {
        const nf = {};
        LEDGER_FILTERS.forEach((k) => { nf[k] = form.elements[k].value; });
        return { filters: nf, pageSize: Number(form.elements.pageSize.value) || 100 };
      };
      const keepDraft = () => { st.draft = formValues(); };
      form.addEventListener('input', keepDraft);
      form.addEventListener('change', keepDraft);
      const readForm = () => {
        const v = formValues();
        st.filters = v.filters;
        st.pageSize = v.pageSize;
        st.draft = null;
      };
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        readForm();
        reload(st.pageSize);
      });
      const csv = el('button.secondary', { type: 'button', id: 'ledger-csv',
        on: { click: async () => {
          // what the form shows is what is exported (and listed)
          readForm();
          reload(st.pageSize);
          csv.disabled = true;
          csvOut.textContent = 'preparing the CSV…';
          try {
            const got = await TD.download('treasuries/' + tid + '/ledger' +
              TD.query(Object.assign({}, st.filters, { format: 'csv' })),
            'text/csv', 'ledger-' + ctx.params[0] + '.csv');
            csvOut.textContent = 'Saved ' + got.name + ' (' + got.size + ' bytes)';
          } catch (e) {
            csvOut.textContent = '';
            if (!(e instanceof TD.ApiError && e.status === 401))
              showProblem(e);
          } finally {
            csv.disabled = false;
          }
        } } }, 'Download CSV');

      await reload(Math.max(st.shown || 0, st.pageSize));
      const head = el('tr', null, [['Seq', true], ['Time (UTC)'], ['Kind'], ['Asset'],
        ['Amount', true], ['Balance after', true], ['Category'], ['Counterparty'],
        ['Reference / proposal'], ['Memo']].map((c) =>
        el('th', { scope: 'col', class: c[1] ? 'num' : null }, c[0])));
      region.appendChild(el('table', { id: 'ledger-table' },
        el('thead', null, head), tbody));
      return treasuryFrame(ctx, 'ledger', el('section', { id: 'ledger' },
        el('h2', null, 'Ledger'),
        ctx.can('treasurer') ? depositForm(ctx, ctx.state.assets = assets.assets,
          categories) : null,
        form,
        el('p.meta', { id: 'ledger-dates-hint' }, 'Dates are UTC days: from ' +
          '00:00 UTC on the From day up to, not including, 00:00 UTC on the ' +
          'Until day. A counterparty is a deposit\'s source or a transfer\'s ' +
          'destination, matched exactly.'),
        problem,
        el('p.ledger-actions', null, count, ' ', csv, ' ', csvOut),
        el('p.meta', null, 'A category (', el('span.cat', null, 'dashed'),
          ') is an accounting label: not signed, set or corrected by a ' +
          'treasurer without a vote.'),
        region,
        el('p.ledger-more', null, more)));
    },
  });

  /* ---- policy ---- */

  const limitCell = (v, asset) => v === null || v === undefined ?
    el('span.muted', null, 'no limit') : amount(v, asset);

  TD.registerView({
    id: 'policy',
    path: /^\/t\/([^/]+)\/policy$/,
    title: (p) => 'Policy of ' + p[0],
    tab: { label: 'Policy', order: 40, slug: 'policy' },
    refreshOn: sameTreasury,
    render: async (ctx) => {
      const [t, pol] = await Promise.all([withTreasury(ctx),
        TD.get('treasuries/' + enc(ctx.params[0]) + '/policy')]);
      const p = pol.policy || {};
      const remaining = new Map((pol.remaining || []).map((r) => [r.asset, r]));
      const dl = (pairs) => el('dl.kv', null, pairs.map((kv) =>
        [el('dt', null, kv[0]), el('dd', null, kv[1])]));
      const secs = (s) => s ? s + ' s (' + (s / 3600).toFixed(1) + ' h)' : 'none';
      return treasuryFrame(ctx, 'policy', el('section', { id: 'policy' },
        el('h2', null, 'Policy'),
        dl([['Config version', String(pol.config_version)],
          ['Approvals', t.threshold + ' of ' + t.signers.length],
          ['Config changes need', String(p.config_threshold || t.threshold)],
          ['High threshold', p.high_threshold ? String(p.high_threshold) : 'none'],
          ['Spend delay', secs(p.timelock_spend_s)],
          ['Config delay', secs(p.timelock_config_s)],
          ['Veto count', p.veto_count === null || p.veto_count === undefined ?
            'default (⌈N/3⌉)' : String(p.veto_count)],
          ['Key proof', p.key_proof ? 'required' : 'not required'],
          ['Frozen', pol.frozen ? 'yes (freeze ' + pol.freeze_seq + ')' : 'no'],
          ['Digest', el('code.digest', null, pol.digest)]]),
        el('h3', null, 'Spending limits and what remains'),
        (p.limits || []).length === 0 ? el('p.muted', null, 'No limit.') :
          table([{ label: 'Asset' }, { label: 'Day', num: true },
            { label: 'Day left', num: true }, { label: 'Week', num: true },
            { label: 'Week left', num: true }, { label: 'Month', num: true },
            { label: 'Month left', num: true }], p.limits.map((l) => {
            const r = remaining.get(l.asset) || {};
            return el('tr', { data: { asset: l.asset } }, cell(l.asset),
              cell(limitCell(l.day, l.asset), true),
              cell(limitCell(r.day, l.asset), true),
              cell(limitCell(l.week, l.asset), true),
              cell(limitCell(r.week, l.asset), true),
              cell(limitCell(l.month, l.asset), true),
              cell(limitCell(r.month, l.asset), true));
          }), { label: 'Limits', id: 'limits' }),
        el('h3', null, 'Reserves'),
        (p.reserves || []).length === 0 ? el('p.muted', null, 'No reserve.') :
          table([{ label: 'Asset' }, { label: 'Kept at least', num: true }],
            p.reserves.map((r) => el('tr', null, cell(r.asset),
              cell(amount(r.amount, r.asset), true))), { label: 'Reserves' }),
        el('h3', null, 'Allowlist'),
        !p.allowlist || !p.allowlist.enabled ?
          el('p.muted', null, 'Off: any destination.') :
          table([{ label: 'Destination' }, { label: 'Label' }],
            p.allowlist.destinations.map((d) => el('tr', null,
              cell(el('code', null, d.to)), cell(d.label))), { label: 'Allowlist' }),
        el('h3', null, 'As signed'),
        el('pre.canonical', { id: 'policy-text', tabindex: 0 }, pol.text)));
    },
  });

  /* ---- a proposal ---- */

  TD.registerView({
    id: 'proposal',
    path: /^\/p\/([0-9a-fA-F]{64})$/,
    title: (p) => 'Proposal ' + p[0].slice(0, 12),
    refreshOn: (ev, ctx) => !ev.data || !ev.data.proposal ||
      ev.data.proposal === ctx.params[0].toLowerCase() || ev.type.startsWith('treasury'),
    render: async (ctx) => {
      const p = await TD.get('proposals/' + enc(ctx.params[0]));
      const t = await TD.get('treasuries/' + enc(p.treasury));
      TD.setCrumbs([{ label: 'Treasuries', path: '/' },
        { label: t.name, path: TD.treasuryPath(t.id) },
        { label: 'Proposal #' + p.nonce }]);
      const rows = [['Id', el('code.pid', { id: 'proposal-id' }, p.id)],
        ['Treasury', link(TD.treasuryPath(t.id), t.id)],
        ['Kind', p.kind], ['Status', badge(p.status)],
        ['Approvals', el('span', null, p.approval_count + ' of ' + required(p),
          ' ', needs(p), ' ', timelock(p))],
        ['Rejections', String(p.rejection_count)],
        ['Config version', String(p.config_version)],
        ['Created', time(p.created_at)], ['Expires', time(p.expires_at)]];
      if (p.approved_at)
        rows.push(['Approved', time(p.approved_at)]);
      if (p.executable_at)
        rows.push(['Executable', time(p.executable_at)]);
      if (p.executed_at)
        rows.push(['Executed', time(p.executed_at)]);
      if (p.status === 'executed')
        rows.push(['Settlement', p.settlement ?
          el('span', null, el('code.settlement', null, p.settlement.reference),
            ' recorded ', time(p.settlement.recorded_at)) :
          el('span.muted', null, 'not recorded')]);
      if (p.veto_threshold)
        rows.push(['Vetoes', (p.vetoes || []).length + ' of ' + p.veto_threshold]);
      return el('div', { data: { proposal: p.id, status: p.status } },
        el('h1', { tabindex: -1 }, 'Proposal #' + p.nonce + ' ', badge(p.status)),
        frozenBanner(t),
        el('dl.kv', null, rows.map((kv) => [el('dt', null, kv[0]),
          el('dd', null, kv[1])])),
        el('h2', null, 'Votes'), votes(p, t),
        p.status === 'pending' ? approveCommand(p) : null,
        executeButton(ctx, p, t),
        el('h2', null, 'Canonical text'),
        el('p.muted', null, 'The exact text the id is the hash of, and that ' +
          'each signer signs (docs/signing.md). Check it on the signing device.'),
        el('pre.canonical', { id: 'canonical', tabindex: 0 }, p.canonical));
    },
  });
})();
