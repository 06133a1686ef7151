// SPDX-License-Identifier: Apache-2.0
// receiver.js PORT OUTFILE [shared-key=KEY | tls-dir=DIR]
//   tls-dir: serve TLS with DIR/srv.pem and DIR/srv.key
//
// A Fluent Forward receiver for the tests: the protocol is the FluentServer
// of @fluent-org/logger (an independent implementation), this script only
// appends each entry it accepted to OUTFILE as one JSON line
//   {"tag": TAG, "sec": S, "nsec": NS, "record": {...}}
// and prints "listening" once it accepts connections.  127.0.0.1 only.
"use strict";
const fs = require("fs");
const { FluentServer, EventTime } = require("@fluent-org/logger");

const [port, out, ...opts] = process.argv.slice(2);
const opt = {};
for (const o of opts) {
	const i = o.indexOf("=");
	opt[o.slice(0, i)] = o.slice(i + 1);
}
const options = { listenOptions: { host: "127.0.0.1", port: Number(port) } };
if (opt["shared-key"] !== undefined) {
	options.security = {
		serverHostname: "custos-test-receiver",
		sharedKey: opt["shared-key"],
		authorize: false,
		userDict: {},
	};
}
if (opt["tls-dir"]) {
	options.tlsOptions = {
		cert: fs.readFileSync(opt["tls-dir"] + "/srv.pem"),
		key: fs.readFileSync(opt["tls-dir"] + "/srv.key"),
	};
}
const fd = fs.openSync(out, "a");
const server = new FluentServer(options);
server.on("entry", (tag, time, record) => {
	let sec, nsec;
	if (time instanceof EventTime) {
		sec = time.epoch;
		nsec = time.nano;
	} else {
		sec = time;
		nsec = -1;
	}
	fs.writeSync(fd, JSON.stringify({ tag, sec, nsec, record }) + "\n");
});
server.listen().then(() => {
	process.stdout.write("listening\n");
});
process.on("SIGTERM", () => {
	fs.closeSync(fd);
	process.exit(0);
});
