// ws-node.js client PORT PMD | server PORT PMD: node's ws module against Loom.
// client: echo cases against a Loom echo server, exit 0 when all came back right.
// server: an echo server; prints its port, runs until killed.
'use strict';
const WebSocket = require('ws');
const [mode, port, pmdArg] = process.argv.slice(2);
const pmd = pmdArg === 'true';

if (mode === 'server') {
	const wss = new WebSocket.Server({ host: '127.0.0.1', port: +port, perMessageDeflate: pmd });
	wss.on('listening', () => console.log(wss.address().port));
	wss.on('connection', (ws) => {
		ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
	});
} else {
	const ws = new WebSocket('ws://127.0.0.1:' + port + '/', { perMessageDeflate: pmd });
	const sizes = [0, 1, 125, 126, 65535, 65536, 300000];
	const sent = [];
	let got = 0, bad = 0;
	const timer = setTimeout(() => { console.log('timeout'); process.exit(1); }, 30000);
	ws.on('open', () => {
		if (pmd && !ws.extensions.includes('permessage-deflate')) {
			console.log('deflate not negotiated: ' + ws.extensions);
			process.exit(1);
		}
		for (const n of sizes) {
			const t = 'é'.repeat(n >> 1) + (n & 1 ? 'x' : '');
			const b = Buffer.alloc(n, n & 255);
			sent.push([t, false], [b, true]);
			ws.send(t);
			ws.send(b);
		}
		ws.ping('p');
	});
	ws.on('message', (data, isBinary) => {
		const [want, wantBin] = sent[got++];
		const same = wantBin ? Buffer.compare(data, want) === 0 : data.toString() === want;
		if (!same || isBinary !== wantBin)
			bad++;
		if (got === sent.length)
			ws.close(1000, 'bye');
	});
	ws.on('close', (code) => {
		clearTimeout(timer);
		console.log('node client: ' + got + ' messages, ' + bad + ' bad, close ' + code);
		process.exit(bad || got !== sent.length || code !== 1000 ? 1 : 0);
	});
	ws.on('error', (e) => { console.log('error ' + e); process.exit(1); });
}
