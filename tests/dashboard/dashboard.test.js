// Browser test of the dashboard: a real dynserv node on the simulated cloud,
// Debian's chromium driven by playwright-core. Exit code 0 = pass.
//
//   DYNSERV_BIN            path of the dynserv binary (required)
//   DYNSERV_ARTIFACT_DIR   where screenshots go (default build/test-artifacts)
//   CHROMIUM               browser binary (default /usr/bin/chromium)
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('[dashboard] playwright-core is missing: run tests/dashboard/install.sh');
  process.exit(1);
}

const BIN = process.env.DYNSERV_BIN;
const ARTIFACTS = process.env.DYNSERV_ARTIFACT_DIR
  || path.resolve(__dirname, '../../build/test-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'dashboard-test-' + Math.random().toString(36).slice(2) + '-token';
// Generous, but every wait ends as soon as its condition holds.
const DEADLINE_MS = 30000;

/// Flags that keep Chromium off the (closed) network of CI machines.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

function log(...args) {
  console.log('[dashboard]', ...args);
}

/// Polls `fn` until it returns a truthy value or the deadline passes.
async function until(what, fn, timeoutMs = DEADLINE_MS) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error('timed out waiting for ' + what + (last ? ': ' + last.message : ''));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function writeConfig(dir) {
  const cfg = {
    node: { name: 'dashboard-test', data_dir: path.join(dir, 'data'),
      reconcile_interval: '1s', log_level: 'info' },
    limits: { max_servers: 30 },
    timing: { poll_interval: '250ms' },
    admin: { listen: 'off' },
    http: { listen: '127.0.0.1:0', token: TOKEN },
    providers: {
      sim: { type: 'simulated', time_scale: 4, create_time: '4s', start_time: '2s',
        stop_time: '2s', delete_time: '2s', reboot_time: '2s' },
    },
    pools: {
      web: { provider: 'sim', desired: 2, min: 0, max: 10 },
      batch: { provider: 'sim', desired: 1, min: 0, max: 5 },
    },
  };
  const file = path.join(dir, 'node.json');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

async function apiGet(base, p) {
  const res = await fetch(base + p, { headers: { Authorization: 'Bearer ' + TOKEN } });
  assert.equal(res.status, 200, 'GET ' + p);
  return res.json();
}

async function main() {
  assert.ok(BIN, 'set DYNSERV_BIN to the dynserv binary');
  assert.ok(fs.existsSync(CHROMIUM), CHROMIUM + ' not found: run tests/dashboard/install.sh');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynserv-dashboard-'));
  const nodeLog = path.join(dir, 'node.log');
  const out = fs.openSync(nodeLog, 'a');
  const node = spawn(BIN, ['run', '--config', writeConfig(dir)],
    { stdio: ['ignore', out, out] });
  let nodeExit = null;
  node.on('exit', (code, sig) => { nodeExit = { code, sig }; });
  let browser;
  const problems = [];
  try {
    const addrFile = path.join(dir, 'data', 'http.addr');
    const addr = await until('the node to write http.addr', () => {
      if (nodeExit) throw new Error('dynserv exited: ' + JSON.stringify(nodeExit));
      return fs.existsSync(addrFile) && fs.readFileSync(addrFile, 'utf8').trim();
    });
    const base = 'http://' + addr;
    log('node at', base);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // The browser logs every 4xx answer; 401/403 (no or a wrong token) and the
      // 422 below are provoked on purpose.
      if (m.type() === 'error' && !/Failed to load resource: .*status of 4\d\d/.test(m.text())) problems.push('console: ' + m.text());
    });
    page.on('dialog', (d) => d.accept());

    // -- the page is public; its reads need the token -----------------------
    await page.goto(base + '/');
    const dialog = page.getByTestId('token-dialog');
    await dialog.waitFor({ state: 'visible', timeout: DEADLINE_MS });
    assert.match(await page.locator('#token-reason').textContent(), /needs its API token/);
    await page.waitForFunction(() => document.getElementById('live').dataset.state === 'auth');

    // A wrong token is refused (403) and the dialog asks again.
    await page.getByTestId('token-input').fill('not-the-right-token-at-all');
    await page.getByTestId('token-save').click();
    await page.waitForFunction(() => /refused this token/.test(document.getElementById('token-reason').textContent)
      && document.getElementById('token-dialog').open, null, { timeout: DEADLINE_MS });

    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-save').click();
    await dialog.waitFor({ state: 'hidden', timeout: DEADLINE_MS });
    // The token lives in sessionStorage, never in the URL.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('dynserv.token')), TOKEN);
    assert.ok(!page.url().includes(TOKEN));

    // -- the node's pools and servers are shown -----------------------------
    const card = (pool) => page.locator('[data-testid="pool-card"][data-pool="' + pool + '"]');
    const text = async (loc) => (await loc.textContent()).trim();
    await card('web').waitFor({ timeout: DEADLINE_MS });
    await card('batch').waitFor({ timeout: DEADLINE_MS });
    assert.equal(await text(card('web').getByTestId('pool-desired')), '2');
    assert.equal(await text(card('batch').getByTestId('pool-desired')), '1');

    const rowIds = () => page.locator('#servers-body tr[data-id]').evaluateAll(
      (trs) => trs.map((tr) => tr.dataset.id + ' ' + tr.dataset.status));
    await until('three running servers in the table', async () => {
      const rows = await rowIds();
      return rows.length === 3 && rows.every((r) => r.endsWith(' running'));
    });
    const apiServers = (await apiGet(base, '/v1/servers')).servers;
    assert.deepEqual((await rowIds()).map((r) => r.split(' ')[0]).sort(),
      apiServers.map((s) => s.id).sort(), 'the table shows the node\'s servers');
    await page.waitForFunction(() => document.getElementById('live').dataset.state === 'on',
      null, { timeout: DEADLINE_MS });

    // -- increase: the table, the counts and the event feed follow ----------
    await card('web').getByTestId('pool-count').fill('2');
    await card('web').getByTestId('pool-increase').click();
    await until('the reply note', async () => /desired 2 → 4/.test(await text(card('web').getByTestId('pool-note'))));
    await until('desired 4 on the card', async () => (await text(card('web').getByTestId('pool-desired'))) === '4');
    await until('four provisioned and running web servers', async () => {
      const prov = await text(card('web').getByTestId('pool-provisioned'));
      const running = await text(card('web').getByTestId('pool-running'));
      return prov === '4' && running === '4';
    });
    await until('five running servers in the table', async () => {
      const rows = await rowIds();
      return rows.length === 5 && rows.every((r) => r.endsWith(' running'));
    });
    const after = (await apiGet(base, '/v1/servers')).servers;
    const newIds = after.map((s) => s.id).filter((id) => !apiServers.some((s) => s.id === id));
    assert.equal(newIds.length, 2);
    // Events of the new servers arrived over the stream (marked fresh).
    await until('stream events for the new servers', async () => {
      const seen = await page.locator('#events li.fresh').evaluateAll(
        (lis) => lis.map((li) => li.dataset.reason + ' ' + li.querySelector('.detail').title));
      return newIds.every((id) => seen.includes('ServerRunning ' + id))
        && seen.some((s) => s.startsWith('DesiredCountChanged'));
    });
    // The filter narrows the table.
    await page.getByTestId('filter-pool').selectOption('batch');
    await until('the batch filter', async () => (await rowIds()).length === 1);
    await page.getByTestId('filter-pool').selectOption('');
    // The chart has its lines.
    assert.ok(await page.locator('#chart path[data-series="running"]').count() === 1);

    // -- API errors are shown ------------------------------------------------
    await card('batch').getByTestId('pool-count').fill('10000000000000000000');
    await card('batch').getByTestId('pool-ensure').click();
    const banner = page.getByTestId('banner');
    await banner.waitFor({ state: 'visible', timeout: DEADLINE_MS });
    assert.match(await text(banner), /invalid_count.*Ensure batch failed: .*must be at most/);
    await page.locator('#banner-close').click();
    await banner.waitFor({ state: 'hidden', timeout: DEADLINE_MS });
    // A clamped count is not an error, but the reply's note is shown.
    await card('batch').getByTestId('pool-count').fill('99');
    await card('batch').getByTestId('pool-ensure').click();
    await until('a clamp note', async () => /clamped/.test(await text(card('batch').getByTestId('pool-note'))));
    await card('batch').getByTestId('pool-count').fill('1');
    await card('batch').getByTestId('pool-ensure').click();
    await until('the batch pool back at 1', async () => (await text(card('batch').getByTestId('pool-desired'))) === '1');

    await until('the batch pool to settle at one server', async () => {
      const servers = (await apiGet(base, '/v1/servers')).servers;
      const rows = await rowIds();
      return servers.length === 5 && servers.every((s) => s.status === 'running')
        && rows.length === 5 && rows.every((r) => r.endsWith(' running'));
    });
    // -- reboot: a rolling reboot; its progress shows while it runs ---------
    assert.equal(await card('web').getByTestId('pool-alerts').locator('.alert').count(), 0,
      'no alerts on a quiet pool');
    await card('web').getByTestId('pool-reboot').click();
    await until('the rolling reboot note', async () =>
      /rolling reboot started: 4 servers, at most 1 at a time/.test(await text(card('web').getByTestId('pool-note'))));
    // 4 reboots one at a time take seconds; every event refreshes the cards.
    await until('the rollout progress on the card', async () =>
      /Rolling reboot [0-3]\/4 done, 1 rebooting/.test(await text(card('web').getByTestId('pool-alerts'))));
    await until('the rollout to finish', async () => {
      const web = (await apiGet(base, '/v1/pools')).pools.find((p) => p.name === 'web');
      return web.rollout.state === 'finished' && web.rollout.done === 4
        && web.circuit_breaker.state === 'closed';
    });
    await until('the card to drop its rollout alert', async () =>
      (await card('web').getByTestId('pool-alerts').locator('.alert').count()) === 0);
    await until('five running servers after the reboot', async () => {
      const rows = await rowIds();
      return rows.length === 5 && rows.every((r) => r.endsWith(' running'));
    });
    const shot = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    log('screenshot', shot);
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForFunction(() => {
      const box = document.getElementById('chart');
      const chart = box.querySelector('svg');
      return getComputedStyle(document.querySelector('.layout')).gridTemplateColumns.split(' ').length === 1
        && chart && chart.viewBox.baseVal.width === Math.max(box.clientWidth, 280);
    });
    const narrow = path.join(ARTIFACTS, 'dashboard-narrow.png');
    await page.screenshot({ path: narrow, fullPage: true });
    // Nothing sticks out sideways on a narrow window.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, 'page is ' + overflow + ' px wider than the window');

    assert.deepEqual(problems, [], 'no errors in the page');
    log('ok');
  } catch (e) {
    console.error('[dashboard] FAILED:', e && e.stack || e);
    console.error('[dashboard] node log:\n' + fs.readFileSync(nodeLog, 'utf8').split('\n').slice(-40).join('\n'));
    if (problems.length) console.error('[dashboard] page problems:\n' + problems.join('\n'));
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (!nodeExit) {
      node.kill('SIGTERM');
      await until('dynserv to stop', () => nodeExit, 15000).catch(() => node.kill('SIGKILL'));
    }
    if (nodeExit && process.exitCode !== 1 && (nodeExit.code !== 0 && nodeExit.sig !== 'SIGTERM')) {
      console.error('[dashboard] dynserv exited with', nodeExit);
      process.exitCode = 1;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
