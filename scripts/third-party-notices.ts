// Writes THIRD_PARTY_NOTICES.md: the licences of what the shipped extension carries from others.
//   - npm packages esbuild inlines into the shipped bundles: found from esbuild's metafile for the
//     bundles scripts/build.sh builds into the folders .vscodeignore ships (so a bundle added there
//     is covered without editing this file); version and licence from package-lock.json, the text
//     from the package's own licence file;
//   - what the native code links statically or compiles in: the static agent libpcap, libbpf,
//     libelf (elfutils) and zlib, the addon libpcap and node-addon-api's headers; the libraries from
//     Debian's source packages, whose copyright files are /usr/share/doc/<binary package>/copyright.
//
//   node --import tsx scripts/third-party-notices.ts           write the file
//   node --import tsx scripts/third-party-notices.ts --check   exit 1 if the committed file differs
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
const OUTPUT = 'THIRD_PARTY_NOTICES.md';
const REGENERATE = 'node --import tsx scripts/third-party-notices.ts';

/** The Debian packages whose static libraries the agent and the addon link (scripts/build-native-deps.sh). */
const DEBIAN_PACKAGES = [
  { library: 'libpcap', binaryPackage: 'libpcap-dev' },
  { library: 'libbpf', binaryPackage: 'libbpf-dev' },
  { library: 'libelf', binaryPackage: 'libelf-dev' },
  { library: 'zlib', binaryPackage: 'zlib1g-dev' },
];
/** npm packages compiled into the addon rather than bundled by esbuild. */
const NATIVE_NPM_PACKAGES = ['node-addon-api'];

interface Bundle {
  entry: string;
  outfile: string;
  options: BuildOptions;
}

interface NpmPackage {
  /** package-lock.json key: node_modules/name, or a nested node_modules path. */
  key: string;
  name: string;
  version: string;
  license: string;
  text: string;
  usedBy: Set<string>;
}

/** scripts/build.sh's esbuild commands, continuation lines joined, as argument lists. */
function esbuildCommands(buildScript: string): string[][] {
  return buildScript
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^npx (--no-install )?esbuild /.test(line))
    .map((line) => line.split(/\s+/).map((arg) => arg.replace(/^'(.*)'$/, '$1').replace(/(=|:)'(.*)'$/, '$1$2')));
}

