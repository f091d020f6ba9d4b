// Set by the bundler from package.json; "dev" when run from source.
declare const AGENT_VERSION: string | undefined;

export const VERSION: string = typeof AGENT_VERSION === 'string' ? AGENT_VERSION : '0.0.0-dev';
export const AGENT_NAME = `pcap-agent ${VERSION}`;
