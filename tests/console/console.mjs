// console.mjs -- drives apid's admin console in Debian's chromium
// (playwright-core) and checks it with axe-core.
//
//   node console.mjs NODE_MODULES < plan.json
//
// plan: {base, token, admin, password, user, api_probe, shots,
//        chromium}.  Prints one JSON report on stdout; exits 1 with the
// failed check on stderr.  Every page must render with no console error,
// no failed request and no serious or critical axe violation.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const nm = process.argv[2];
const require = createRequire(path.join(nm, "x.js"));
const { chromium } = require("playwright-core");
const { default: AxeBuilder } = await import(
    path.join(nm, "@axe-core/playwright/dist/index.mjs"));

const plan = JSON.parse(fs.readFileSync(0, "utf8"));
const report = { pages: {}, axe: {}, shots: [], checks: [] };
function check(ok, what) {
	report.checks.push(what);
	if (!ok)
		throw new Error("check failed: " + what);
}

const browser = await chromium.launch({
	executablePath: plan.chromium,
	args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

// Watches one page for console errors and failed requests.
function watch(page) {
	const w = { errors: [], failed: [] };
	page.on("console", (m) => {
		if (m.type() === "error")
			w.errors.push(m.text());
	});
	page.on("pageerror", (e) => w.errors.push(String(e)));
	// a navigation cancels what the page it leaves still loads
	page.on("requestfailed", (r) => {
		const why = r.failure() ? r.failure().errorText : "";
		if (why !== "net::ERR_ABORTED")
			w.failed.push(r.url() + " " + why);
	});
	page.on("response", (r) => {
		if (r.status() >= 400)
			w.failed.push(r.url() + " " + r.status());
	});
	return w;
}

async function axe(page, name) {
	const res = await new AxeBuilder({ page }).analyze();
	const bad = res.violations.filter((v) =>
	    v.impact === "serious" || v.impact === "critical");
	report.axe[name] = res.violations.map((v) => v.id + ":" + v.impact);
	check(bad.length === 0, `axe on ${name}: ` +
	    JSON.stringify(bad.map((v) => [v.id, v.nodes.map((n) => n.target)])));
}

async function shots(page, name) {
	fs.mkdirSync(plan.shots, { recursive: true });
	for (const [tag, w, h] of [["desktop", 1280, 800], ["phone", 390, 844]]) {
		await page.setViewportSize({ width: w, height: h });
		await page.waitForTimeout(150);
		const f = path.join(plan.shots, `${name}-${tag}.png`);
		await page.screenshot({ path: f, fullPage: true });
		report.shots.push(f);
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

// A page that must render clean: no console error, no failed request.
async function clean(page, w, name) {
	await page.waitForLoadState("networkidle");
	report.pages[name] = { url: page.url(), errors: [...w.errors],
	    failed: [...w.failed] };
	check(w.errors.length === 0, `${name}: console errors ` +
	    JSON.stringify(w.errors));
	check(w.failed.length === 0, `${name}: failed requests ` +
	    JSON.stringify(w.failed));
	await axe(page, name);
	await shots(page, name);
}

const B = plan.base;
let page = null;
try {
	const ctx = await browser.newContext({ viewport: { width: 1280,
	    height: 800 } });
	page = await ctx.newPage();
	let w = watch(page);

	// first run: /admin leads to setup; a wrong token is refused
	await page.goto(B + "/admin");
	check(page.url() === B + "/admin/setup", "no admin: /admin -> setup");
	await clean(page, w, "setup");
	await page.fill("#token", "0".repeat(64));
	await page.fill("#name", plan.admin);
	await page.fill("#password", plan.password);
	await page.fill("#password2", plan.password);
	await page.click("button[type=submit]");
	check((await page.textContent(".error")).includes("Invalid setup token"),
	    "wrong setup token refused");
	await page.fill("#token", plan.token);
	await page.fill("#password", plan.password);
	await page.fill("#password2", plan.password);
	await page.click("button[type=submit]");
	await page.waitForURL(B + "/admin/users");
	check(true, "right setup token: admin made and signed in");
	const cookies = await ctx.cookies();
	const sess = cookies.find((c) => c.name === "pf_session");
	check(sess && sess.httpOnly && sess.sameSite === "Strict",
	    "session cookie HttpOnly, SameSite=Strict");
	// setup is over: the page sends to login
	await page.goto(B + "/admin/setup");
	check(page.url() === B + "/admin/login" || page.url() ===
	    B + "/admin/users", "setup closed once an admin exists");

	// sign out, then in again: the session id is rotated
	w = watch(page);
	await page.goto(B + "/admin/users");
	await page.click(".logout button");
	await page.waitForURL(B + "/admin/login");
	await clean(page, w, "login");
	await page.fill("#name", plan.admin);
	await page.fill("#password", plan.password);
	await page.click("main button[type=submit]");
	await page.waitForURL(B + "/admin/users");
	const sess2 = (await ctx.cookies()).find((c) => c.name === "pf_session");
	check(sess2 && sess2.value !== sess.value, "login rotates the session id");

	// throttle: another client (behind the trusted proxy)
	const ctx2 = await browser.newContext({ extraHTTPHeaders:
	    { "X-Forwarded-For": "198.51.100.7" } });
	const p2 = await ctx2.newPage();
	for (let i = 0; i < 5; i++) {
		await p2.goto(B + "/admin/login");
		await p2.fill("#name", plan.admin);
		await p2.fill("#password", "wrong-password-" + i);
		await p2.click("main button[type=submit]");
		await p2.waitForLoadState();
		check((await p2.textContent("main")).includes(
		    "Invalid name or password"), `wrong password ${i + 1} refused`);
	}
	await p2.goto(B + "/admin/login");
	await p2.fill("#name", plan.admin);
	await p2.fill("#password", plan.password);
	const [resp6] = await Promise.all([
	    p2.waitForResponse((r) => r.request().method() === "POST"),
	    p2.click("main button[type=submit]")]);
	check(resp6.status() === 429 && (await p2.textContent("main"))
	    .includes("Too many failed attempts"),
	    "6th attempt refused even with the right password");
	await ctx2.close();
	// ... while this client, at another address, is not throttled
	check((await page.request.get(B + "/admin/login",
	    { maxRedirects: 0 })).status() !== 429, "other clients unaffected");

	// forged CSRF: no token, a wrong token, another Origin
	const forged = [
	    { form: { user_id: "", name: "forged" } },
	    { form: { user_id: "", name: "forged", _csrf: "0".repeat(64) } },
	    { form: { user_id: "", name: "forged", _csrf: "0".repeat(64) },
	      headers: { "X-CSRF-Token": "1".repeat(64) } },
	];
	for (const f of forged) {
		const r = await page.request.post(B + "/admin/keys", f);
		check(r.status() === 403, "forged CSRF refused: " +
		    JSON.stringify(f));
	}
	const csrf = await page.getAttribute('meta[name="csrf-token"]',
	    "content");
	const r = await page.request.post(B + "/admin/keys/revoke", {
	    form: { id: "999999", _csrf: csrf },
	    headers: { Origin: "http://evil.example" } });
	check(r.status() === 403, "another Origin refused");

	// the pages
	w = watch(page);
	await page.goto(B + "/admin/users");
	await clean(page, w, "users");
	w = watch(page);
	await page.click(`a[href="/admin/dashboard?user=${plan.user}"]`);
	await page.waitForSelector("#hrv-chart .uplot canvas");
	check((await page.locator(".tile").count()) === 5, "five tiles");
	check((await page.locator(".tile .badge").count()) >= 4,
	    "staleness badges");
	await clean(page, w, "dashboard");
	w = watch(page);
	await page.click('.range button[data-days="30"]');
	await page.waitForFunction(() => document.querySelector(
	    '.range button[data-days="30"]').getAttribute("aria-pressed") ===
	    "true");
	await page.waitForSelector("#hrv-chart .uplot canvas");
	await page.waitForLoadState("networkidle");
	check(w.errors.length === 0 && w.failed.length === 0,
	    "30-day chart: clean " + JSON.stringify(w));

	// a key through the UI, refused by the API once revoked
	w = watch(page);
	await page.goto(B + "/admin/keys");
	await clean(page, w, "keys");
	await page.selectOption("#key-user", plan.user);
	await page.fill("#key-name", "console-test");
	await page.click("form.inline button[type=submit]");
	const key = (await page.textContent("#new-key", { timeout: 10000 }))
	    .trim();
	check(/^pfk_[0-9a-f]{40}$/.test(key), "key shown once: " + key);
	const probe = plan.api_probe;
	let a = await page.request.get(B + probe, { headers: { "X-API-Key": key } });
	check(a.status() === 200, "new key accepted by the API: " + a.status());
	await shots(page, "keys-created");
	const row = page.locator("#keys-body tr", { hasText: key.slice(0, 12) });
	await row.locator("button").click();
	await page.waitForSelector("text=Key revoked.");
	check(!(await page.content()).includes(key),
	    "the key is not shown again");
	check(w.errors.length === 0 && w.failed.length === 0,
	    "keys through htmx: clean " + JSON.stringify(w));
	a = await page.request.get(B + probe, { headers: { "X-API-Key": key } });
	check(a.status() === 401, "revoked key refused by the API: " +
	    a.status());

	// sign out: the session is gone
	await page.click(".logout button");
	await page.waitForURL(B + "/admin/login");
	await page.goto(B + "/admin/keys");
	check(page.url() === B + "/admin/login", "signed out");
	const j = await page.request.get(B + "/admin/api/hrv?user=" + plan.user);
	check(j.status() === 401, "chart data needs a session");
	await ctx.close();
	report.ok = true;
} catch (e) {
	report.ok = false;
	report.error = String(e && e.stack || e);
	if (page && !page.isClosed())
		report.error += "\nat " + page.url() + ": " + (await page
		    .textContent("main").catch(() => "?"));
} finally {
	await browser.close();
}
process.stdout.write(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);