function bundleOf(args: string[]): Bundle {
  const value = (flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
  const entry = args.find((a) => /\.[cm]?[jt]s$/.test(a) && !a.startsWith('--'));
  const outfile = value('outfile');
  if (!entry || !outfile)
    throw new Error(`scripts/build.sh: cannot read the entry and --outfile of: ${args.join(' ')}`);
  const external = args.filter((a) => a.startsWith('--external:')).map((a) => a.slice('--external:'.length));
  const platform = value('platform') as BuildOptions['platform'];
  const format = value('format') as BuildOptions['format'];
  return { entry, outfile, options: { platform, format, external } };
}

/** The folders under dist/ that .vscodeignore lets into the .vsix. */
function shippedFolders(): string[] {
  return readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((line) => /^!(dist\/[^*]+)\*\*$/.exec(line.trim())?.[1])
    .filter((folder): folder is string => folder !== undefined);
}

function shippedBundles(): Bundle[] {
  const folders = shippedFolders();
  const bundles = esbuildCommands(readFileSync(path.join(ROOT, 'scripts/build.sh'), 'utf8'))
    .map(bundleOf)
    .filter((b) => folders.some((f) => b.outfile.startsWith(f)));
  if (bundles.length === 0) {
    throw new Error('found no shipped esbuild bundle in scripts/build.sh (an `npx esbuild … --outfile=dist/…` line)');
  }
  return bundles;
}

/** The package folder (package-lock.json key) an input path lies in, if it lies in node_modules. */
function packageKey(input: string): string | undefined {
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
}

async function bundledPackageKeys(bundles: Bundle[]): Promise<Map<string, Set<string>>> {
  const keys = new Map<string, Set<string>>();
  for (const b of bundles) {
    const result = await build({
      ...b.options,
      absWorkingDir: ROOT,
      entryPoints: [b.entry],
      bundle: true,
      write: false,
      metafile: true,
      outfile: b.outfile,
      logLevel: 'silent',
    });
    for (const input of Object.keys(result.metafile.inputs)) {
      const key = packageKey(input);
      if (key) keys.set(key, (keys.get(key) ?? new Set()).add(b.outfile));
    }
  }
  return keys;
}

function licenseText(dir: string): string {
  const file = readdirSync(dir)
    .sort()
    .find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  if (!file) throw new Error(`${path.relative(ROOT, dir)} has no LICENSE file to quote; add its licence text by hand`);
  return readFileSync(path.join(dir, file), 'utf8').trim();
}

function npmPackage(lock: LockFile, key: string, usedBy: Set<string>): NpmPackage {
  const locked = lock.packages[key];
  if (!locked) throw new Error(`${key} is bundled but not in package-lock.json: run npm ci`);
  const dir = path.join(ROOT, key);
  if (!existsSync(dir)) throw new Error(`${key} is not installed: run npm ci`);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const name = key.replace(/^.*node_modules\//, '');
  const license = locked.license ?? manifest.license ?? manifest.licenses?.map((l) => l.type).join(' OR ');
  if (!license) throw new Error(`${name} declares no licence in package-lock.json or its package.json`);
  return { key, name, version: locked.version, license, text: licenseText(dir), usedBy };
}

interface LockFile {
  packages: Record<string, { version: string; license?: string }>;
}
interface PackageJson {
  license?: string;
  licenses?: { type: string }[];
}

interface DebianPackage {
  library: string;
  source: string;
  upstreamVersion: string;
  copyright: string;
}

function debianPackage({ library, binaryPackage }: (typeof DEBIAN_PACKAGES)[number]): DebianPackage {
  const copyrightFile = `/usr/share/doc/${binaryPackage}/copyright`;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not JS.
  const format = '-f=${source:Package} ${source:Version}';
  let query: string;
  try {
    query = execFileSync('dpkg-query', ['-W', format, binaryPackage], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    throw new Error(`the Debian package ${binaryPackage} is not installed (npm run setup installs it)`);
  }
  if (!existsSync(copyrightFile)) throw new Error(`${copyrightFile} is missing: reinstall ${binaryPackage}`);
  const [source = binaryPackage, version = ''] = query.trim().split(' ');
  // The upstream part only: a Debian revision or security update does not change the notice.
  const upstreamVersion = version.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  return { library, source, upstreamVersion, copyright: readFileSync(copyrightFile, 'utf8').trim() };
}

/** A fenced block that no line of the text can close early. */
function fenced(text: string): string {
  const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((f) => f.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function render(bundled: NpmPackage[], native: NpmPackage[], debian: DebianPackage[]): string {
  const npmSection = (p: NpmPackage) =>
    `### ${p.name} ${p.version}\n\nLicence: ${p.license}. In: ${[...p.usedBy].sort().join(', ')}.\n\n${fenced(p.text)}\n`;
  const debianSection = (d: DebianPackage) =>
    `### ${d.library} ${d.upstreamVersion}\n\nFrom the Debian source package \`${d.source}\`; its copyright file:\n\n${fenced(d.copyright)}\n`;
  return [
    '# Third-party notices',
    '',
    '<!-- Generated by scripts/third-party-notices.ts from package-lock.json, the bundles of',
    'scripts/build.sh and the Debian packages installed by setup; `npm run check` fails when this',
    `file is out of date. Do not edit it by hand: run \`${REGENERATE}\`. -->`,
    '',
    'The eBPF Packet Capture extension is MIT-licensed (see LICENSE). What it ships includes the',
    'following works of others, under their own licences.',
    '',
    '## npm packages bundled into the extension and panel',
    '',
    ...bundled.map(npmSection),
    '## Compiled into the agent (dist/agent/linux-*/pcap-agent) and the addon (dist/agent/pcap_capture.node)',
    '',
    'The agent links libpcap, libbpf, libelf and zlib statically, the addon libpcap, built from Debian',
    'source packages by scripts/build-native-deps.sh; node-addon-api is compiled into the addon from',
    'its headers. The addon also links libstdc++ and libgcc statically, under the GCC Runtime Library',
    'Exception.',
    '',
    ...native.map(npmSection),
    ...debian.map(debianSection),
  ].join('\n');
}

export async function generateNotices(): Promise<string> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as LockFile;
  const keys = await bundledPackageKeys(shippedBundles());
  const bundled = [...keys]
    .map(([key, usedBy]) => npmPackage(lock, key, usedBy))
    .sort((a, b) => a.name.localeCompare(b.name));
  const native = NATIVE_NPM_PACKAGES.map((name) => npmPackage(lock, `node_modules/${name}`, new Set(['the addon'])));
  return render(bundled, native, DEBIAN_PACKAGES.map(debianPackage));
}

/** The first line where the two texts differ, for the message. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const n = i === -1 ? a.length : i;
  return `line ${n + 1}: committed ${JSON.stringify(a[n] ?? '(end of file)')}, generated ${JSON.stringify(b[n] ?? '(end of file)')}`;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let generated: string;
  try {
    generated = await generateNotices();
  } catch (e) {
    console.error(`third-party-notices: cannot generate ${OUTPUT}: ${(e as Error).message}`);
    process.exit(1);
  }
  const file = path.join(ROOT, OUTPUT);
  if (!check) {
    writeFileSync(file, generated);
    console.error(`third-party-notices: wrote ${OUTPUT}`);
    return;
  }
  const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (committed !== generated) {
    console.error(
      `${OUTPUT} is out of date: it differs from what the lockfile, the bundles and the Debian packages give ` +
        `(${committed ? firstDifference(committed, generated) : 'the file is missing'}). Run \`${REGENERATE}\` and commit the result.`,
    );
    process.exit(1);
  }
}

if (require.main === module) void main();
