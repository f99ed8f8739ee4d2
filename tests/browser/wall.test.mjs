// The wall display, in headless Chromium: it shows the Sales team's key results and a
// check-in recorded through the API moves the bar without a reload.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = new URL("../../", import.meta.url).pathname;
const trellis = join(root, "target/debug/trellis");
const secret = "browser-test-secret-0123456789";
const env = { ...process.env, TRELLIS_JWT_SECRET: secret, RUST_LOG: "warn" };

function serve() {
  const database = join(mkdtempSync(join(tmpdir(), "trellis-wall-")), "wall.db");
  const server = spawn(trellis, ["--demo", "--listen", "127.0.0.1:0", "--database-url", `sqlite://${database}`], { env });
  return new Promise((resolve, reject) => {
    let output = "";
    server.stdout.on("data", (chunk) => {
      output += chunk;
      const found = output.match(/Trellis is serving (http:\/\/[^/]+)\/graphql/);
      if (found) resolve({ server, base: found[1] });
    });
    server.on("exit", (code) => reject(new Error(`trellis exited with ${code}: ${output}`)));
  });
}

const { server, base } = await serve();
after(() => server.kill());
const token = (subject, role) =>
  execFileSync(trellis, ["token", "--org", "company-x", "--sub", subject, "--role", role], { env }).toString().trim();

async function graphql(who, query, variables) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${who}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

test("a check-in moves the wall's bar live, without a reload", async () => {
  const admin = token("dana", "admin");
  const data = await graphql(admin, `{ teams(search: "Sales") { edges { node { id
      objectives { edges { node { keyResults { edges { node { id title } } } } } } } } } }`);
  const sales = data.teams.edges[0].node;
  const leadTime = sales.objectives.edges[0].node.keyResults.edges
    .map((e) => e.node).find((kr) => kr.title.startsWith("Reduce lead to sales time"));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(`${base}/wall?team=${encodeURIComponent(sales.id)}#token=${admin}`);
    const bar = page.locator(`[id="bar-${leadTime.id}"]`);
    await bar.waitFor();
    await page.waitForFunction(() => document.getElementById("status").textContent === "live");
    const before = await bar.evaluate((node) => node.style.width);
    assert.notEqual(before, "100%");
    await page.evaluate(() => { window.untouched = true; });

    // 31 days is the target: the key result is done.
    await graphql(token("sid", "member"), `mutation($id: ID!) { checkIn(input: { keyResultId: $id, value: 31 }) { keyResult { progress } } }`,
      { id: leadTime.id });
    await page.waitForFunction((id) => document.getElementById(`bar-${id}`).style.width === "100%", leadTime.id, { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.untouched), true, "the page did not reload");
    await page.screenshot({ path: join(tmpdir(), "trellis-wall.png") });
  } finally {
    await browser.close();
  }
});

test("the wall shows the team's critical insights and drops one live when it clears", async () => {
  const admin = token("dana", "admin");
  const data = await graphql(admin, `{ teams(search: "Sales") { edges { node { id } } }
      objectives(filter: { search: "enablement" }) { edges { node { id } } }
      marketing: objectives(filter: { search: "Fill the pipeline" }) { edges { node { keyResults { edges { node { id title } } } } } } }`);
  const sales = data.teams.edges[0].node;
  const kit = data.marketing.edges[0].node.keyResults.edges.map((e) => e.node).find((kr) => kr.title.includes("enablement kit"));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(`${base}/wall?team=${encodeURIComponent(sales.id)}#token=${admin}`);
    // Sales depends on Marketing's enablement kit, which has not shipped: RED, so CRITICAL.
    const strip = page.locator("#insights li", { hasText: "depends on" });
    await strip.waitFor({ timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("status").textContent === "live");
    await page.evaluate(() => { window.untouched = true; });

    // Marketing ships the kit: the dependency no longer blocks, and the strip says so
    // without a reload (Sales's wall hears it through insightsChanged).
    await graphql(token("maria", "member"), `mutation($id: ID!) { checkIn(input: { keyResultId: $id, value: 1 }) { keyResult { progress } } }`,
      { id: kit.id });
    await page.waitForFunction(() => ![...document.querySelectorAll("#insights li")].some((li) => li.textContent.includes("depends on")),
      null, { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.untouched), true, "the page did not reload");
  } finally {
    await browser.close();
  }
});
