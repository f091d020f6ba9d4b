// pcap-agent: `interfaces`, `capture`, `check-filter`, and the seed's PCA server mode (ENABLE_PCA=true).
import * as fs from 'node:fs';
import { loadBinding, type RawInterface } from '../native/capture.js';
import { CaptureSession } from './capture-session.js';
import { readControl } from './control.js';
import { AgentError, exitStatus, toAgentError } from './errors.js';
import { EventLog, type StopReason, warnTokenless } from './events.js';
import { listInterfaces, onSignals } from './host.js';
import { compileKernelFilter, parseExclusion } from './kernel-filter.js';
import { type CaptureOptions, parseCaptureArgs, parseCheckFilterArgs, parseInterfacesArgs, USAGE } from './options.js';
import { openCaptureFile, sudoOwner } from './output-file.js';
import { runPca } from './pca.js';
import { StreamSink, TcpServerSink } from './sinks.js';
import { VERSION } from './version.js';

const STATS_INTERVAL_MS = 1000;
const ISB_INTERVAL_MS = 60_000; // long captures report drops in-band; Wireshark shows drops only from a single ISB, so not more often

function runInterfaces(argv: string[]): number {
  const opts = parseInterfacesArgs(argv);
  const list = listInterfaces(loadBinding(), opts.netns);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  for (const i of list) {
    const state = [i.up ? 'up' : 'down', i.loopback ? 'loopback' : ''].filter(Boolean).join(',');
    const addrs = i.addresses.map((a) => `${a.address}/${a.prefix}`).join(' ');
    process.stdout.write(`${i.index}.${i.name} [${state}]${addrs ? ` ${addrs}` : ''}\n`);
  }
  return 0;
}

/** libpcap's verdict on a filter (the addon's compileFilter, the static agent's compile and translation). */
function runCheckFilter(argv: string[]): number {
  const opts = parseCheckFilterArgs(argv);
  const verdict = loadBinding().compileFilter(opts.filter, opts.link);
  if (!verdict.ok) throw new AgentError('E_FILTER', `invalid filter: ${verdict.error}`);
  return 0;
}

function pickInterfaces(available: RawInterface[], wanted: string[], netns: string | undefined): RawInterface[] {
  if (wanted.includes('any')) return available;
  return wanted.map((name) => {
    const found = available.find((i) => i.name === name);
    if (!found) {
      const where = netns ? ` in ${netns}` : '';
      throw new AgentError(
        'E_NO_INTERFACE',
        `no interface "${name}"${where}; available: ${available.map((i) => i.name).join(', ')}`,
      );
    }
    return found;
  });
}

function openOutput(path: string, overwrite: boolean): fs.WriteStream {
  // Opened synchronously so an unwritable path fails before anything is attached.
  const fd = openCaptureFile(path, { overwrite, owner: sudoOwner(process.env) });
  return fs.createWriteStream(path, { fd });
}

