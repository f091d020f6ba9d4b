// The seed's Packet Capture Agent mode: ENABLE_PCA=true, PCA_FILTER, PCA_SERVER_PORT.
import { loadBinding, type RawInterface } from '../native/capture.js';
import { parseFilter } from '../packet/filter.js';
import { CaptureSession } from './capture-session.js';
import { AgentError, toAgentError } from './errors.js';
import { type EventLog, type StopReason, warnTokenless } from './events.js';
import { listInterfaces, onSignals } from './host.js';
import { type InterfaceChoice, type PcaOptions, parsePcaEnv } from './options.js';
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
  const wanted = (i: RawInterface) => opts.interfaces.chosen(i.name);
  // Checked before the BPF object loads: a choice that leaves nothing is an error, not a silent empty stream.
  const choice = chooseInterfaces(opts.interfaces, listInterfaces(binding, undefined));

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
    server = await TcpServerSink.listen(opts.listen, () => session.encoder.header(), {
      token: opts.token,
      onClients: (count) => {
        clients = count;
        events.emit({ event: 'clients', count });
        sync();
      },
      onRefused: (r) => events.emit({ event: 'refused', ...r }),
    });
  } catch (e) {
    throw new AgentError(
      'E_LISTEN',
      `cannot listen on ${opts.listen.host}:${opts.listen.port}: ${(e as Error).message}`,
    );
  }
  session.addSink(server);
  events.emit({ event: 'interfaces', ...choice });
  if (opts.token === undefined) {
    warnTokenless(events, opts.listen.host, server.port, 'the seed-compatible PCA mode; set PCA_TOKEN to require one');
  }
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

type Verdicts = { name: string; reason: string }[];

/** The interfaces present now, split into chosen and left out, each with why; none chosen is an error. */
export function chooseInterfaces(
  choice: InterfaceChoice,
  present: RawInterface[],
): { chosen: Verdicts; left: Verdicts } {
  const chosen: Verdicts = [];
  const left: Verdicts = [];
  for (const { name } of present) {
    const v = choice.verdict(name);
    (v.chosen ? chosen : left).push({ name, reason: v.reason });
  }
  if (chosen.length === 0) {
    throw new AgentError(
      'E_NO_INTERFACE',
      `no interface to capture on: ${left.map((i) => `${i.name} (${i.reason})`).join(', ') || 'none present'}`,
    );
  }
  return { chosen, left };
}
