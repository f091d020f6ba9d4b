#!/usr/bin/env node
'use strict';
// A real gRPC exchange over HTTP/2 (@grpc/grpc-js), run inside a namespace:
// `ip netns exec NS node grpc-echo.cjs server|client HOST PORT`.
//
//   server HOST PORT   serves pcap.test.Echo on HOST:PORT; prints "ready" once bound; runs until
//                      killed (the test bounds it from outside)
//   client HOST PORT   one unary call (Say "ping" → "echo: ping") and one server-streaming call
//                      (Count 3 → "n0", "n1", "n2"); prints one JSON line with the replies; exits 0
//                      when both calls gave what they should, 1 otherwise or after MAX_TIME_MS
//
// The messages are raw bytes (identity serializers): no .proto file or generated code is needed,
// and Wireshark sees them as gRPC messages of unknown type.
const grpc = require('@grpc/grpc-js');

const MAX_TIME_MS = 15000;
const identity = (bytes) => bytes;
const method = (name, responseStream) => ({
  path: `/pcap.test.Echo/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const ECHO = { say: method('Say', false), count: method('Count', true) };
// grpc-js would send its connections through a proxy named in the environment (http_proxy…).
const OPTIONS = { 'grpc.enable_http_proxy': 0 };

const [role, host, portText] = process.argv.slice(2);
const address = `${host}:${Number(portText)}`;

function fail(message) {
  process.stderr.write(`grpc-echo: ${message}\n`);
  process.exit(role === 'client' ? 1 : 2);
}

function serve() {
  const server = new grpc.Server(OPTIONS);
  server.addService(ECHO, {
    say: (call, reply) => reply(null, Buffer.concat([Buffer.from('echo: '), call.request])),
    count: (call) => {
      const n = call.request.readUInt8(0);
      for (let i = 0; i < n; i++) call.write(Buffer.from(`n${i}`));
      call.end();
    },
  });
  server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) fail(`cannot listen on ${address}: ${error.message}`);
    process.stdout.write('ready\n');
  });
}

function callSay(client) {
  return new Promise((resolve, reject) =>
    client.say(Buffer.from('ping'), (error, reply) => (error ? reject(error) : resolve(reply.toString()))),
  );
}

function callCount(client) {
  return new Promise((resolve, reject) => {
    const replies = [];
    const call = client.count(Buffer.from([3]));
    call.on('data', (reply) => replies.push(reply.toString()));
    call.on('error', reject);
    call.on('end', () => resolve(replies));
  });
}

async function callBoth() {
  setTimeout(() => fail(`no answer within ${MAX_TIME_MS} ms`), MAX_TIME_MS).unref();
  const Client = grpc.makeGenericClientConstructor(ECHO, 'Echo');
  const client = new Client(address, grpc.credentials.createInsecure(), OPTIONS);
  try {
    const say = await callSay(client);
    const count = await callCount(client);
    const ok = say === 'echo: ping' && count.join(',') === 'n0,n1,n2';
    process.stdout.write(`${JSON.stringify({ say, count })}\n`, () => process.exit(ok ? 0 : 1));
  } catch (error) {
    fail(error.message);
  } finally {
    client.close();
  }
}

if (role === 'server') serve();
else if (role === 'client') void callBoth();
else fail(`unknown role "${role}" (server, client)`);