/** True when stdin is a pipe or socket whose end means "stop": our callers' stop signal. */
function stdinIsStopChannel(): boolean {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

async function runCapture(argv: string[]): Promise<number> {
  const opts: CaptureOptions = parseCaptureArgs(argv);
  const events = new EventLog(opts.eventsJson);
  const exclusion = parseExclusion(opts.exclude);
  const filter = compileKernelFilter(opts.filter, exclusion);
  if (opts.write === '-' && process.stdout.isTTY) {
    throw new AgentError(
      'E_OUTPUT',
      'refusing to write a binary capture to a terminal: use -w FILE, or pipe it (| wireshark -k -i -)',
    );
  }
  const binding = loadBinding();
  const chosen = pickInterfaces(listInterfaces(binding, opts.netns), opts.interfaces, opts.netns);
  const output =
    opts.write === undefined ? undefined : opts.write === '-' ? process.stdout : openOutput(opts.write, opts.overwrite);

  const session = new CaptureSession(
    binding,
    {
      format: opts.format,
      nanosecondPcap: opts.nanosecondPcap,
      rules: filter.rules,
      exclusions: filter.exclusions,
      filterText: filter.description,
      snaplen: opts.snaplen,
      directions: opts.directions,
      ringBytes: opts.ringBytes,
      netns: opts.netns,
      forceClsact: opts.attachMode === 'clsact',
      count: opts.count,
      maxBytes: opts.maxBytes,
      statsIntervalMs: opts.eventsJson ? STATS_INTERVAL_MS : 0,
      isbIntervalMs: ISB_INTERVAL_MS,
    },
    events,
  );
  for (const iface of chosen) session.register(iface);

  let finish!: (reason: StopReason) => void;
  const stopped = new Promise<StopReason>((resolve) => (finish = resolve));
  session.onStop = finish;

  if (output) {
    const sink = new StreamSink(output, (error) => {
      if (error) events.emit({ event: 'error', code: 'E_OUTPUT', message: `output failed: ${error.message}` });
      finish('output-closed');
    });
    session.addSink(sink, true);
  }
  if (opts.listen) {
    let server: TcpServerSink;
    try {
      server = await TcpServerSink.listen(opts.listen, () => session.encoder.header(), {
        token: opts.token,
        onClients: (count) => events.emit({ event: 'clients', count }),
        onRefused: (r) => events.emit({ event: 'refused', ...r }),
      });
    } catch (e) {
      throw new AgentError(
        'E_LISTEN',
        `cannot listen on ${opts.listen.host}:${opts.listen.port}: ${(e as Error).message}`,
      );
    }
    session.addSink(server);
    if (opts.token === undefined) warnTokenless(events, opts.listen.host, server.port, 'asked for with --no-token');
  }

  session.start();
  try {
    for (const iface of chosen) session.attach(iface);
  } catch (e) {
    await session.stop('error');
    throw e;
  }
  events.emit({
    event: 'started',
    interfaces: session.attachedInterfaces.map((a) => ({ name: a.name, ifindex: a.ifindex, mode: a.mode })),
    filter: filter.description,
    ...(exclusion.text !== '' ? { exclude: exclusion.text } : {}),
    snaplen: opts.snaplen,
    format: opts.format,
  });

  if (opts.durationMs !== undefined) setTimeout(() => finish('duration'), opts.durationMs).unref();
  onSignals(() => finish('signal'));
  if (stdinIsStopChannel()) {
    readControl(process.stdin, {
      onCommand: (c) => {
        if (c.command === 'stop') return finish('stdin-closed');
        try {
          const next = compileKernelFilter(c.filter, exclusion);
          session.setFilter(next.rules);
          events.emit({ event: 'filter', filter: next.description });
        } catch (e) {
          const err = toAgentError(e);
          events.emit({ event: 'error', code: err.code, message: err.message });
        }
      },
      // Never echo the line: a sudo password meant for sudo could land here, and events are shown.
      onInvalid: (line, reason) =>
        events.emit({
          event: 'error',
          code: 'E_USAGE',
          message: `ignored a control line of ${line.length} characters: ${reason}`,
        }),
      onEnd: () => finish('stdin-closed'),
    });
  }
  const reason = await stopped;
  await session.stop(reason);
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  // For errors before a command has parsed its own options (e.g. a usage error).
  const events = new EventLog(rest.includes('--events') && rest[rest.indexOf('--events') + 1] === 'json');
  try {
    switch (command) {
      case 'interfaces':
        return runInterfaces(rest);
      case 'capture':
        return await runCapture(rest);
      case 'check-filter':
        return runCheckFilter(rest);
      case '--version':
        process.stdout.write(`pcap-agent ${VERSION}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        if (env.ENABLE_PCA === 'true') return await runPca(env, events);
        throw new AgentError('E_USAGE', `no command given\n${USAGE}`);
      default:
        throw new AgentError('E_USAGE', `unknown command "${command}"\n${USAGE}`);
    }
  } catch (e) {
    const err = toAgentError(e);
    events.emit({ event: 'error', code: err.code, message: err.message });
    return exitStatus(err.code);
  }
}

/** Runs the CLI with this process's arguments and exits with its status. */
export function cli(): void {
  main(process.argv.slice(2), process.env).then(
    (status) => {
      process.exitCode = status;
      // Nothing else should keep us alive once the work is done (stdin, timers, the server).
      setImmediate(() => process.exit(status));
    },
    (e) => {
      process.stderr.write(`pcap-agent: internal error: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) cli();
