// pages.mjs - drives a headless Chromium over the DevTools protocol (no npm
// package: Node's own WebSocket and fetch) and reports what a browser sees.
//
//   node --experimental-websocket pages.mjs PROFILE_DIR OUT_DIR URL...
//
// PROFILE_DIR is the Chromium --user-data-dir (its DevToolsActivePort file
// says where the browser listens).  For each URL: open it in a new tab,
// wait for the load event, save a full-page screenshot OUT_DIR/page-N.png,
// and print one JSON line: the URL, the title, the visible text, and every
// image with its natural size (0 = broken).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const [profile, outDir, ...urls] = process.argv.slice(2);

async function devtoolsPort() {
	const f = `${profile}/DevToolsActivePort`;
	for (let i = 0; i < 150; i++) {
		if (existsSync(f)) {
			const port = readFileSync(f, "utf8").split("\n")[0].trim();
			if (port) return port;
		}
		await sleep(100);
	}
	throw new Error("chromium did not write DevToolsActivePort");
}

function session(wsUrl) {
	const ws = new WebSocket(wsUrl);
	let next = 1;
	const pending = new Map();
	const waiters = [];
	ws.onmessage = (ev) => {
		const m = JSON.parse(ev.data);
		if (m.id && pending.has(m.id)) {
			const { resolve, reject } = pending.get(m.id);
			pending.delete(m.id);
			m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result);
		} else if (m.method) {
			for (const w of waiters.splice(0)) w.method === m.method ? w.resolve(m) : waiters.push(w);
		}
	};
	const opened = new Promise((resolve, reject) => {
		ws.onopen = resolve;
		ws.onerror = () => reject(new Error("devtools websocket failed"));
	});
	return {
		opened,
		send(method, params = {}) {
			const id = next++;
			ws.send(JSON.stringify({ id, method, params }));
			return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
		},
		event(method) {
			return new Promise((resolve) => waiters.push({ method, resolve }));
		},
		close() { ws.close(); },
	};
}

const inspect = `(() => {
	const imgs = [...document.images].map((i) => ({
		src: i.getAttribute("src"), complete: i.complete, width: i.naturalWidth,
		height: i.naturalHeight }));
	return JSON.stringify({ title: document.title, text: document.body.innerText, imgs });
})()`;

const port = await devtoolsPort();
let n = 0;
for (const url of urls) {
	n++;
	const res = await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: "PUT" });
	const target = await res.json();
	const s = session(target.webSocketDebuggerUrl);
	await s.opened;
	await s.send("Page.enable");
	await s.send("Emulation.setDeviceMetricsOverride",
		{ width: 1280, height: 1000, deviceScaleFactor: 1, mobile: false });
	const loaded = s.event("Page.loadEventFired");
	await s.send("Page.navigate", { url });
	await Promise.race([loaded, sleep(30000).then(() => { throw new Error(`timeout loading ${url}`); })]);
	const r = await s.send("Runtime.evaluate", { expression: inspect, returnByValue: true });
	const metrics = await s.send("Page.getLayoutMetrics");
	const h = Math.min(6000, Math.ceil(metrics.cssContentSize?.height ?? 1000));
	await s.send("Emulation.setDeviceMetricsOverride",
		{ width: 1280, height: h, deviceScaleFactor: 1, mobile: false });
	const shot = await s.send("Page.captureScreenshot", { format: "png" });
	const file = `${outDir}/page-${n}.png`;
	writeFileSync(file, Buffer.from(shot.data, "base64"));
	console.log(JSON.stringify({ url, screenshot: file, ...JSON.parse(r.result.value) }));
	s.close();
	await fetch(`http://127.0.0.1:${port}/json/close/${target.id}`).catch(() => {});
}
process.exit(0);
