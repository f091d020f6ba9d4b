// When eBPF cannot load, the error names what is missing: which capabilities, the locked-memory
// limit, BTF, the bpf() system call. The binding is injected (it throws the addon's errors as
// the addon does: a message and an errno name in `code`), and so are the host's facts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toAgentError } from '../../agent/errors.js';
import {
  type BpfHostFacts,
  CaptureError,
  KernelCapture,
  missingCapabilities,
  type RawBinding,
  readBpfHostFacts,
} from '../../native/capture.js';

function addonError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A binding whose BPF object fails to load with `error`. */
function failingBinding(error: Error): RawBinding {
  return {
    Capture: function Capture() {
      throw error;
    } as unknown as RawBinding['Capture'],
    listInterfaces: () => [],
    clocks: () => ({ realtimeNs: 0n, boottimeNs: 0n }),
    libbpfVersion: () => 'fake',
    compileFilter: (expression) => ({ ok: true, expression }),
    recordVersion: 1,
  };
}

const ALL_CAPS = (1n << 41n) - 1n;
const bit = (n: number) => 1n << BigInt(n);
const ROOT: BpfHostFacts = { capEff: ALL_CAPS, btf: true, memlockBytes: Number.POSITIVE_INFINITY, kernel: '6.6.0' };

function loadError(error: Error, facts: BpfHostFacts): CaptureError {
  try {
    new KernelCapture(failingBinding(error), { ringBytes: 4096, objectPath: '/x.bpf.o', hostFacts: () => facts });
  } catch (e) {
    assert.ok(e instanceof CaptureError, String(e));
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e;
  }
  throw new Error('the load did not fail');
}

const EPERM = addonError('load BPF programs: Operation not permitted', 'EPERM');

test('EPERM without capabilities (a container without CAP_BPF/CAP_NET_ADMIN) names the missing ones', () => {
  const e = loadError(EPERM, { ...ROOT, capEff: 0n });
  assert.equal(e.code, 'E_PRIVILEGE');
  assert.match(
    e.message,
    /^load BPF programs: Operation not permitted \(this process lacks CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON;/,
  );
  assert.match(e.message, /--cap-add BPF --cap-add NET_ADMIN/);
  const onlyNetAdmin = loadError(addonError('load BPF programs: Permission denied', 'EACCES'), {
    ...ROOT,
    capEff: bit(39) | bit(38),
  });
  assert.match(onlyNetAdmin.message, /lacks CAP_NET_ADMIN;/);
  assert.equal(toAgentError(e).code, 'E_PRIVILEGE', 'exit status 3: what the host lacks');
});

test('EPERM with every capability on a kernel before 5.11: the locked-memory limit', () => {
  const e = loadError(EPERM, { ...ROOT, memlockBytes: 65536, kernel: '5.10.0-28-amd64' });
  assert.match(
    e.message,
    /the locked-memory limit is 64 KiB and this kernel \(5\.10\.0-28-amd64\) counts BPF maps against it: raise it/,
  );
  const later = loadError(EPERM, { ...ROOT, memlockBytes: 65536 });
  assert.match(later.message, /something else forbids BPF: a seccomp profile.*kernel lockdown/);
});

test('a kernel without BTF is named as such', () => {
  const e = loadError(addonError('load BPF programs: Invalid argument', 'EINVAL'), { ...ROOT, btf: false });
  assert.equal(e.code, 'E_NO_BPF');
  assert.match(e.message, /this kernel has no BTF \(\/sys\/kernel\/btf\/vmlinux is missing\).*CONFIG_DEBUG_INFO_BTF/);
  const withBtf = loadError(addonError('load BPF programs: Invalid argument', 'EINVAL'), ROOT);
  assert.match(
    withBtf.message,
    /the kernel refused the capture programs: they need Linux >= 5\.8 with BPF ring buffers/,
  );
});

test('no bpf() system call, and a missing BPF object, are said as such', () => {
  assert.match(
    loadError(addonError('load BPF programs: Function not implemented', 'ENOSYS'), ROOT).message,
    /no bpf\(\) system call: CONFIG_BPF_SYSCALL/,
  );
  assert.equal(loadError(addonError('open BPF object /x.bpf.o: No such file', 'ENOENT'), ROOT).code, 'E_ADDON');
});

test('missingCapabilities: CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON, never for CAP_NET_ADMIN', () => {
  assert.deepEqual(missingCapabilities(ALL_CAPS), []);
  assert.deepEqual(missingCapabilities(bit(21)), ['CAP_NET_ADMIN']);
  assert.deepEqual(missingCapabilities(bit(12) | bit(39)), ['CAP_PERFMON']);
  // This process's own facts parse (as root here: nothing missing).
  const facts = readBpfHostFacts();
  assert.equal(typeof facts.btf, 'boolean');
  if (process.getuid?.() === 0) assert.deepEqual(missingCapabilities(facts.capEff ?? 0n), []);
});
