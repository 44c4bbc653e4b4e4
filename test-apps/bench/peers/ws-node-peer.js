// ws-node-peer.js: the node `ws` reference server of the ws-echo benchmark
// (test-apps/bench/ws-echo/run.sh). Sends every message back whole, text or
// binary as it came, no permessage-deflate (the load generator offers none).
//
//   node ws-node-peer.js [-p PORT]     (0 = pick a free port, the default)
//
// Prints "listening on PORT" to stderr once it accepts (DESIGN.md section 10)
// and exits 0 on SIGINT / SIGTERM. Finds `ws` through NODE_PATH.
'use strict';
const WebSocket = require('ws');

let port = 0;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
	if (args[i] === '-p' && i + 1 < args.length) {
		port = +args[++i];
	} else {
		process.stderr.write('usage: ws-node-peer.js [-p PORT]\n');
		process.exit(2);
	}
}

const wss = new WebSocket.Server({
	host: '127.0.0.1', port: port, perMessageDeflate: false,
	maxPayload: 16 * 1024 * 1024,
});
wss.on('listening', () => {
	process.stderr.write('listening on ' + wss.address().port + '\n');
});
wss.on('error', (e) => {
	process.stderr.write('ws-node-peer: ' + e + '\n');
	process.exit(1);
});
wss.on('connection', (ws) => {
	ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
	ws.on('error', () => ws.terminate());
});

function stop() {
	for (const c of wss.clients)
		c.terminate();
	wss.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
