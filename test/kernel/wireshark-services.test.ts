// Real services, each talking its real protocol between two namespaces, captured the way the panel
// captures (LiveCapture through the local target of a namespace, into the panel's PacketStore) and
// judged by Wireshark: a gRPC server and client (@grpc/grpc-js, HTTP/2), redis-server and redis-cli,
// PostgreSQL (Debian's postgres, its own data folder) and psql, mosquitto and mosquitto_pub. For each:
//  1. the panel's Wireshark tree (DeepTrees, the real sharkd) of the packet that carries the request
//     has Wireshark's node for the protocol, and a field holding what the client sent;
//  2. a display filter on that protocol's fields, applied as the panel applies it (our engine, or,
//     for fields our decoders do not know, tshark over the store's packets), shows exactly the
//     frames `tshark -Y` matches in the capture saved as the panel saves it: some, not all.
// Client in namespace A (198.18.41.1), servers in B (198.18.41.2), the capture on A's veth end.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { LiveCapture } from '../../extension/capture/live-capture.js';
import { DeepTrees, wiresharkProgram } from '../../extension/dissect/deep-tree.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { checkWithTshark, WiresharkFileFilterRun, WiresharkFilterRun } from '../../extension/store/wireshark-filter.js';
import { LocalTarget } from '../../extension/targets/local.js';
import type { Field, Layer } from '../../packet/decode/types.js';
import { type DecodeAsRule, parseDecodeAs, tsharkDecodeAsArgs } from '../../packet/decode-as.js';
import { DisplayFilterError } from '../../packet/display-filter.js';
import { tsharkFrames } from '../unit/fixtures/tshark.js';
import { useFilterWorker } from '../unit/helpers/filter-worker.js';
import { REPO, scratchDir, within } from './helpers/agent.js';
import { registerCleanup } from './helpers/cleanup.js';
import { createVethPair, sh, type VethPair } from './helpers/netns.js';
import { BoundedServer, runIn, runOk } from './helpers/server.js';

/** The test network: A is .1 (clients, the capture), B is .2 (servers). */
const NET4 = '198.18.41';
/** Longest any server may live: far more than its test takes, so a test process that dies without
 *  cleaning up leaves nothing running for long. */
const SERVER_BOUND_S = 90;
const GRPC_ECHO = path.join(__dirname, 'helpers', 'grpc-echo.cjs');

/** Debian's PostgreSQL programs (postgresql-NN), the newest installed. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((x, y) => Number(y) - Number(x))[0];
  if (!newest) throw new Error(`no PostgreSQL server in ${root}: scripts/setup.sh installs Debian's postgresql`);
  return path.join(root, newest, 'bin');
}

/** What one service's test does, and what Wireshark must say of it. */
interface Service {
  name: string;
  /** Starts the server in B and waits until it answers. */
  start(): Promise<BoundedServer>;
  /** The client's whole exchange from A; throws when the reply is not the expected one. */
  exchange(): Promise<void>;
  /** What the panel's Wireshark tree of the request must show. */
  tree?: {
    /** Bytes of the client's request: the first packet carrying them is the one whose tree is checked. */
    requestBytes: string;
    /** Wireshark's node for the protocol in that packet's tree. */
    protocol: string;
    /** A field of that tree holding what was sent. */
    field: { name: string; holds: (f: Field) => boolean; what: string };
  };
  /** A display filter on the protocol's fields. */
  filter: string;
  /** Decode As rules, for a port Wireshark does not know the protocol of. */
  decodeAs?: DecodeAsRule[];
}

/** Every field of the tree, depth first. */
function allFields(fields: readonly Field[]): Field[] {
  return fields.flatMap((f) => [f, ...allFields(f.children ?? [])]);
}

