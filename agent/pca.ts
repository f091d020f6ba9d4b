// The seed's Packet Capture Agent mode: ENABLE_PCA=true, PCA_FILTER, PCA_SERVER_PORT.
import { type RawInterface, loadBinding } from '../native/capture.js';
import { parseFilter } from '../packet/filter.js';
import { CaptureSession } from './capture-session.js';
import { AgentError, toAgentError } from './errors.js';
import type { EventLog, StopReason } from './events.js';
import { listInterfaces, onSignals } from './host.js';
import { type PcaOptions, parsePcaEnv } from './options.js';
import { TcpServerSink } from './sinks.js';

const INTERFACE_POLL_MS = 2000;

/**
 * The seed's Packet Capture Agent: classic pcap to every TCP client; the kernel hooks are attached
 * while at least one client is connected; new interfaces are picked up as they appear.
 */
export async function runPca(env: NodeJS.ProcessEnv, events: EventLog): Promise<number> {
  const opts: PcaOptions = parsePcaEnv(env);
  const rules = parseFilter(opts.filter);
  const binding = loadBinding();
  const wanted = (i: RawInterface) =>
    (opts.include.length === 0 || opts.include.some((m) => m(i.name))) && !opts.exclude.some((m) => m(i.name));
  listInterfaces(binding, undefined);

  const session = new CaptureSession(
    binding,
    {
      format: 'pcap',
      nanosecondPcap: false,
      rules,
      filterText: opts.filter,
      snaplen: opts.snaplen,
      directions: ['in', 'out'],
      ringBytes: opts.ringBytes,
      forceClsact: false,
      statsIntervalMs: 0,
      isbIntervalMs: 0,
    },
    events,
  );
  let clients = 0;
  let stopping = false;
  const sync = () => {
    // Stopping closes every client's socket, and each close reports a new client count: without
    // this guard, the count of the clients still open would re-attach to a capture being closed.
    if (stopping) return;
    const present = binding.listInterfaces();
    if (clients === 0) {
      session.detachAll();
      return;
    }
    for (const gone of session.attachedInterfaces.filter((a) => !present.some((p) => p.index === a.ifindex))) {
      session.detach(gone.ifindex);
    }
    const attached = new Set(session.attachedInterfaces.map((a) => a.ifindex));
    for (const iface of present.filter((i) => wanted(i) && !attached.has(i.index))) {
      try {
        const a = session.attach(iface);
        events.emit({ event: 'attached', interface: { name: a.name, ifindex: a.ifindex, mode: a.mode } });
      } catch (e) {
        const err = toAgentError(e);
        events.emit({ event: 'error', code: err.code, message: err.message });
      }
    }
  };
  let server: TcpServerSink;
  try {
    server = await TcpServerSink.listen(
      opts.listen,
      () => session.encoder.header(),
      opts.token,
      (count) => {
        clients = count;
        events.emit({ event: 'clients', count });
        sync();
      },
    );
  } catch (e) {
    throw new AgentError(
      'E_LISTEN',
      `cannot listen on ${opts.listen.host}:${opts.listen.port}: ${(e as Error).message}`,
    );
  }
  session.addSink(server);
  session.start();
  const poll = setInterval(sync, INTERFACE_POLL_MS);
  process.stderr.write(
    `pcap-agent: serving pcap on ${opts.listen.host}:${server.port}` +
      (opts.filter ? `, filter "${opts.filter}"` : '') +
      '\n',
  );
  const reason = await new Promise<StopReason>((resolve) => onSignals(() => resolve('signal')));
  clearInterval(poll);
  stopping = true;
  await session.stop(reason);
  return 0;
}
