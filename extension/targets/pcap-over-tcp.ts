// Any pcap/pcapng stream served on a TCP port (our agent in PCA mode, the netobserv agent, or
// anything speaking PCAP-over-TCP), reached directly or through an SSH local forward. The server
// decides what is captured: there are no interfaces or filters to choose here.
import * as net from 'node:net';
import { type Duplex, PassThrough, Writable } from 'node:stream';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import type { AgentProcess, CaptureTarget } from './target.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** "HOST:PORT", "[v6]:PORT" or "PORT" (127.0.0.1). */
export function parseEndpoint(text: string): Endpoint {
  const t = text.trim();
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:\s]+):(\d+)$/.exec(t) ?? /^()(\d+)$/.exec(t);
  if (!m) throw new Error(`Expected HOST:PORT (e.g. 127.0.0.1:9990), got "${text}".`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`The port must be between 1 and 65535, got ${m[2]}.`);
  return { host: m[1] || '127.0.0.1', port };
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

/** Opens the TCP connection: directly, or from an SSH host (`ssh -L`). */
export type Connector = (endpoint: Endpoint) => Promise<Duplex>;

export const directConnector: Connector = (e) =>
  new Promise((resolve, reject) => {
    const socket = net.connect(e.port, e.host);
    const refused = (err: Error) => reject(new Error(`Could not connect to ${formatEndpoint(e)}: ${err.message}`));
    socket.once('error', refused);
    socket.once('connect', () => {
      socket.off('error', refused); // later errors end the stream, reported by streamProcess
      resolve(socket);
    });
  });

export class PcapOverTcpTarget implements CaptureTarget {
  readonly info: TargetInfo;

  constructor(
    readonly endpoint: Endpoint,
    private readonly connect: Connector,
    via: string,
  ) {
    const where = formatEndpoint(endpoint);
    this.info = {
      id: `tcp:${via}:${where}`,
      kind: 'tcp',
      label: `${where} via ${via}`,
      description: 'PCAP-over-TCP endpoint',
    };
  }

  async listInterfaces(): Promise<InterfaceInfo[]> {
    return [];
  }

  async startCapture(): Promise<AgentProcess> {
    return streamProcess(await this.connect(this.endpoint), formatEndpoint(this.endpoint));
  }
}

/** A TCP stream as an AgentProcess: stopping closes the connection; the server keeps running. */
function streamProcess(stream: Duplex, where: string): AgentProcess {
  let failure: string | undefined;
  stream.on('error', (e) => {
    failure = `the connection to ${where} failed: ${e.message}`;
  });
  const exited = new Promise<number | null>((resolve) => stream.once('close', () => resolve(failure ? 1 : 0)));
  const stdin = new Writable({
    write: (_chunk, _encoding, done) => done(), // the server reads nothing from us
    final: (done) => {
      stream.destroy();
      done();
    },
  });
  const stderr = new PassThrough();
  void exited.then(() => stderr.end());
  return {
    stdin,
    stdout: stream,
    stderr,
    kill: () => stream.destroy(),
    exited,
    exitReason: () => failure,
    reportsEvents: false,
  };
}
