// ws.js: the demo page's WebSocket part: loom-echo, loom-mirror and loom-increment
// on the server that served the page. Each box shows its state; a test (or a
// person) reads the results from the elements with ids *-status.
'use strict';

function wsUrl() {
	return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
}

function setText(id, t) {
	document.getElementById(id).textContent = t;
}

function startEcho() {
	const ws = new WebSocket(wsUrl(), 'loom-echo');
	const sent = 'hello from the page \u00e9\u20ac';
	ws.onopen = () => { setText('echo-status', 'open'); ws.send(sent); };
	ws.onmessage = (e) => {
		setText('echo-out', e.data);
		setText('echo-status', e.data === sent ? 'echo ok' : 'echo wrong');
	};
	ws.onclose = (e) => { if (document.getElementById('echo-status').textContent !==
				   'echo ok') setText('echo-status', 'closed ' + e.code); };
	document.getElementById('echo-form').onsubmit = (ev) => {
		ev.preventDefault();
		ws.send(document.getElementById('echo-in').value);
	};
}

function startMirror() {
	// two connections: what one says, both hear
	const a = new WebSocket(wsUrl(), 'loom-mirror');
	const b = new WebSocket(wsUrl(), 'loom-mirror');
	const token = 'mirror-' + Math.floor(Math.random() * 1e9);
	let open = 0, heardA = false, heardB = false;
	const log = document.getElementById('mirror-log');
	const check = () => {
		if (heardA && heardB)
			setText('mirror-status', 'mirror ok');
	};
	const opened = () => { if (++open === 2) a.send(token); };
	a.onopen = opened;
	b.onopen = opened;
	a.onmessage = (e) => { if (e.data === token) heardA = true; check(); };
	b.onmessage = (e) => {
		if (e.data === token) heardB = true;
		const li = document.createElement('li');
		li.textContent = e.data;
		log.appendChild(li);
		check();
	};
	document.getElementById('mirror-form').onsubmit = (ev) => {
		ev.preventDefault();
		a.send(document.getElementById('mirror-in').value);
	};
}

function startIncrement() {
	const ws = new WebSocket(wsUrl(), 'loom-increment');
	let first = -1;
	ws.onmessage = (e) => {
		const n = parseInt(e.data, 10);
		setText('increment-out', String(n));
		if (first < 0)
			first = n;
		if (n - first >= 5)
			setText('increment-status', 'increment ok');
	};
	ws.onclose = (e) => setText('increment-status', 'closed ' + e.code);
	document.getElementById('increment-reset').onclick = () => ws.send('reset');
}

window.addEventListener('load', () => {
	startEcho();
	startMirror();
	startIncrement();
});
