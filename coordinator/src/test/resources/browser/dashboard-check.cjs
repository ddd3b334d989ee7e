// Drives the dashboard in headless Chromium (playwright-core, Debian's chromium) for DashboardIT.
// Env: URL (with #token=...), CHROMIUM, SCREENSHOT, FULL_PAGE (0: the viewport only, for pages too tall to
// capture whole), EXPECT_EVICTION (1/0), MIN_NODES, TIMEOUT_MS, MEASURE_RENDER (1: the page's render ms),
// OPERATOR_URL (optional: the same page with an operator token, to drain a node from its details panel).
// Prints one JSON line with what it saw; exits non-zero with the reason when a check fails.
'use strict';
const { chromium } = require('playwright-core');

const timeout = Number(process.env.TIMEOUT_MS || 120000);
const sleep = ms => new Promise(r => setTimeout(r, ms));

async function bars(page) {
  return page.$$eval('.node', nodes => nodes.map(n => ({
    id: n.dataset.id,
    task: n.querySelector('.task').textContent,
    pct: Number(n.querySelector('.bar > div').dataset.pct || 0),
  })));
}

async function drainFromDetails(page, keepOpen) {
  const id = await page.$eval('.node.s-BUSY, .node.s-READY', n => n.dataset.id);
  await page.click(`.node[data-id="${id}"]`);
  await page.waitForSelector('#detail:not([hidden])', { timeout });
  await page.waitForFunction(() => document.querySelector('#detail-body').textContent.includes('State history'),
    null, { timeout });
  await page.click('#drain');
  await page.waitForFunction(() => document.querySelector('#drain-result').textContent.length > 0, null, { timeout });
  const message = await page.$eval('#drain-result', e => e.textContent);
  if (!keepOpen) await page.click('#detail-close');
  return { node: id, message };
}

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const result = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(process.env.URL);
    const minNodes = Number(process.env.MIN_NODES || 1);
    await page.waitForFunction(n => document.querySelectorAll('.node').length >= n, minNodes, { timeout });
    result.nodes = await page.$$eval('.node', n => n.length);

    // a progress bar advances: the same node and task seen at a higher percentage later
    const seen = new Map();
    const deadline = Date.now() + timeout;
    while (!result.progress && Date.now() < deadline) {
      for (const b of await bars(page)) {
        const key = b.id + '|' + b.task;
        const before = seen.get(key);
        if (before !== undefined && b.pct > before && before > 0) {
          result.progress = { node: b.id, task: b.task, from: before, to: b.pct };
        } else if (before === undefined) {
          seen.set(key, b.pct);
        }
      }
      await sleep(250);
    }
    if (!result.progress) throw new Error('no progress bar advanced within ' + timeout + ' ms');

    if (process.env.EXPECT_EVICTION === '1') {
      await page.waitForSelector('#timeline li[data-kind="eviction"]', { timeout: timeout * 2 });
      result.eviction = await page.$eval('#timeline li[data-kind="eviction"]', li => li.textContent);
    }
    if (process.env.OPERATOR_URL) {
      // details panel; Drain as a viewer is refused, as an operator it drains the node
      result.drainAsViewer = await drainFromDetails(page, true);
      const ctx = await browser.newContext({ viewport: { width: 1500, height: 950 } });
      const op = await ctx.newPage();
      op.on('pageerror', e => errors.push(String(e)));
      await op.goto(process.env.OPERATOR_URL);
      await op.waitForSelector('.node.s-BUSY, .node.s-READY', { timeout });
      result.drainAsOperator = await drainFromDetails(op, false);
    }
    if (process.env.MEASURE_RENDER === '1') {
      await sleep(5000);
      result.renderMillis = await page.evaluate(() => window.droverRenderMillis || []);
    }
    result.pools = await page.$$eval('#pools tbody tr', rows => rows.map(r => r.textContent));
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: process.env.FULL_PAGE !== '0' });
    if (errors.length) throw new Error('page errors: ' + errors.join('; '));
    console.log(JSON.stringify(result));
  } catch (e) {
    console.log(JSON.stringify(result));
    console.error('dashboard check failed: ' + e.message);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
