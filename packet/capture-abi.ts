// What TypeScript shares with the capture's C side (bpf/capture.h): the snaplen ceiling the agent
// accepts, and the two directions a packet is captured in. CAP_MAX_SNAPLEN is checked against the
// C header by test/unit/capture-abi.test.ts.

export const CAP_MAX_SNAPLEN = 262144;

export type Direction = 'in' | 'out';