/** Bytes as Wireshark writes a bytes field's value in a filter: 70:69:6e:67. */
function colonHex(text: string): string {
  return [...Buffer.from(text)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function fieldsNamed(layers: readonly Layer[], name: string): Field[] {
  return allFields(layers.flatMap((l) => l.fields)).filter((f) => f.name === name);
}

describe("real services, judged by Wireshark's tree and filters", () => {
  let pair: VethPair;
  let scratch: string;
  let deepTrees: DeepTrees;
  /** The Decode As rules of the service under test, as the panel hands its rules to sharkd. */
  let treeRules: DecodeAsRule[] = [];
  const filterWorker = useFilterWorker('pcapk-services-filter');
  // Its folder goes in its after hook, which a signal skips: the registry removes it then.
  registerCleanup(() => fs.rmSync(filterWorker.scratch, { recursive: true, force: true }));

  before(async () => {
    pair = await createVethPair({ tag: 'svc', net4: NET4, ipv6: false });
    scratch = scratchDir('services');
    deepTrees = new DeepTrees({ wiresharkPath: () => 'wireshark', tempParent: scratch, decodeAs: () => treeRules });
  });

  after(async () => {
    await deepTrees?.dispose();
    pair?.destroy();
  });

  const server = () => pair.b.ip4;

  /** A private folder (0700) for one server's data and configuration, owned by `owner`. */
  function privateFolder(tag: string, owner?: string): string {
    const dir = scratchDir(tag);
    if (owner) {
      const ids = (flag: string) => Number(sh('id', [flag, owner]).trim());
      fs.chownSync(dir, ids('-u'), ids('-g'));
    }
    return dir;
  }

  /** `ss` in B lists a TCP socket listening on the server's address and `port`. */
  const listening = (port: number) => async () =>
    (await runIn(pair.b.ns, ['ss', '-Hltn', `src ${server()}:${port}`])).stdout.trim() !== '';

  /**
   * Captures on A's veth end as the panel does (its local target of namespace A, LiveCapture into a
   * PacketStore) while `exchange` runs, then saves the packets as the panel saves a capture.
   */
  async function capture(name: string, exchange: () => Promise<void>): Promise<{ store: PacketStore; file: string }> {
    const store = new PacketStore({ maxPackets: 100_000, maxBytes: 64 << 20, whenFull: 'stop' });
    const target = new LocalTarget(REPO, async () => undefined, pair.a.ns.name);
    const statuses: string[] = [];
    const live = new LiveCapture(target, { interfaces: [pair.a.dev], filter: '', snaplen: 262_144 }, store, {
      onStatus: (status, message) => statuses.push(`${status}${message ? `: ${message}` : ''}`),
      onPackets: () => {},
    });
    try {
      await within(live.start(), 15_000, 'the capture to start');
      await exchange();
    } finally {
      await live.stop();
    }
    assert.equal(live.status, 'stopped', statuses.join(' | '));
    const file = path.join(scratch, `${name}.pcapng`);
    await writeCaptureFile(store, file, 'pcapng');
    return { store, file };
  }

  /**
   * The panel's display filter over a stopped capture: our engine's, or, for a field our decoders do
   * not know, checked by tshark and then judged by it over the store's packets. The rows shown.
   */
  async function panelFilter(store: PacketStore, text: string, decodeAs: DecodeAsRule[] = []): Promise<number[]> {
    const view = filterWorker.view(store);
    view.decodeAs = decodeAs;
    view.endOfPackets();
    let failure: string | undefined;
    view.onWiresharkFailed = (message) => {
      failure = message;
    };
    try {
      view.setFilter(text);
    } catch (e) {
      if (!(e instanceof DisplayFilterError) || e.unknownName === undefined) throw e;
      const place = { tshark: wiresharkProgram('wireshark', 'tshark'), tmpdir: scratch, decodeAs };
      await checkWithTshark(place, text);
      view.setWiresharkFilter(text, (onMatches, onEnd, complete) =>
        complete
          ? new WiresharkFileFilterRun(store, place, text, onMatches, onEnd)
          : new WiresharkFilterRun(store, place, text, onMatches, onEnd),
      );
    }
    const shown = [...(await within(view.shownNumbers(), 30_000, `the filter "${text}"`))];
    assert.equal(failure, undefined, `tshark failed while judging "${text}"`);
    return shown;
  }

  /** The first packet whose bytes hold `text`. */
  function firstCarrying(store: PacketStore, text: string): number {
    const bytes = Buffer.from(text);
    for (let n = store.firstNumber; n <= store.lastNumber; n++) {
      if (Buffer.from(store.packet(n)!.data).includes(bytes)) return n;
    }
    throw new Error(`no captured packet carries "${text}"`);
  }

  /**
   * The gRPC server in B on `port` and the client's two calls. Wireshark 4.0 has no HTTP/2
   * heuristic of its own on TCP: on 8080, an HTTP port, its HTTP dissector recognises HTTP/2's
   * connection preface and hands the connection over; on 50051 only a Decode As rule makes it HTTP/2.
   */
  function grpc(port: number): Pick<Service, 'start' | 'exchange'> {
    return {
      start: async () => {
        const argv = [process.execPath, GRPC_ECHO, 'server', server(), String(port)];
        const s = new BoundedServer(pair.b.ns, argv, SERVER_BOUND_S);
        await s.waitReady(async () => s.output.startsWith('ready\n'));
        return s;
      },
      exchange: async () => {
        const out = await runOk(pair.a.ns, [process.execPath, GRPC_ECHO, 'client', server(), String(port)]);
        assert.deepEqual(JSON.parse(out), { say: 'echo: ping', count: ['n0', 'n1', 'n2'] });
      },
    };
  }

  /** The tree of gRPC's unary request: its message. */
  const grpcTree: Service['tree'] = {
    requestBytes: 'ping',
    protocol: 'grpc',
    field: { name: 'grpc.message_data', holds: (f) => f.value === colonHex('ping'), what: 'the message "ping"' },
  };

  const services: Service[] = [
    {
      name: 'gRPC over HTTP/2 on an HTTP port: a unary and a server-streaming call',
      ...grpc(8080),
      tree: grpcTree,
      filter: 'http2.header.value == "/pcap.test.Echo/Say"',
    },
    {
      name: 'gRPC on 50051, HTTP/2 to Wireshark through Decode As only',
      ...grpc(50051),
      tree: grpcTree,
      filter: 'http2.header.value == "/pcap.test.Echo/Count" && grpc',
      decodeAs: [parseDecodeAs('tcp.port==50051,http2')],
    },
    {
      name: 'Redis: SET and GET with redis-cli',
      start: async () => {
        const dir = privateFolder('redis');
        const s = new BoundedServer(
          pair.b.ns,
          [
            'redis-server',
            '--save',
            '',
            '--appendonly',
            'no',
            '--bind',
            server(),
            '--port',
            '6379',
            '--protected-mode',
            'no',
            '--dir',
            dir,
          ],
          SERVER_BOUND_S,
        );
        const ping = ['redis-cli', '-h', server(), '-p', '6379', 'PING'];
        await s.waitReady(async () => (await runIn(pair.b.ns, ping)).stdout.trim() === 'PONG');
        return s;
      },
      exchange: async () => {
        const cli = ['redis-cli', '-h', server(), '-p', '6379'];
        assert.equal((await runOk(pair.a.ns, [...cli, 'SET', 'pcap:user', 'alice'])).trim(), 'OK');
        assert.equal((await runOk(pair.a.ns, [...cli, 'GET', 'pcap:user'])).trim(), 'alice');
      },
      tree: {
        requestBytes: 'pcap:user',
        protocol: 'resp',
        field: { name: 'resp.bulk_string.value', holds: (f) => f.value === colonHex('pcap:user'), what: 'the key' },
      },
      filter: 'resp.bulk_string.value == "pcap:user"',
    },
    {
      name: 'PostgreSQL: startup and a query with psql',
      start: async () => {
        const bin = postgresBin();
        const data = privateFolder('pgdata', 'postgres');
        const asPostgres = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];
        await runOk(
          pair.b.ns,
          [...asPostgres, path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'],
          { timeoutMs: 60_000 },
        );
        // initdb trusts local sockets and loopback only: the client is A, on the test network.
        fs.writeFileSync(path.join(data, 'pg_hba.conf'), `local all all trust\nhost all all ${NET4}.0/24 trust\n`);
        const s = new BoundedServer(
          pair.b.ns,
          [
            ...asPostgres,
            path.join(bin, 'postgres'),
            '-D',
            data,
            '-h',
            server(),
            '-k',
            data,
            '-p',
            '5432',
            '-c',
            'fsync=off',
            '-c',
            'ssl=off',
          ],
          SERVER_BOUND_S,
        );
        const isReady = [path.join(bin, 'pg_isready'), '-q', '-h', server(), '-p', '5432'];
        await s.waitReady(async () => (await runIn(pair.b.ns, isReady)).code === 0, 30_000);
        return s;
      },
      exchange: async () => {
        const query = ['psql', '-X', '-At', '-h', server(), '-p', '5432', '-U', 'postgres', '-d', 'postgres'];
        // No SSL request: the query must be on the wire as text for Wireshark to read.
        const env = { ...process.env, PGSSLMODE: 'disable' };
        const out = await runOk(pair.a.ns, [...query, '-c', "SELECT 'users' AS name"], { env });
        assert.equal(out.trim(), 'users');
      },
      tree: {
        requestBytes: "SELECT 'users'",
        protocol: 'pgsql',
        field: { name: 'pgsql.query', holds: (f) => f.value === "SELECT 'users' AS name", what: 'the query' },
      },
      // The startup message (its user parameter) and the query.
      filter: 'pgsql.parameter_name == "user" || pgsql.query contains "users"',
    },
    {
      name: 'MQTT: a QoS 1 publish with mosquitto_pub',
      start: async () => {
        const dir = privateFolder('mosquitto');
        const conf = path.join(dir, 'mosquitto.conf');
        fs.writeFileSync(
          conf,
          [`listener 1883 ${server()}`, 'allow_anonymous true', 'persistence false', 'log_dest stdout', ''].join('\n'),
          { mode: 0o600 },
        );
        const s = new BoundedServer(pair.b.ns, ['mosquitto', '-c', conf], SERVER_BOUND_S);
        await s.waitReady(listening(1883));
        return s;
      },
      exchange: async () => {
        const publish = ['mosquitto_pub', '-h', server(), '-p', '1883', '-q', '1', '-i', 'pcap-test'];
        await runOk(pair.a.ns, [...publish, '-t', 'pcap/test/users', '-m', 'alice']);
      },
      tree: {
        requestBytes: 'pcap/test/users',
        protocol: 'mqtt',
        field: { name: 'mqtt.topic', holds: (f) => f.value === 'pcap/test/users', what: 'the topic' },
      },
      // The publish, and the broker's acknowledgement of it (QoS 1).
      filter: 'mqtt.topic == "pcap/test/users" || mqtt.msgtype == 4',
    },
  ];

  /** 1. The panel's Wireshark tree of the request: the protocol's node, and the field. */
  async function checkTree(store: PacketStore, expected: NonNullable<Service['tree']>): Promise<void> {
    const request = firstCarrying(store, expected.requestBytes);
    const tree = await deepTrees.treeOf(store, request);
    assert.equal(tree.kind, 'layers', `Wireshark's tree of packet ${request}: ${JSON.stringify(tree)}`);
    const layers = tree.kind === 'layers' ? tree.layers : [];
    const protocols = layers.map((l) => l.protocol);
    assert.ok(protocols.includes(expected.protocol), `packet ${request}'s protocols: ${protocols.join(', ')}`);
    const { name, holds, what } = expected.field;
    const candidates = fieldsNamed(layers, name);
    assert.ok(
      candidates.some(holds),
      `packet ${request}: no ${name} with ${what}; its ${name} fields: ${JSON.stringify(candidates.map((f) => f.label))}`,
    );
  }

  for (const [i, service] of services.entries()) {
    test(service.name, { timeout: 90_000 }, async () => {
      const running = await service.start();
      let captured: { store: PacketStore; file: string };
      try {
        captured = await capture(`service-${i + 1}`, service.exchange);
      } finally {
        await running.stop();
      }
      const { store, file } = captured;
      assert.equal(store.firstNumber, 1, "the store holds every packet: its numbers are the saved file's frames");

      treeRules = service.decodeAs ?? [];
      if (service.tree) await checkTree(store, service.tree);

      // 2. The panel's display filter, against tshark on the saved file.
      const shown = await panelFilter(store, service.filter, service.decodeAs);
      const judged = tsharkFrames(file, service.filter, tsharkDecodeAsArgs(service.decodeAs ?? []));
      assert.deepEqual(shown, judged, `"${service.filter}": the panel's rows and tshark -Y's frames`);
      assert.ok(
        judged.length > 0 && judged.length < store.held,
        `"${service.filter}" matches ${judged.length} of ${store.held} packets: some, not all`,
      );
      if (service.decodeAs)
        assert.deepEqual(tsharkFrames(file, service.filter), [], 'without its Decode As rules, tshark matches nothing');
    });
  }
});
