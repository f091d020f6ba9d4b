#!/usr/bin/env node
'use strict';
// Bounded test traffic, run inside a namespace: `ip netns exec NS node traffic.cjs MODE ARGS…`.
// Every mode ends by itself: a fixed count and a hard time limit. Servers print "ready" on stdout
// once bound; every mode prints one JSON line with what it did before exiting. Exit status 0 means
// the whole exchange happened (all sent, all expected replies received), 1 a shortfall or timeout.
//
//   udp-send   HOST PORT COUNT SIZE [SPORT]        send COUNT datagrams of SIZE bytes
//   udp-sink   HOST PORT COUNT TIMEOUT_MS         receive COUNT datagrams
//   udp-echo   HOST PORT COUNT TIMEOUT_MS         echo COUNT datagrams back to their sender
//   udp-ping   HOST PORT COUNT SIZE TIMEOUT_MS [SPORT]   request, wait for the echo, repeat
//   tcp-server HOST PORT REPLY_BYTES TIMEOUT_MS   accept one connection, read to EOF, send REPLY_BYTES, close
//   tcp-client HOST PORT BYTES TIMEOUT_MS [SPORT] connect, send BYTES, half-close, read to EOF
const dgram = require('node:dgram');
const net = require('node:net');

const MAX_COUNT = 100000;
const MAX_TIME_MS = 20000;

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const family = net.isIPv6(host) ? 6 : 4;
const udpType = family === 6 ? 'udp6' : 'udp4';

function num(text, name, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) fail(`bad ${name}: ${text}`);
  return n;
}

function fail(message) {
  process.stderr.write(`traffic: ${message}\n`);
  process.exit(2);
}

function finish(result, ok) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(ok ? 0 : 1));
}

function limit(ms, onTimeout) {
  setTimeout(onTimeout, Math.min(ms, MAX_TIME_MS)).unref();
  // The absolute bound holds even if the mode's own timer logic is wrong.
  setTimeout(() => {
    process.stderr.write('traffic: hard time limit\n');
    process.exit(3);
  }, MAX_TIME_MS + 1000).unref();
}

function ready() {
  process.stdout.write('ready\n');
}

function payload(size, seq) {
  const b = Buffer.alloc(size, 0x61 + (seq % 26));
  if (size >= 4) b.writeUInt32BE(seq >>> 0, 0);
  return b;
}

function udpSend() {
  const count = num(rest[0], 'count', MAX_COUNT);
  const size = num(rest[1], 'size', 65507);
  const sport = rest[2] ? num(rest[2], 'sport', 65535) : 0;
  limit(MAX_TIME_MS, () => finish({ sent }, false));
  const sock = dgram.createSocket(udpType);
  let sent = 0;
  const next = () => {
    if (sent === count) return sock.close(() => finish({ sent }, true));
    sock.send(payload(size, sent), port, host, (err) => {
      if (err) fail(`send: ${err.message}`);
      sent++;
      next();
    });
  };
  sock.bind(sport, () => next());
}

function udpServer(echo) {
  const count = num(rest[0], 'count', MAX_COUNT);
  const timeout = num(rest[1], 'timeout', MAX_TIME_MS);
  const sock = dgram.createSocket(udpType);
  let received = 0;
  let echoed = 0;
  const done = () => finish({ received, echoed }, received === count);
  limit(timeout, done);
  sock.on('message', (msg, from) => {
    received++;
    if (!echo) {
      if (received === count) done();
      return;
    }
    sock.send(msg, from.port, from.address, (err) => {
      if (err) fail(`echo: ${err.message}`);
      echoed++;
      if (echoed === count) done();
    });
  });
  sock.bind(port, host, ready);
}

function udpPing() {
  const count = num(rest[0], 'count', MAX_COUNT);
  const size = num(rest[1], 'size', 65507);
  const timeout = num(rest[2], 'timeout', MAX_TIME_MS);
  const sport = rest[3] ? num(rest[3], 'sport', 65535) : 0;
  const sock = dgram.createSocket(udpType);
  let sent = 0;
  let received = 0;
  limit(timeout, () => finish({ sent, received }, false));
  const next = () => {
    if (received === count) return sock.close(() => finish({ sent, received }, true));
    sock.send(payload(size, sent), port, host, (err) => {
      if (err) fail(`send: ${err.message}`);
      sent++;
    });
  };
  sock.on('message', () => {
    received++;
    next();
  });
  sock.bind(sport, () => next());
}

function tcpServer() {
  const reply = num(rest[0], 'reply bytes', 64 << 20);
  const timeout = num(rest[1], 'timeout', MAX_TIME_MS);
  let received = 0;
  limit(timeout, () => finish({ received }, false));
  const server = net.createServer((socket) => {
    server.close();
    socket.on('data', (d) => (received += d.length));
    socket.on('end', () => socket.end(payload(reply, 0)));
    socket.on('close', () => finish({ received, sent: reply }, true));
    socket.on('error', (e) => fail(`server socket: ${e.message}`));
  });
  server.listen(port, host, ready);
}

function tcpClient() {
  const bytes = num(rest[0], 'bytes', 64 << 20);
  const timeout = num(rest[1], 'timeout', MAX_TIME_MS);
  const sport = rest[2] ? num(rest[2], 'sport', 65535) : undefined;
  let received = 0;
  limit(timeout, () => finish({ received }, false));
  const socket = net.connect({ host, port, localPort: sport }, () => socket.end(payload(bytes, 0)));
  socket.on('data', (d) => (received += d.length));
  socket.on('close', () => finish({ sent: bytes, received }, true));
  socket.on('error', (e) => fail(`client socket: ${e.message}`));
}

if (!host || !Number.isInteger(port)) fail('usage: traffic.cjs MODE HOST PORT …');
switch (mode) {
  case 'udp-send':
    udpSend();
    break;
  case 'udp-sink':
    udpServer(false);
    break;
  case 'udp-echo':
    udpServer(true);
    break;
  case 'udp-ping':
    udpPing();
    break;
  case 'tcp-server':
    tcpServer();
    break;
  case 'tcp-client':
    tcpClient();
    break;
  default:
    fail(`unknown mode ${mode}`);
}
