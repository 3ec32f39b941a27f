// pages.mjs - drives headless Chromium over the DevTools protocol and reports
// what a browser sees.  No npm package and no WebSocket: Chromium is started
// with --remote-debugging-pipe and speaks NUL-terminated JSON on fds 3 and 4,
// which works with Debian's own nodejs.
//
//   node pages.mjs CHROMIUM PROFILE_DIR OUT_DIR URL...
//
// For each URL: open it in a new tab, wait for the load event, save a
// full-page screenshot OUT_DIR/page-N.png, and print one JSON line: the URL,
// the title, the visible text, and every image with its natural size (0 means
// the browser could not load or decode it) and the colours it draws.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

const [chromium, profile, outDir, ...urls] = process.argv.slice(2);
const browser = spawn(chromium, [
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", `--user-data-dir=${profile}`, "--remote-debugging-pipe",
	"about:blank",
], { stdio: ["ignore", "ignore", "inherit", "pipe", "pipe"] });
const toBrowser = browser.stdio[3], fromBrowser = browser.stdio[4];

let next = 1, pending = new Map(), waiters = [], inbuf = Buffer.alloc(0);
fromBrowser.on("data", (chunk) => {
	inbuf = Buffer.concat([inbuf, chunk]);
	let end;
	while ((end = inbuf.indexOf(0)) >= 0) {
		const m = JSON.parse(inbuf.subarray(0, end).toString("utf8"));
		inbuf = inbuf.subarray(end + 1);
		if (m.id && pending.has(m.id)) {
			const { resolve, reject } = pending.get(m.id);
			pending.delete(m.id);
			m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result);
		} else if (m.method) {
			const keep = [];
			for (const w of waiters)
				(w.method === m.method && w.sessionId === m.sessionId) ? w.resolve(m) : keep.push(w);
			waiters = keep;
		}
	}
});

function send(method, params = {}, sessionId = undefined) {
	const id = next++;
	toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
	return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function event(method, sessionId) {
	return new Promise((resolve) => waiters.push({ method, sessionId, resolve }));
}
function timeout(ms, what) {
	return new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref());
}

// colours: for each loaded image, how many pixels of each colour ("rrggbb")
// its upper 80% holds -- the plot, without rrdtool's legend and its colour
// swatches -- for colours of more than 20 pixels: what a graph draws, so a
// test can tell an empty graph from one that shows a purge or an alert.
const inspect = `(() => {
	const imgs = [...document.images].map((i) => {
		const r = { src: i.getAttribute("src"), complete: i.complete, width: i.naturalWidth,
			height: i.naturalHeight, colors: {} };
		if (!i.complete || !i.naturalWidth)
			return r;
		const c = document.createElement("canvas");
		c.width = i.naturalWidth;
		c.height = i.naturalHeight;
		const g = c.getContext("2d");
		g.drawImage(i, 0, 0);
		const d = g.getImageData(0, 0, c.width, Math.floor(c.height * 0.8)).data;
		const n = {};
		for (let k = 0; k < d.length; k += 4) {
			const hex = ((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]).toString(16).padStart(6, "0");
			n[hex] = (n[hex] || 0) + 1;
		}
		for (const [hex, count] of Object.entries(n))
			if (count > 20)
				r.colors[hex] = count;
		return r;
	});
	return JSON.stringify({ title: document.title, text: document.body.innerText, imgs });
})()`;

try {
	let n = 0;
	for (const url of urls) {
		n++;
		const { targetId } = await send("Target.createTarget", { url: "about:blank" });
		const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
		await send("Page.enable", {}, sessionId);
		await send("Emulation.setDeviceMetricsOverride",
			{ width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false }, sessionId);
		const loaded = event("Page.loadEventFired", sessionId);
		await send("Page.navigate", { url }, sessionId);
		await Promise.race([loaded, timeout(30000, `loading ${url}`)]);
		const r = await send("Runtime.evaluate", { expression: inspect, returnByValue: true }, sessionId);
		const metrics = await send("Page.getLayoutMetrics", {}, sessionId);
		const size = metrics.cssContentSize || metrics.contentSize;
		const h = Math.min(6000, Math.ceil(size ? size.height : 1000));
		await send("Emulation.setDeviceMetricsOverride",
			{ width: 1280, height: h, deviceScaleFactor: 1, mobile: false }, sessionId);
		const shot = await send("Page.captureScreenshot", { format: "png" }, sessionId);
		const file = `${outDir}/page-${n}.png`;
		writeFileSync(file, Buffer.from(shot.data, "base64"));
		console.log(JSON.stringify({ url, screenshot: file, ...JSON.parse(r.result.value) }));
		await send("Target.closeTarget", { targetId });
	}
	await Promise.race([send("Browser.close"), timeout(10000, "closing the browser")]).catch(() => {});
	process.exitCode = 0;
} catch (e) {
	console.error(`pages.mjs: ${e.message}`);
	process.exitCode = 1;
} finally {
	browser.kill("SIGTERM");
}
