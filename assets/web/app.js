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
    if (!r.ok) throw new Error(errorText(r.status, text));
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

  async function refresh() { await Promise.all([loadStatus(), loadIsos()]); }

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

  async function loadIsos() {
    let list;
    try { list = await api('GET', '/api/isos'); } catch (e) { say('ISO list: ' + e.message, true); return null; }
    if (!Array.isArray(list)) list = [];
    const tb = $('isos');
    tb.replaceChildren();
    if (!list.length) {
      const td = el('td', 'empty', 'No ISO images yet: upload some above, or copy them into the ISO folder.');
      td.colSpan = 8;
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
      const b = el('button', 'danger', 'Delete');
      b.type = 'button';
      b.setAttribute('aria-label', 'Delete ' + iso.path);
      b.addEventListener('click', () => remove(iso));
      cell('', '', 'act').append(b);
      tb.append(tr);
    });
    $('iso-table').dataset.loaded = '1';
    const boots = list.filter((i) => i.last_boot).sort((a, b) => Date.parse(b.last_boot) - Date.parse(a.last_boot));
    $('boots').replaceChildren(...boots.slice(0, 10).map((i) => el('li', '', when(i.last_boot) + ' — ' + i.path)));
    $('boots-box').hidden = !boots.length;
    return list;
  }

  /* Reload the list every second, for up to 15 s, until has(list) holds (the catalog is rescanned). */
  async function pollIsos(has) {
    for (let i = 0; i < 15 && !$('app').hidden; i++) {
      const list = await loadIsos();
      if (!list || has(list)) return;
      await sleep(1000);
    }
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
