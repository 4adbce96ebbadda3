/* isoboot admin page: plain DOM, no inline code (CSP default-src 'self'); all data via textContent. */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = '';
  let queue = Promise.resolve();
  window.isobootProgressLog = [];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function say(text, isError) {
    const m = $('msg');
    m.textContent = text;
    m.classList.toggle('error', !!isError);
  }
  function bytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '?';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
  }
  function when(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d)) return iso || '';
    const p = (x) => String(x).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
      p(d.getHours()) + ':' + p(d.getMinutes());
  }
  function duration(s) {
    if (!isFinite(s) || s < 0) return '';
    s = Math.round(s);
    return s >= 3600 ? Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min'
      : s >= 60 ? Math.floor(s / 60) + ' min ' + (s % 60) + ' s' : s + ' s';
  }
  function errorText(status, body) {
    try { const j = JSON.parse(body); if (j && j.error) return j.error; } catch (e) { /* not JSON */ }
    return 'HTTP error ' + status;
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /* fetch() to the API; state-changing methods carry the CSRF token; a 401 goes back to login. */
  async function api(method, url, body) {
    const headers = {};
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (body instanceof URLSearchParams) {  /* exactly this type, without "; charset=UTF-8" */
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = body.toString();
    }
    const r = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
    const text = await r.text();
    if (r.status === 401 && url !== '/api/login') expired();
    if (!r.ok) { const e = new Error(errorText(r.status, text)); e.status = r.status; throw e; }
    return text ? JSON.parse(text) : null;
  }

  function expired() {
    if (!$('app').hidden) showLogin('Your session has ended: please log in again.');
  }
  function showLogin(why) {
    csrf = '';
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = why || '';
    $('login-user').focus();
  }
  function showApp(s) {
    csrf = s.csrf || '';
    $('who').textContent = s.user || '';
    $('login').hidden = true;
    $('app').hidden = false;
    say('');
    refresh();
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    const body = new URLSearchParams({ user: $('login-user').value, password: $('login-password').value });
    try {
      const s = await api('POST', '/api/login', body);
      $('login-password').value = '';
      showApp(s);
    } catch (e) {
      $('login-error').textContent = e.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout'); } catch (e) { if (!$('app').hidden) return say(e.message, true); }
    showLogin('');
  });

  async function refresh() { await Promise.all([loadStatus(), loadIsos(), loadJobs()]); }

  async function loadStatus() {
    let s;
    try { s = await api('GET', '/api/status'); } catch (e) { return say('Status: ' + e.message, true); }
    const dl = $('status');
    dl.replaceChildren();
    const row = (k, v) => { dl.append(el('dt', '', k), el('dd', '', v)); };
    if (s.iso_dir) row('ISO folder', s.iso_dir);
    if (typeof s.free_bytes === 'number') {
      row('Free space', bytes(s.free_bytes) + (typeof s.total_bytes === 'number' ? ' of ' + bytes(s.total_bytes) : ''));
    }
    if (Array.isArray(s.addresses)) row('Addresses', s.addresses.join(', ') || 'none');
    if (Array.isArray(s.units)) {
      const dd = el('dd');
      const ul = el('ul', 'units');
      s.units.forEach((u) => {
        const li = el('li', 'unit ' + (u.state === 'active' ? 'ok' : 'bad'), u.name + ': ');
        li.append(el('strong', '', u.state));
        ul.append(li);
      });
      dd.append(ul);
      dl.append(el('dt', '', 'Services'), dd);
    }
    $('dhcp').textContent = s.dhcp || '';
    $('dhcp-box').hidden = !s.dhcp;
  }

  /* What the admin pasted to compare, and which checksum boxes are open, by ISO path: kept
   * when the list is drawn again. */
  const pasted = new Map();
  const opened = new Set();
  let shownKeys = null;
  let sumTimer = null;

  async function loadIsos() {
    let list;
    try { list = await api('GET', '/api/isos'); } catch (e) { say('ISO list: ' + e.message, true); return null; }
    if (!Array.isArray(list)) list = [];
    const keys = list.map((i) => i.id + '\n' + i.path + '\n' + i.size + '\n' + i.added).join('\n\n');
    if (keys === shownKeys && $('isos').rows.length === list.length) {
      /* The same ISOs: only checksums that arrived change, so that a field being typed
       * into keeps its focus. */
      Array.from($('isos').rows).forEach((tr, k) => {
        if (tr.dataset.sha === (list[k].sha256 || '')) return;
        tr.replaceChild(sumCell(list[k]), tr.querySelector('td.sum'));
        tr.dataset.sha = list[k].sha256 || '';
      });
    } else {
      drawIsos(list);
      shownKeys = keys;
    }
    /* Checksums are computed in the background: look again while some are missing. */
    clearTimeout(sumTimer);
    if (list.some((i) => !i.sha256)) sumTimer = setTimeout(() => { if (!$('app').hidden) loadIsos(); }, 3000);
    loadBoots(list);
    return list;
  }

  /* Recent boots from the journal (time, client, MAC, ISO, method, bytes). */
  async function loadBoots(list) {
    let boots = [];
    try { boots = await api('GET', '/api/activity'); } catch (e) { boots = []; }
    const names = new Map(list.map((i) => [i.id, i.path]));
    const line = (b) => [when(b.time), b.client + (b.mac ? ' (' + b.mac + ')' : ''),
      names.get(b.iso) || b.iso, b.method, b.bytes === null ? '' : bytes(b.bytes)].filter(Boolean).join(' — ');
    $('boots').replaceChildren(...boots.slice(0, 20).map((b) => el('li', '', line(b))));
    $('boots-box').hidden = !boots.length;
  }

  function drawIsos(list) {
    const tb = $('isos');
    tb.replaceChildren();
    if (!list.length) {
      const td = el('td', 'empty', 'No ISO images yet: upload some above, or copy them into the ISO folder.');
      td.colSpan = 9;
      tb.append(el('tr'));
      tb.firstChild.append(td);
    }
    list.forEach((iso) => {
      const file = (iso.path || '').split('/').pop();
      const tr = el('tr');
      tr.dataset.path = iso.path || '';
      const cell = (label, text, cls) => {
        const td = el('td', cls, text);
        td.dataset.label = label;
        tr.append(td);
        return td;
      };
      cell('File', file, 'file');
      cell('Group', iso.group || '—');
      cell('Label', iso.label || '');
      cell('Size', bytes(iso.size), 'nowrap');
      cell('Added', when(iso.added), 'nowrap');
      const boot = iso.boot || {};
      cell('BIOS', boot.bios || 'cannot boot', boot.bios ? '' : 'no');
      cell('UEFI', boot.uefi || 'cannot boot', boot.uefi ? '' : 'no');
      if (iso.hidden) {
        /* Its settings file (NAME.iso.isoboot) keeps it out of the menu. */
        for (const td of tr.querySelectorAll('td[data-label="BIOS"], td[data-label="UEFI"]')) {
          td.textContent = 'hidden from the menu';
          td.className = 'no';
        }
      }
      tr.append(sumCell(iso));
      tr.dataset.sha = iso.sha256 || '';
      const b = el('button', 'danger', 'Delete');
      b.type = 'button';
      b.setAttribute('aria-label', 'Delete ' + iso.path);
      b.addEventListener('click', () => remove(iso));
      const mv = el('button', '', 'Move');
      mv.type = 'button';
      mv.setAttribute('aria-label', 'Rename or move ' + iso.path);
      mv.addEventListener('click', () => move(iso));
      cell('', '', 'act').append(mv, ' ', b);
      tb.append(tr);
    });
    $('iso-table').dataset.loaded = '1';
  }

  /* The published checksum as pasted: a bare SHA-256, or a line of a SHA256SUMS file. */
  function pastedSum(text) {
    const t = text.trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(t)) return t;
    const m = t.match(/(?:^|[^0-9a-z])([0-9a-f]{64})(?:$|[^0-9a-z])/);
    return m ? m[1] : null;
  }

  /* The SHA-256 cell: the start of the checksum; opened, all of it, a copy button and a field
   * to compare it with the distribution's. */
  function sumCell(iso) {
    const td = el('td', 'sum');
    td.dataset.label = 'SHA-256';
    const sha = iso.sha256 || '';
    if (!sha) {
      td.append(el('span', 'pending', 'computing…'));
      return td;
    }
    const box = el('details');
    box.open = opened.has(iso.path);
    box.addEventListener('toggle', () => { if (box.open) opened.add(iso.path); else opened.delete(iso.path); });
    const summary = el('summary');
    summary.append(el('code', 'short', sha.slice(0, 12) + '…'));
    summary.setAttribute('aria-label', 'SHA-256 of ' + iso.path + ': show, copy and compare');
    const badge = el('span', 'verdict');
    summary.append(' ', badge);
    const full = el('code', 'full', sha);
    const copy = el('button', 'small', 'Copy');
    copy.type = 'button';
    copy.setAttribute('aria-label', 'Copy the SHA-256 of ' + iso.path);
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(sha);
      } catch (e) {
        const r = document.createRange();
        r.selectNodeContents(full);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        try { document.execCommand('copy'); } catch (e2) { /* the text stays selected */ }
      }
      copy.textContent = 'Copied';
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
    });
    const input = el('input', 'verify');
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.placeholder = 'Paste the published SHA-256';
    input.setAttribute('aria-label', 'The published SHA-256 of ' + iso.path);
    input.value = pasted.get(iso.path) || '';
    const show = () => {
      const v = input.value;
      if (v.trim()) pasted.set(iso.path, v); else pasted.delete(iso.path);
      const want = pastedSum(v);
      let text = '', cls = '';
      if (!v.trim()) text = '';
      else if (!want) { text = 'not a SHA-256 (64 hex digits)'; cls = 'bad-input'; }
      else if (want === sha) { text = '✓ match'; cls = 'match'; }
      else { text = '✗ MISMATCH'; cls = 'mismatch'; }
      badge.textContent = text;
      badge.className = 'verdict ' + cls;
      td.dataset.verdict = cls;
    };
    input.addEventListener('input', show);
    show();
    const row = el('div', 'sum-row');
    row.append(full, copy);
    box.append(summary, row, input);
    td.append(box);
    return td;
  }

  /* Reload the list every second, for up to 15 s, until has(list) holds (the catalog is rescanned). */
  async function pollIsos(has) {
    for (let i = 0; i < 15 && !$('app').hidden; i++) {
      const list = await loadIsos();
      if (!list || has(list)) return;
      await sleep(1000);
    }
  }

  /* Rename, or move to another group: "group/name.iso" or "name.iso". */
  async function move(iso) {
    const to = prompt('New name for "' + iso.path + '" (GROUP/NAME.iso or NAME.iso):', iso.path);
    if (to === null || to.trim() === '' || to.trim() === iso.path) return;
    let moved;
    try {
      moved = await api('POST', '/api/isos/' + encodeURIComponent(iso.id) + '/move',
        new URLSearchParams({ to: to.trim() }));
    } catch (e) {
      say('Could not move ' + iso.path + ': ' + e.message, true);
      return;
    }
    say('Moved ' + iso.path + ' to ' + moved.path + '.');
    await pollIsos((l) => l.some((i) => i.path === moved.path));
  }

  async function remove(iso) {
    if (!confirm('Delete "' + iso.path + '"? The file is removed from the ISO folder.')) return;
    try {
      await api('DELETE', '/api/isos/' + encodeURIComponent(iso.id));
    } catch (e) {
      say('Could not delete ' + iso.path + ': ' + e.message, true);
      return loadIsos();
    }
    say('Deleted ' + iso.path + '.');
    await pollIsos((l) => !l.some((i) => i.id === iso.id));
    loadStatus();
  }

  /* Uploads: one row each, sent one after another. */
  function addFiles(files) {
    const group = $('group').value.split('/').map((s) => s.trim()).filter(Boolean);
    Array.from(files).forEach((f) => {
      const row = uploadRow(f);
      if (!/\.iso$/i.test(f.name)) return finish(row, 'error', 'Not an .iso file: skipped.');
      const path = group.concat([f.name]);
      queue = queue.then(() => upload(f, path, row, false));
    });
  }
  function uploadRow(f) {
    const li = el('li', 'upload');
    li.dataset.state = 'queued';
    li.dataset.file = f.name;
    const bar = el('progress');
    bar.max = f.size || 1;
    bar.value = 0;
    bar.setAttribute('aria-label', 'Upload of ' + f.name);
    const r = { li, bar, pct: el('span', 'pct', '0 %'), speed: el('span', 'speed'), eta: el('span', 'eta'),
      result: el('span', 'result', 'Waiting') };
    li.append(el('span', 'name', f.name), bar, r.pct, r.speed, r.eta, r.result);
    $('uploads').append(li);
    return r;
  }
  function finish(r, state, text) {
    r.li.dataset.state = state;
    r.result.textContent = text;
    r.result.classList.toggle('error', state === 'error');
    r.eta.textContent = '';
    say(r.li.dataset.file + ': ' + text, state === 'error');
  }
  function upload(f, path, r, replace) {
    return new Promise((resolve) => {
      const url = '/api/isos/' + path.map(encodeURIComponent).join('/') + (replace ? '?replace=1' : '');
      const xhr = new XMLHttpRequest();
      const t0 = performance.now();
      let last = { t: t0, loaded: 0 }, speed = 0;
      r.li.dataset.state = 'uploading';
      r.result.textContent = 'Uploading';
      xhr.upload.onprogress = (ev) => {
        const t = performance.now();
        window.isobootProgressLog.push({ file: f.name, loaded: ev.loaded, total: ev.total, t });
        r.bar.max = ev.total || 1;
        r.bar.value = ev.loaded;
        r.pct.textContent = Math.floor(ev.total ? 100 * ev.loaded / ev.total : 0) + ' %';
        if (t - last.t >= 500 || ev.loaded === ev.total) {
          const now = (ev.loaded - last.loaded) / ((t - last.t) / 1000);
          speed = speed ? 0.7 * speed + 0.3 * now : now;
          last = { t, loaded: ev.loaded };
          r.speed.textContent = (speed / 1e6).toFixed(1) + ' MB/s';
          r.eta.textContent = speed > 0 && ev.loaded < ev.total ? duration((ev.total - ev.loaded) / speed) + ' left' : '';
        }
      };
      xhr.onerror = () => { finish(r, 'error', 'Network error: the upload failed.'); resolve(); };
      xhr.onload = async () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          r.bar.value = r.bar.max;
          r.pct.textContent = '100 %';
          finish(r, 'done', 'Uploaded in ' + duration((performance.now() - t0) / 1000));
          resolve();
          const p = path.join('/');
          await pollIsos((l) => l.some((i) => i.path === p));
          loadStatus();
        } else if (xhr.status === 409 && !replace) {
          if (confirm('"' + path.join('/') + '" already exists. Replace it?')) {
            resolve(upload(f, path, r, true));
          } else {
            finish(r, 'error', 'Already exists: not replaced.');
            resolve();
          }
        } else {
          if (xhr.status === 401) expired();
          finish(r, 'error', errorText(xhr.status, xhr.responseText));
          resolve();
        }
      };
      xhr.open('PUT', url);
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.send(f);
    });
  }

  /* Fetches from a URL: the server downloads in the background; its jobs are shown with their
   * progress, polled every second while one runs. */
  let jobTimer = null;
  const jobStates = new Map();

  $('fetch-url').addEventListener('input', () => {
    /* Save as: the URL's file name, until the admin types a name of their own. */
    const p = $('fetch-path');
    if (p.value && p.dataset.auto !== p.value) return;
    let name = '';
    try { name = decodeURIComponent(new URL($('fetch-url').value).pathname.split('/').pop()); } catch (e) { /* not yet a URL */ }
    p.value = /\.iso$/i.test(name) ? name : '';
    p.dataset.auto = p.value;
  });
  $('fetch-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = { url: $('fetch-url').value.trim(), path: $('fetch-path').value.trim(), sha256: $('fetch-sha').value.trim() };
    if ($('fetch-replace').checked) form.replace = '1';
    $('fetch-error').textContent = '';
    try {
      await startFetch(form);
    } catch (e) {
      $('fetch-error').textContent = e.message;
      return;
    }
    $('fetch-url').value = '';
    $('fetch-path').value = '';
    $('fetch-sha').value = '';
    $('fetch-replace').checked = false;
  });
  async function startFetch(form) {
    try {
      const j = await api('POST', '/api/fetch', new URLSearchParams(form));
      say('Fetching ' + j.path + ' from ' + j.url + '.');
    } catch (e) {
      if (e.status === 409 && !form.replace && /exists/.test(e.message) &&
          confirm('"' + form.path + '" already exists. Replace it?')) {
        return startFetch(Object.assign({}, form, { replace: '1' }));
      }
      throw e;
    }
    await loadJobs();
  }

  async function loadJobs() {
    clearTimeout(jobTimer);
    let jobs;
    try { jobs = await api('GET', '/api/jobs'); } catch (e) { say('Fetches: ' + e.message, true); return; }
    if (!Array.isArray(jobs)) jobs = [];
    let finished = false;
    jobs.forEach((j) => {
      if (jobStates.get(j.id) === 'running' && j.state !== 'running') finished = true;
      jobStates.set(j.id, j.state);
    });
    $('jobs').replaceChildren(...jobs.slice().reverse().map(jobRow));
    $('jobs-box').hidden = !jobs.length;
    if (finished) { loadIsos(); loadStatus(); }
    if (jobs.some((j) => j.state === 'running')) jobTimer = setTimeout(() => { if (!$('app').hidden) loadJobs(); }, 1000);
  }
  function jobRow(j) {
    const li = el('li', 'job');
    li.dataset.state = j.state;
    li.dataset.path = j.path;
    const bar = el('progress');
    bar.setAttribute('aria-label', 'Fetch of ' + j.path);
    if (typeof j.total === 'number' && j.total > 0) {
      bar.max = j.total;
      bar.value = j.state === 'done' ? j.total : Math.min(j.bytes, j.total);
    } else if (j.state !== 'running') {
      bar.max = 1;
      bar.value = j.state === 'done' ? 1 : 0;
    } /* else: no length known, an indeterminate bar */
    const amount = bytes(j.bytes) + (typeof j.total === 'number' ? ' of ' + bytes(j.total) : '');
    const pct = typeof j.total === 'number' && j.total > 0 ? Math.floor(100 * j.bytes / j.total) + ' %' : '';
    let result;
    if (j.state === 'running') result = 'Downloading';
    else if (j.state === 'done') result = 'Done' + (j.sha256 ? ': SHA-256 as expected' : '');
    else result = 'Failed: ' + (j.error || 'unknown error');
    const r = el('span', 'result' + (j.state === 'failed' ? ' error' : ''), result);
    li.append(el('span', 'name', j.path), el('span', 'url', j.url), bar, el('span', 'pct', pct), el('span', 'amount', amount), r);
    return li;
  }

  const drop = $('drop');
  drop.addEventListener('click', () => $('iso-file').click());
  $('iso-file').addEventListener('change', (ev) => { addFiles(ev.target.files); ev.target.value = ''; });
  /* A file dropped anywhere else must not make the browser leave the page. */
  ['dragover', 'drop'].forEach((t) => document.addEventListener(t, (ev) => ev.preventDefault()));
  drop.addEventListener('dragover', (ev) => { ev.dataTransfer.dropEffect = 'copy'; drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    drop.classList.remove('over');
    if (ev.dataTransfer && ev.dataTransfer.files.length) addFiles(ev.dataTransfer.files);
  });

  fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' })
    .then(async (r) => {
      if (r.ok) return showApp(await r.json());
      showLogin(r.status === 401 ? '' : 'The server answered ' + r.status + ': ' + errorText(r.status, await r.text()));
    })
    .catch(() => showLogin('The server cannot be reached.'));
})();
